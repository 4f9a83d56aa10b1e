"""A shard whose length field lies, its checksum recomputed (as a faulty writer or a crafted file
has it), through the trainer's input: TensorFlow's own reader would allocate the claimed 40 GiB and
crash (a segmentation fault), so every shard gets the header pass of ``blurgen.shards.framing`` first.
``score`` and ``fit`` end in one line naming the shard, the record and its byte offset, within
1 GiB of memory; with ``ignore_errors`` the records before the damage are read."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from training.data import shards as data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fuzzkit import TF_RSS_MIB, craft_length, run_measured  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FORTY_GIB = 40 << 30


@pytest.fixture
def crafted(shard_dir, tmp_path) -> tuple[str, str, int]:
    """A copy of the train shards whose second shard's record 2 claims 40 GiB: (glob, that shard, offset)."""
    d = tmp_path / "crafted"
    shutil.copytree(shard_dir, d)
    victim = str(d / "blurgen-train.tfrecord-00001-of-00002")
    return str(d / "blurgen-train.tfrecord-*"), victim, craft_length(victim, 2, FORTY_GIB)


def _expected(victim: str, at: int) -> str:
    left = os.path.getsize(victim) - at - 16
    return (f"error: corrupt shard(s): {victim}: record 2 at byte {at:,} claims 42,949,672,960 bytes of data, but "
            f"{left:,} are left in the file (a corrupt length, or a truncated file). Rebuild them, remove them "
            "from the pattern, or pass --ignore-errors to read each only up to its damage")


@pytest.mark.parametrize("command", ["score", "fit"])
def test_score_and_fit_refuse_a_crafted_length_in_one_line(crafted, tmp_path, command):
    pattern, victim, at = crafted
    args = (["--model", "identity", "--data", pattern, "--out", str(tmp_path / "r.json")] if command == "score"
            else ["--preset", "smoke", "--train", pattern, "--out", str(tmp_path / "run")])
    ran = run_measured([sys.executable, "-m", f"training.{command}", *args], timeout=600, cwd=REPO,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert ran.returncode == 2, (ran.returncode, ran.stderr[-3000:])
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert lines[-1] == _expected(victim, at) and "Traceback" not in ran.stderr
    assert ran.peak_rss_mib < TF_RSS_MIB, f"peak RSS {ran.peak_rss_mib:.0f} MiB"


def test_score_with_ignore_errors_scores_the_records_before_the_damage(crafted, tmp_path):
    pattern, victim, at = crafted
    out = tmp_path / "r.json"
    ran = run_measured([sys.executable, "-m", "training.score", "--model", "identity", "--data", pattern, "--out",
                        str(out), "--metrics", "psnr", "--ignore-errors"], timeout=600, cwd=REPO,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert ran.returncode == 0, (ran.returncode, ran.stderr[-3000:])
    report = json.loads(out.read_text())
    assert report["count"] == 7
    (skipped,) = report["skipped"]["shards"]
    assert skipped["shard"] == victim and skipped["records_read"] == 2
    assert skipped["error"].startswith(f"record 2 at byte {at:,} claims 42,949,672,960 bytes of data")
    assert ran.peak_rss_mib < TF_RSS_MIB, f"peak RSS {ran.peak_rss_mib:.0f} MiB"


def test_every_entry_point_checks_the_framing_first(crafted):
    pattern, victim, at = crafted
    for make in (lambda: data.eval_dataset(pattern), lambda: data.train_dataset(pattern, batch=2, crop=16)):
        with pytest.raises(data.CorruptShardError, match=f"{victim}: record 2 at byte {at:,} claims 42,949,672,960"):
            make()
    files = data.list_shards(pattern)
    with pytest.raises(data.CorruptShardError):
        data.check_framing(files)
    assert data.check_framing(files, ignore_errors=True) == [-1, 2]


def test_with_ignore_errors_the_records_before_the_damage_are_read(crafted):
    pattern, victim, at = crafted
    files = data.list_shards(pattern)
    scans = data.scan_shards(files)
    assert [r.records for r in scans] == [5, 2]
    assert scans[0].error is None and scans[1].error.startswith(f"record 2 at byte {at:,} claims 42,949,672,960")
    keys = [ex["key"].numpy() for ex in data.eval_dataset(pattern, ignore_errors=True)]
    assert len(keys) == 7 == len(set(keys))
    batches = data.train_dataset(pattern, batch=1, crop=16, ignore_errors=True, repeat=False)
    assert sum(1 for _ in batches) == 7
    error = data.corrupt_shard_error(files, RuntimeError("reading failed"))
    assert f"{victim}: record 2 at byte {at:,} claims" in str(error) and "after 2 good records" in str(error)


def test_a_first_record_that_is_damaged_leaves_the_schema_check_to_the_reading(shard_dir, tmp_path):
    d = tmp_path / "first"
    shutil.copytree(shard_dir, d)
    craft_length(str(d / "blurgen-test.tfrecord-00000-of-00001"), 0, FORTY_GIB, valid=False)
    with pytest.raises(data.CorruptShardError, match="record 0 at byte 0 has a bad length checksum"):
        data.eval_dataset(str(d / "blurgen-test.tfrecord-*"))
    assert list(data.eval_dataset(str(d / "blurgen-test.tfrecord-*"), ignore_errors=True)) == []


def test_the_ceiling_for_one_record_is_a_setting(tmp_path, monkeypatch):
    path = str(tmp_path / "big-train.tfrecord-00000-of-00001")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"\0" * (3 << 19))  # 1.5 MiB: more than a 1 MiB ceiling allows
    monkeypatch.setenv("BLURGEN_MAX_RECORD_MIB", "1")
    with pytest.raises(data.CorruptShardError, match=r"record 0 at byte 0 claims 1.5 MiB, more than the 1.0 MiB one "
                                                     r"record may hold \(if records this large are real, set "
                                                     r"BLURGEN_MAX_RECORD_MIB higher\)"):
        data.check_framing([path])
    monkeypatch.setenv("BLURGEN_MAX_RECORD_MIB", "2")
    assert data.check_framing([path]) == [-1]
    monkeypatch.setenv("BLURGEN_MAX_RECORD_MIB", "lots")
    with pytest.raises(ValueError, match="BLURGEN_MAX_RECORD_MIB='lots'"):
        data.check_framing([path])


def test_the_header_pass_reads_urls_through_gfile(shard_dir):
    src = str(shard_dir / "blurgen-test.tfrecord-00000-of-00001")
    url = "ram://crafted/blurgen-test.tfrecord-00000-of-00001"
    raw = bytearray(Path(src).read_bytes())
    tf.io.gfile.makedirs("ram://crafted")
    with tf.io.gfile.GFile(url, "wb") as f:
        f.write(bytes(raw))
    assert data.check_framing([url]) == [-1]
    assert len(list(data.eval_dataset(url))) == 3
    raw[9] ^= 1  # the first length's checksum
    url = "ram://crafted/blurgen-damaged.tfrecord-00000-of-00001"  # (ram:// appends to a file written again)
    with tf.io.gfile.GFile(url, "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(data.CorruptShardError, match=f"{url}: record 0 at byte 0 has a bad length checksum"):
        data.check_framing([url])
    with pytest.raises(ValueError, match="ram://crafted/nothing: cannot be read"):
        data.check_framing(["ram://crafted/nothing"])
