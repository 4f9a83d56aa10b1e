"""What fit, score and compare are given by mistake: index files beside the shards, a folder, another
tool's shards, a missing report. Each is a one-line error or is left out with a word, never a traceback."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from training.commands import compare
from training.data import shards as data
from training.commands import fit
from training.commands import score
from test_fit import TINY_FLAGS


@pytest.fixture
def with_index_files(shard_dir, tmp_path):
    """A copy of the shards with a tfrecord2idx index beside each (as PyTorch users make them)."""
    d = tmp_path / "shards"
    shutil.copytree(shard_dir, d)
    for shard in list(d.glob("*.tfrecord-*")):
        (d / (shard.name + ".idx")).write_text("0 1234\n1234 5678\n")
    return d


def test_shard_globs_take_only_shards(with_index_files, caplog):
    d = with_index_files
    files = data.list_shards(str(d / "blurgen-train.tfrecord-*"))
    assert [os.path.basename(f) for f in files] == ["blurgen-train.tfrecord-00000-of-00002",
                                                    "blurgen-train.tfrecord-00001-of-00002"]
    assert "2 file(s) that are not shards" in caplog.text and ".idx" in caplog.text
    with pytest.raises(ValueError, match="matches 3 file.* but no shard"):
        data.list_shards(str(d / "*.idx"))
    named = str(d / "blurgen-train.tfrecord-00000-of-00002.idx")
    assert data.list_shards(named) == [named], "a file named without wildcards is taken as given"


def test_score_reads_past_index_files(with_index_files, tmp_path):
    report = score.run(["--model", "identity", "--data", str(with_index_files / "blurgen-test.tfrecord-*"),
                        "--out", str(tmp_path / "r.json"), "--metrics", "psnr"])
    assert report["count"] == 3


def test_a_folder_given_as_train_is_a_one_line_error(shard_dir, tmp_path, capsys):
    assert fit.main(["--train", str(shard_dir), "--out", str(tmp_path / "run"), *TINY_FLAGS]) == 2
    err = capsys.readouterr().err
    assert f"error: {shard_dir} is a folder, not a shard" in err and "*-train.tfrecord-*" in err
    assert "Traceback" not in err


@pytest.fixture
def foreign_shard(tmp_path):
    """A shard of another tool's schema (an image classification set), named like ours."""
    path = tmp_path / "other-train.tfrecord-00000-of-00001"
    with tf.io.TFRecordWriter(str(path)) as w:
        for label in range(3):
            ex = tf.train.Example(features=tf.train.Features(feature={
                "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"\x89PNG"])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label]))}))
            w.write(ex.SerializeToString())
    return path


def test_shards_of_another_schema_are_one_line_errors_in_fit_and_score(foreign_shard, train_glob, tmp_path, capsys):
    pattern = f"{train_glob},{foreign_shard}"  # one foreign shard among good ones
    assert fit.main(["--train", pattern, "--out", str(tmp_path / "run"), *TINY_FLAGS]) == 2
    err = capsys.readouterr().err
    assert f"error: {foreign_shard}: not a blurgen shard" in err and "image/encoded (bytes_list)" in err
    assert "label (int64_list)" in err and "Traceback" not in err
    assert score.main(["--model", "identity", "--data", str(foreign_shard), "--out", str(tmp_path / "r.json")]) == 2
    assert f"error: {foreign_shard}: not a blurgen shard" in capsys.readouterr().err


def test_compare_with_a_missing_or_broken_report_is_a_one_line_error(tmp_path, capsys):
    missing = tmp_path / "nope" / "report.json"
    assert compare.main([str(missing), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err
    assert f"error: {missing}: cannot be read" in err and "Traceback" not in err
    (tmp_path / "list.json").write_text("[1, 2]")
    assert compare.main([str(tmp_path / "list.json"), "--out", str(tmp_path / "cmp")]) == 2
    assert "not a score report" in capsys.readouterr().err
    assert not (tmp_path / "cmp").exists()


def test_compare_never_writes_over_a_report(tmp_path, capsys):
    report = tmp_path / "comparison.json"  # a report that happens to sit where the table would go
    report.write_text(json.dumps({"format": score.REPORT_FORMAT, "images": [], "metrics": []}))
    before = report.read_text()
    assert compare.main([str(report), "--out", str(tmp_path), "--no-picture"]) == 2
    assert "would destroy the input" in capsys.readouterr().err and report.read_text() == before


def _session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (from /proc: the session id is field 6 of stat)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_blurgen_score_leaves_no_trainer_running(test_glob, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "blurgen.cli", "score", "--model", "identity", "--data", test_glob,
                             "--out", str(tmp_path / "r.json")],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("training.commands score" in _cmdline(p) for p in _session(proc.pid)):
        time.sleep(0.02)
    assert proc.poll() is None, "the trainer ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    left = _session(proc.pid)
    for pid in left:  # what the forwarding left behind; ours to end
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running after SIGKILL of blurgen: {[_cmdline(p) for p in left]}"
