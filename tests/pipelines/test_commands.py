"""The click commands: flags pass through to Beam; inspect verifies every CRC and draws a sheet."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from blurgen.pictures import preview
from blurgen.shards import schema
from blurgen.images import decode_image, read_image
from pipelines.cards import sheet
from pipelines.cli import inspect, pairs, synth
from pipelines.inspection import shard_paths


@pytest.fixture(scope="module")
def built(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "shards"
    result = CliRunner().invoke(synth, ["--src", str(photos), "--out", str(out), "--num-shards", "2",
                                        "--runner", "DirectRunner", "--direct_num_workers", "1"])
    return out, result


@pytest.mark.slow
def test_synth_command_passes_beam_flags(built):
    out, result = built
    assert result.exit_code == 0, result.output
    assert "5 inputs = 5 written + 0 rejected" in result.output
    assert json.loads((out / "manifest.json").read_text())["pairs_total"] == 5


@pytest.mark.slow
def test_inspect_ok_and_sheet(built, tmp_path):
    out, _ = built
    result = CliRunner().invoke(inspect, [str(out), "--deep", "--sheet", str(tmp_path / "sheet.png"),
                                          "--sheet-pairs", "3"])
    assert result.exit_code == 0, result.output
    assert "OK: every record's checksums verified" in result.output
    picture = read_image(tmp_path / "sheet.png")
    # drawn with blurgen.pictures.preview's one layout: titled rows of sharp | blurred | kernel from 3 sources
    info = json.loads((out / "dataset_info.json").read_text())
    chosen = sheet.pick_examples([p for s, p, _ in shard_paths(str(out), info) if s == "train"], 3)
    assert len({ex[schema.SOURCE] for ex in chosen}) == 3
    rows = [[decode_image(ex[schema.SHARP]), decode_image(ex[schema.BLURRED]), preview.kernel_tile(ex[schema.KERNEL], 192)]
            for ex in chosen]
    want = preview.sheet(["sharp", "blurred", "kernel"], rows, 192, [sheet._row_caption(ex) for ex in chosen])
    want = preview.titled(want, [f"dataset 'blurgen' in {out}: split train, 3 pairs from 3 distinct sources"])
    np.testing.assert_array_equal(picture, want)
    assert "trajectory kernel, " in sheet._row_caption(chosen[0])[1]


@pytest.mark.slow
def test_inspect_sheet_of_a_missing_split_is_a_usage_error(built, tmp_path):
    out, _ = built
    result = CliRunner().invoke(inspect, [str(out), "--sheet", str(tmp_path / "s.png"), "--split", "test"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: " in result.output and "no split 'test'" in result.output and "['train']" in result.output
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
def test_inspect_finds_a_flipped_byte_and_a_stray_shard(built, tmp_path):
    out, _ = built
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in out.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    shard = sorted(bad.glob("*.tfrecord-*"), key=lambda p: -p.stat().st_size)[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    (bad / "blurgen-train.tfrecord-00000-of-00009").write_bytes(b"")
    result = CliRunner().invoke(inspect, [str(bad)])
    assert result.exit_code == 1
    assert "bad data checksum" in result.output and "does not list" in result.output


def test_help_lists_pipeline_flags():
    result = CliRunner().invoke(pairs, ["--help"])
    assert result.exit_code == 0 and "--layout" in result.output and "--blur-kind" in result.output


@pytest.mark.slow
def test_local_runs_never_try_prism(photos, tmp_path, caplog):
    """Beam's DirectRunner first tries Prism (which downloads a binary) unless a pipeline uses
    something Prism does not support; ours must stay on the in-process runner, offline or not."""
    from pipelines import synth as synth_module

    caplog.set_level(logging.INFO)
    for flags in ([], ["--runner=DirectRunner"]):
        synth_module.run(["--src", str(photos / "astronaut.png"), "--out", str(tmp_path / str(len(flags))),
                          "--verbose", *flags])
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("apache_beam") for r in caplog.records), "Beam's INFO lines were captured"
    assert "Prism" not in messages


def test_the_sheet_takes_distinct_sources_first_then_variants_in_turn(tmp_path):
    from blurgen.images import encode_png
    from pipelines.shards import records
    from pipelines.shards.examples import Pair, encode_example
    img = encode_png(np.zeros((8, 8, 3), np.uint8))
    sources = ["a", "a", "a", "b", "b", "c"]
    with open(tmp_path / "blurgen-train.tfrecord-00000-of-00001", "wb") as f:
        records.write_records(f, [encode_example(Pair(key=f"{s}#{i}", blurred=img, sharp=img, height=8, width=8,
                                                      source=s)) for i, s in enumerate(sources)])
    paths = [str(tmp_path / "blurgen-train.tfrecord-00000-of-00001")]
    assert [ex[schema.KEY] for ex in sheet.pick_examples(paths, 3)] == ["a#0", "b#3", "c#5"]
    assert [ex[schema.KEY] for ex in sheet.pick_examples(paths, 5)] == ["a#0", "b#3", "c#5", "a#1", "b#4"]
    assert [ex[schema.KEY] for ex in sheet.pick_examples(paths, 9)] == ["a#0", "b#3", "c#5", "a#1", "b#4", "a#2"]
