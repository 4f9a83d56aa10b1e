"""A dataset appears whole or not at all, and nothing in --out is lost to a killed or failed run.

The runs here are real: ``synth`` in a subprocess killed with SIGKILL while it writes, a commit
cut short by a failing rename, a folder that already holds another dataset, an ``--out`` that is a
file or sits on a read-only file system.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apache_beam.io.filesystems import FileSystems

from pipelines import commit, inspection, synth

from pipeline_helpers import REPO, SAMPLES, small_copy, write_rgb

RUNNER = ["--runner=DirectRunner"]


def _dataset_files(out: Path) -> dict[str, bytes]:
    """Every file of the dataset in ``out`` (hidden staging folders excluded), by name."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def bigger_photos(tmp_path_factory) -> Path:
    """24 photos of 480 px: enough work that a run can be killed while it writes."""
    root = tmp_path_factory.mktemp("bigger")
    for i in range(24):
        write_rgb(root / f"p{i:02d}.png", small_copy(SAMPLES[i % len(SAMPLES)], 480 - 4 * i))
    return root


def _synth_process(src: Path, out: Path, *flags: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipelines.synth", "--src", str(src), "--out", str(out), *RUNNER, *flags]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and any(path.iterdir()):
            return
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stdout.read()[-2000:]!r}"
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.slow
def test_sigkill_mid_run_leaves_the_old_dataset_whole_and_a_rerun_succeeds(photos, bigger_photos, tmp_path):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "2", *RUNNER])
    before = _dataset_files(out)
    assert len([n for n in before if ".tfrecord-" in n]) == 2

    flags = ("--variants", "3", "--num-shards", "3", "--overwrite")
    proc = _synth_process(bigger_photos, out, *flags)
    _wait_for(out / ".blurgen.incomplete" / "spool", proc)  # records are being written
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert _dataset_files(out) == before, "the old dataset is untouched, byte for byte"
    assert inspection.inspect_dataset(str(out)).ok
    assert (out / ".blurgen.incomplete").is_dir(), "the killed run's staging folder is left behind"

    rerun = _synth_process(bigger_photos, out, *flags)
    output = rerun.communicate(timeout=600)[0].decode()
    assert rerun.returncode == 0, output[-3000:]
    assert "deleted what an unfinished run left" in output
    assert not (out / ".blurgen.incomplete").exists()
    report = inspection.inspect_dataset(str(out))
    assert report.ok, report.problems
    assert sum(s.records for s in report.splits.values()) == 24 * 3
    assert len([n for n in _dataset_files(out) if ".tfrecord-" in n]) == 3 * len(report.splits)


@pytest.mark.slow
def test_a_commit_cut_short_is_finished_by_the_next_run(photos, tmp_path, monkeypatch):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "1", *RUNNER])
    old = _dataset_files(out)
    renamed = []
    real_rename = FileSystems.rename

    def rename_then_die(sources, targets):
        if len(renamed) == 2:  # the process "dies" after moving two files in
            raise KeyboardInterrupt("killed while committing")
        renamed.append(sources)
        real_rename(sources, targets)

    monkeypatch.setattr(FileSystems, "rename", staticmethod(rename_then_die))
    with pytest.raises(KeyboardInterrupt):
        synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "3", "--overwrite", *RUNNER])
    monkeypatch.setattr(FileSystems, "rename", staticmethod(real_rename))
    report = inspection.inspect_dataset(str(out))
    assert not report.ok and any("half done" in p for p in report.problems)
    assert not (out / "dataset_info.json").exists(), "the old counts went first: nobody trusts them mid-commit"

    assert commit.recover(str(out)) == [f"finished the commit of an interrupted run ({out / '.blurgen.incomplete'})"]
    report = inspection.inspect_dataset(str(out))
    assert report.ok, report.problems
    now = _dataset_files(out)
    assert len([n for n in now if ".tfrecord-" in n]) == 3 and not set(now) & {n for n in old if ".tfrecord-" in n}


