"""A dataset appears whole or not at all, and nothing in --out is lost to a killed or failed run.

The runs here are real: ``synth`` in a subprocess killed with SIGKILL while it writes, a commit
cut short by a failing rename, a folder that already holds another dataset, an ``--out`` that is a
file or sits on a read-only file system.
"""
from __future__ import annotations

import contextlib
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

from blurgen.outputs.lock import LOCK_FILE
from pipelines import inspection, synth
from pipelines.shards import commit
from blurgen.outputs import atomic

from pipeline_helpers import REPO, SAMPLES, small_copy, write_rgb

RUNNER = ["--runner=DirectRunner"]


def _dataset_files(out: Path) -> dict[str, bytes]:
    """Every file of the dataset in ``out`` (hidden staging folders and a killed run's lock file
    excluded), by name."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and p.name != LOCK_FILE}


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
    assert f'"pid": {proc.pid},' in (out / LOCK_FILE).read_text(), "and its lock file, with its record"

    rerun = _synth_process(bigger_photos, out, *flags)
    output = rerun.communicate(timeout=600)[0].decode()
    assert rerun.returncode == 0, output[-3000:]
    assert f"was locked by blurgen synth (pid {proc.pid} on host " in output and "ended without releasing it" in output
    assert "deleted what an unfinished run left" in output
    assert not (out / ".blurgen.incomplete").exists() and not (out / LOCK_FILE).exists()
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


class _Killed(BaseException):
    """The process 'dies' here (a BaseException, so that no handler in the code catches it)."""


def _reader_problems(out: Path) -> list[str] | None:
    """What a reader that trusts ``dataset_info.json`` finds wrong in ``out``: every shard it lists
    must be there with the records it counts. ``None`` while the file is absent (a reader then
    knows a commit is under way)."""
    from pipelines.shards.records import read_records
    info_path = out / "dataset_info.json"
    if not info_path.exists():
        return None
    info = json.loads(info_path.read_text())
    problems = []
    for split in info["splits"]:
        lengths = [int(n) for n in split["shardLengths"]]
        for i, expected in enumerate(lengths):
            shard = out / f"{info['name']}-{split['name']}.tfrecord-{i:05d}-of-{len(lengths):05d}"
            if not shard.exists():
                problems.append(f"{shard.name} is listed but absent")
                continue
            with open(shard, "rb") as f:
                found = sum(1 for _ in read_records(f, shard.name))
            if found != expected:
                problems.append(f"{shard.name} holds {found} records, dataset_info.json says {expected}")
    return problems


@pytest.fixture(scope="module")
def old_and_new(photos, tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files of two datasets of one name: 1 shard per split, and 3 shards per split of 2 variants."""
    root = tmp_path_factory.mktemp("datasets")
    synth.run(["--src", str(photos), "--out", str(root / "old"), "--num-shards", "1", *RUNNER])
    synth.run(["--src", str(photos), "--out", str(root / "new"), "--num-shards", "3", "--variants", "2", *RUNNER])
    return _dataset_files(root / "old"), _dataset_files(root / "new")


def _commit_killed_at(out: Path, old: dict, new: dict, step: int, monkeypatch) -> bool:
    """Lay out the old dataset in ``out`` and the new one staged, then commit, killing the commit
    at its ``step``-th file operation (writing the journal, each rename, each delete). Returns
    whether it was killed (False: the commit had fewer steps and finished)."""
    out.mkdir()
    staging = Path(commit.staging_dir(str(out), "blurgen"))
    (staging / "spool").mkdir(parents=True)
    for files, folder in ((old, out), (new, staging)):
        for name, data in files.items():
            (folder / name).write_bytes(data)
    done = [0]

    def step_or_die(real, half_write=False):
        def op(*args, **kwargs):
            if done[0] == step:
                if half_write:  # killed while writing: half the bytes reach the disk
                    real(args[0], args[1][: len(args[1]) // 2])
                raise _Killed(f"killed at step {step}")
            done[0] += 1
            return real(*args, **kwargs)
        return op

    class HalfThenKilled:
        """A file being written when the process dies: half the bytes reach the disk."""

        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise _Killed(f"killed at step {step}")

    def open_or_die(real_open):  # the journal's partial file, written by blurgen.outputs.atomic
        @contextlib.contextmanager
        def op(self, path):
            with real_open(self, path) as f:
                if done[0] == step:
                    yield HalfThenKilled(f)
                done[0] += 1
                yield f
        return op

    with monkeypatch.context() as m:
        m.setattr(atomic.LocalFiles, "open", open_or_die(atomic.LocalFiles.open))
        m.setattr(os, "replace", step_or_die(os.replace))
        m.setattr(FileSystems, "rename", staticmethod(step_or_die(FileSystems.rename)))
        m.setattr(os, "remove", step_or_die(os.remove))
        m.setattr(shutil, "rmtree", step_or_die(shutil.rmtree))
        m.setattr(commit.inputs, "write_bytes", step_or_die(commit.inputs.write_bytes, half_write=True))
        try:
            commit.commit(str(out), str(staging))
        except _Killed:
            return True
    return False


@pytest.mark.slow
def test_a_commit_killed_at_any_step_never_shows_a_reader_a_wrong_dataset(old_and_new, tmp_path, monkeypatch):
    # At every point where the commit can die: the old dataset untouched until the journal exists
    # whole; dataset_info.json either absent or naming exactly the shards that are there; and the
    # next run's recovery ends with the new dataset, whole.
    old, new = old_and_new
    assert len([n for n in new if ".tfrecord-" in n]) > len([n for n in old if ".tfrecord-" in n])
    steps = 0
    while _commit_killed_at(tmp_path / f"out{steps}", old, new, steps, monkeypatch):
        out = tmp_path / f"out{steps}"
        if not (out / ".blurgen.incomplete" / commit.JOURNAL).exists():
            assert _dataset_files(out) == old, f"killed at step {steps}, before the journal: old dataset changed"
        problems = _reader_problems(out)
        assert not problems, f"killed at step {steps}: {problems}"
        commit.recover(str(out))
        assert _dataset_files(out) in (old, new), f"killed at step {steps}: recovery gave neither dataset"
        assert _reader_problems(out) == [] and not (out / ".blurgen.incomplete").exists()
        steps += 1
    assert _dataset_files(tmp_path / f"out{steps}") == new
    assert steps >= 10, steps  # journal, its rename, old files removed one by one, new ones moved in


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
