"""A shard whose length field lies (its checksum recomputed, as a faulty writer or a crafted file
has it) through the TF-free readers: ``blurgen inspect`` and the reader under PyTorch and Hugging
Face. Each refuses it in one line naming the shard, record and byte offset, and allocates nothing
for the claimed length."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fuzzkit import craft_length  # noqa: E402
from readerkit import write_dataset  # noqa: E402

from pipelines import inspection, reader  # noqa: E402
from pipelines.shards.records import CorruptRecordError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FORTY_GIB = 40 << 30


@pytest.fixture
def crafted(tmp_path) -> tuple[Path, list[str], int]:
    """A dataset of 2 shards whose second shard's record 1 claims 40 GiB; (folder, shards, offset)."""
    paths = write_dataset(tmp_path / "ds", count=6, shards=2)
    at = craft_length(paths[1], 1, FORTY_GIB)
    return tmp_path / "ds", paths, at


def test_blurgen_inspect_names_the_crafted_record_and_goes_on(crafted):
    out, paths, at = crafted
    proc = subprocess.run([sys.executable, "-m", "blurgen.cli", "inspect", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    problems = [line for line in proc.stderr.splitlines() if line.startswith("PROBLEM: ")]
    assert problems[0] == (f"PROBLEM: {paths[1]}: record 1 at byte {at:,} claims 42,949,672,960 bytes of data, "
                           f"but {Path(paths[1]).stat().st_size - at - 16:,} are left in the file (a corrupt length, "
                           "or a truncated file); the shard is damaged: write it again (or restore a good copy) "
                           "or leave it out")
    assert problems[1] == f"PROBLEM: {paths[1]}: 1 records, dataset_info.json says 3"
    assert "MemoryError" not in proc.stderr and "Traceback" not in proc.stderr
    assert "train: 4 records in 2 shard(s)" in proc.stdout, "the sound shard and the good record are counted"


@pytest.mark.parametrize("exc, shown", [(MemoryError(), "MemoryError (no message)"),
                                        (KeyError("key"), "KeyError: 'key'"),
                                        (ValueError("two\nlines"), "two lines")])
def test_every_problem_inspect_reports_names_its_reason(crafted, monkeypatch, exc, shown):
    out, paths, _ = crafted

    def failing(data):
        raise exc

    monkeypatch.setattr(inspection, "decode_example", failing)
    report = inspection.inspect_dataset(str(out))
    assert f"{paths[0]}: {shown}" in report.problems
    for problem in report.problems:
        path, _, why = problem.partition(": ")
        assert why.strip() and "\n" not in problem, problem


def test_the_reader_refuses_the_crafted_record_after_the_good_ones(crafted):
    _, paths, at = crafted
    got = []
    with pytest.raises(CorruptRecordError, match=f"{paths[1]}: record 1 at byte {at:,} claims 42,949,672,960 bytes"):
        for pair in reader.iter_pairs(paths):
            got.append(pair["key"])
    assert got == ["pair-0000", "pair-0002", "pair-0004", "pair-0001"], "records before the damage are read"


def test_the_readers_take_a_ceiling_and_say_how_to_raise_it(tmp_path, monkeypatch):
    paths = write_dataset(tmp_path / "ds", count=2, shards=1)
    monkeypatch.delenv("BLURGEN_MAX_RECORD_MIB", raising=False)
    with pytest.raises(CorruptRecordError, match=r"record 0 at byte 0 claims [\d,]+ bytes, more than the 100 bytes "
                                                 r"one record may hold \(if records this large are real, set "
                                                 r"BLURGEN_MAX_RECORD_MIB higher\)"):
        list(reader.iter_examples(paths, max_record=100))
    assert len(list(reader.iter_pairs(paths, max_record=10_000))) == 2


def test_a_framed_record_that_is_not_an_example_is_a_one_line_error_naming_it(tmp_path):
    from blurgen.shards import framing
    paths = write_dataset(tmp_path / "ds", count=2, shards=1)
    with open(paths[0], "ab") as f:
        f.write(framing.frame(b"\xff\xff not a protobuf"))
    with pytest.raises(ValueError, match=f"{paths[0]}: record 2 is not a blurgen pair .DecodeError: .*blurgen inspect"):
        list(reader.iter_pairs(paths))