@pytest.mark.slow
def test_a_run_that_raises_leaves_the_old_dataset_and_no_staging(photos, tmp_path):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), *RUNNER])
    before = _dataset_files(out)
    with pytest.raises(RuntimeError, match="the job failed"):
        synth.run(["--src", str(photos), "--out", str(out), "--overwrite", "--variants", "2",
                   "--runner", "runner_for_tests.FailingRunner"])
    assert _dataset_files(out) == before
    assert not (out / ".blurgen.incomplete").exists(), "its spool files and shards were deleted"


def _fake_dataset(out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "dataset_info.json").write_text(json.dumps({"name": name, "splits": []}))
    (out / f"{name}-train.tfrecord-00000-of-00001").write_bytes(b"")


def test_another_name_in_the_same_out_is_refused(photos, tmp_path, capsys):
    out = tmp_path / "out"
    _fake_dataset(out, "first")
    before = _dataset_files(out)
    code = synth.main(["--src", str(photos), "--out", str(out), "--name", "second", *RUNNER])
    err = capsys.readouterr().err
    assert code == 2 and "already holds dataset 'first'" in err and "one folder holds one dataset" in err, err
    assert _dataset_files(out) == before and err.count("\n") == 1


@pytest.mark.slow
def test_overwrite_replaces_another_name_only_when_the_run_succeeded(photos, tmp_path):
    out = tmp_path / "out"
    _fake_dataset(out, "first")
    synth.run(["--src", str(photos), "--out", str(out), "--name", "second", "--overwrite", *RUNNER])
    assert not list(out.glob("first-*")) and list(out.glob("second-*"))
    assert inspection.inspect_dataset(str(out)).ok


def test_inspect_finds_shards_of_another_dataset(tmp_path):
    out = tmp_path / "out"
    _fake_dataset(out, "first")
    (out / "second-train.tfrecord-00000-of-00001").write_bytes(b"")
    report = inspection.inspect_dataset(str(out))
    assert any("a shard of dataset 'second' beside dataset 'first'" in p for p in report.problems), report.problems


@pytest.mark.slow
def test_a_failed_run_does_not_replace_a_dataset(photos, tmp_path, capsys):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), *RUNNER])
    before = _dataset_files(out)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.png").write_bytes(b"")
    code = synth.main(["--src", str(bad), "--out", str(out), "--overwrite", *RUNNER])
    printed = capsys.readouterr()
    assert code == 1 and "no pairs were written" in printed.err
    assert _dataset_files(out) == before
    kept = out / ".blurgen.failed"
    assert f"this run's shards and metadata are in {kept}" in printed.out
    assert json.loads((kept / "manifest.json").read_text())["rejected"] == 1


def test_out_that_is_a_file_is_a_one_line_error(photos, tmp_path, capsys):
    out = tmp_path / "file.txt"
    out.write_text("mine\n")
    assert synth.main(["--src", str(photos), "--out", str(out), *RUNNER]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --out {out} is a file, not a folder; give a folder for the dataset\n"
    assert out.read_text() == "mine\n"


def test_out_on_a_read_only_file_system_is_a_one_line_error(photos, tmp_path):
    """A real read-only mount, in a private mount namespace (skips where that is not allowed)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed: cannot make a read-only file system here")
    ro = tmp_path / "ro"
    ro.mkdir()
    script = (f"mount -t tmpfs -o ro none {ro} || exit 77; "
              f"exec {sys.executable} -m pipelines.synth --src {photos} --out {ro}/out --runner=DirectRunner")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode == 77 or "unshare failed" in proc.stderr:
        pytest.skip(f"no private read-only mount allowed here: {proc.stderr.strip()[-200:]}")
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert lines == [f"error: --out {ro}/out: cannot write there (Read-only file system); "
                     f"choose a folder you can write to"], lines
