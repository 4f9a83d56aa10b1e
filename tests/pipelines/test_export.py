"""``blurgen export DIR --to parquet OUT``, read back with pyarrow (``datasets`` itself: tests/readers)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cardkit  # noqa: E402

from blurgen.shards import schema  # noqa: E402
from pipelines import export, inspection  # noqa: E402
from pipelines.cards import cardfiles, hubcolumns
from pipelines.cards.parquet import PartWriter  # noqa: E402
from pipelines.shards.examples import params_json  # noqa: E402

from pipeline_helpers import REPO, records  # noqa: E402


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return cardkit.make_dataset(tmp_path_factory.mktemp("export"))[0]


def parquet_rows(out: Path, split: str) -> list[dict]:
    files = sorted((out / "data").glob(f"{split}-*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


@pytest.mark.slow
def test_every_record_becomes_one_row_with_the_shards_own_bytes(dataset, tmp_path):
    out = tmp_path / "hf"
    assert export.main([str(dataset), "--to", "parquet", str(out)]) == 0
    for split, recs in records(dataset).items():
        rows = parquet_rows(out, split)
        assert [r["key"] for r in rows] == [r[schema.KEY] for r in recs]  # shard order
        for row, rec in zip(rows, recs):
            assert row["blurred"] == {"bytes": rec[schema.BLURRED], "path": None}
            assert row["sharp"] == {"bytes": rec[schema.SHARP], "path": None}
            np.testing.assert_array_equal(np.array(row["kernel"], np.float32), rec[schema.KERNEL])
            assert json.loads(row["params"]) == rec[schema.PARAMS] and row["params"] == params_json(rec[schema.PARAMS])
            for name in (schema.HEIGHT, schema.WIDTH, schema.CHANNELS, schema.SOURCE, schema.SEED, schema.VARIANT,
                         schema.BLURRED_FORMAT, schema.SHARP_FORMAT):
                assert row[name] == rec[name], name
    schema_ = pq.read_schema(next((out / "data").glob("train-*.parquet")))
    assert schema_.names == list(hubcolumns.NAMES)
    features = json.loads(schema_.metadata[b"huggingface"])["info"]["features"]
    assert features["blurred"] == features["sharp"] == {"_type": "Image"}
    assert str(schema_.field("blurred").type) == "struct<bytes: binary, path: string>"


@pytest.mark.slow
def test_files_follow_the_hub_layout_and_row_groups_stay_small(dataset, tmp_path):
    out = tmp_path / "hf"
    # About 25 kB of shards per file and 3 rows per group: the 8 train pairs (53 kB of shards) go in
    # 3 files, the 4 test pairs (21 kB) in one.
    info = json.loads((dataset / "dataset_info.json").read_text())
    assert [int(s["numBytes"]) // 1000 for s in info["splits"]] == [21, 53]
    assert export.main([str(dataset), "--to", "parquet", str(out), "--file-mb", "0.025", "--rows-per-group", "3"]) == 0
    names = sorted(p.name for p in (out / "data").iterdir())
    assert names == ["test-00000-of-00001.parquet", "train-00000-of-00003.parquet", "train-00001-of-00003.parquet",
                     "train-00002-of-00003.parquet"]
    for name in names:
        meta = pq.ParquetFile(out / "data" / name).metadata
        assert all(meta.row_group(i).num_rows <= 3 for i in range(meta.num_row_groups))
    assert [pq.read_metadata(out / "data" / n).num_rows for n in names[1:]] == [3, 3, 2]
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "card", "data"]
    assert export.part_plan(0, 0, 1e6) == [0] and export.part_plan(10, 10**9, 5e8) == [5, 5]


def test_a_row_group_is_written_once_its_images_pass_the_byte_budget(tmp_path):
    with open(tmp_path / "x.parquet", "wb") as sink:
        writer = PartWriter(sink, rows_per_group=100, group_bytes=1000)
        for i in range(7):
            writer.add(hubcolumns.row({schema.KEY: f"k{i}", schema.BLURRED: b"b" * 300, schema.SHARP: b"s" * 300,
                                       schema.BLURRED_FORMAT: "png", schema.SHARP_FORMAT: "png", schema.HEIGHT: 1,
                                       schema.WIDTH: 1, schema.CHANNELS: 3, schema.KERNEL: None, schema.SOURCE: "s",
                                       schema.SEED: 0, schema.VARIANT: i, schema.PARAMS: {}}))
            assert len(writer.rows) <= 1  # 600 bytes held; the second row passes 1,000
        writer.close()
    meta = pq.read_metadata(tmp_path / "x.parquet")
    assert meta.num_rows == 7 and [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [2, 2, 2, 1]


@pytest.mark.slow
def test_the_card_is_copied_when_current_and_made_otherwise(dataset, tmp_path, capsys):
    made = tmp_path / "made"
    assert export.main([str(dataset), "--to", "parquet", str(made), "--license", "cc0-1.0"]) == 0
    assert not (dataset / "README.md").exists()  # the dataset folder is left alone
    text = (made / "README.md").read_text()
    assert cardfiles.card_fingerprint(text) == cardfiles.fingerprint(str(dataset)) and 'license: "cc0-1.0"' in text
    linked = {n for n in os.listdir(made / "card")}
    assert all(f"card/{n}" in text for n in linked) and len(linked) == 7
    assert inspection.main([str(dataset), "--card"]) == 0
    try:
        copied = tmp_path / "copied"
        assert export.main([str(dataset), "--to", "parquet", str(copied)]) == 0
        assert (copied / "README.md").read_bytes() == (dataset / "README.md").read_bytes()
        assert {n: (copied / "card" / n).read_bytes() for n in os.listdir(copied / "card")} == {
            n: (dataset / "card" / n).read_bytes() for n in os.listdir(dataset / "card")}
        assert export.main([str(dataset), "--to", "parquet", str(tmp_path / "x"), "--license", "mit"]) == 2
        assert "leave out --license" in capsys.readouterr().err and not (tmp_path / "x").exists()
    finally:
        (dataset / "README.md").unlink()
        for p in (dataset / "card").iterdir():
            p.unlink()
        (dataset / "card").rmdir()


@pytest.mark.slow
def test_out_is_replaced_only_when_it_is_a_previous_export_and_only_when_asked(dataset, tmp_path, capsys):
    out = tmp_path / "hf"
    assert export.main([str(dataset), "--to", "parquet", str(out)]) == 0
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert export.main([str(dataset), "--to", "parquet", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert export.main([str(dataset), "--to", "parquet", str(out), "--overwrite"]) == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first  # deterministic, and whole
    (out / ".git").mkdir()
    assert export.main([str(dataset), "--to", "parquet", str(out), "--overwrite"]) == 2
    assert ".git" in capsys.readouterr().err and (out / ".git").is_dir()
    for bad in (str(dataset), str(dataset.parent), "gs://bucket/hf"):
        assert export.main([str(dataset), "--to", "parquet", bad, "--overwrite"]) == 2
    assert sorted(os.listdir(tmp_path)) == ["hf"]


@pytest.mark.slow
def test_a_failed_export_writes_nothing_and_leaves_the_previous_one_whole(dataset, tmp_path, capsys):
    out = tmp_path / "hf"
    assert export.main([str(dataset), "--to", "parquet", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    broken = Path(str(tmp_path / "broken"))
    import shutil
    shutil.copytree(dataset, broken)
    shard = sorted(broken.glob("blurgen-train.tfrecord-*"))[-1]
    data = bytearray(shard.read_bytes())
    data[-9] ^= 0xFF  # the last record's data: found only after rows were written
    shard.write_bytes(bytes(data))
    assert export.main([str(broken), "--to", "parquet", str(out), "--overwrite"]) == 1
    assert "bad data checksum" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["broken", "hf"]  # no staging folder left
    # A run killed between moving the old export aside and moving the new one in: the next run puts it back.
    os.rename(out, export.old_of(str(out)))
    assert export.main([str(dataset), "--to", "parquet", str(out)]) == 2  # OUT is back, so it exists
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_without_pyarrow_the_command_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['pyarrow'] = None\n"
            "from pipelines import export\n"
            f"sys.exit(export.main([{str(tmp_path)!r}, '--to', 'parquet', {str(tmp_path / 'hf')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: blurgen export --to parquet needs pyarrow (pyarrow is not installed): "
                                   "pip install 'blurgen[hub]'")
