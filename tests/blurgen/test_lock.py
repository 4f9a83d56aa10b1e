"""One writer per output folder (blurgen.outputs.lock): refusal naming the holder, takeover of a dead
holder's lock, another machine's lock honoured until --break-lock, the object-store marker.

The holders here are real processes: a second Python process holds the lock, is killed with
SIGKILL, or ends cleanly, and the lock is tried from this process or a third one.
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blurgen.outputs import holder as holder_mod
from blurgen.outputs import lock
from blurgen.outputs.holder import Holder
from blurgen.outputs.lock import LOCK_FILE, OutputBusy, output_lock

REPO = Path(__file__).resolve().parents[2]
STARTED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"
# Holds the lock on argv[1] until its stdin closes (then releases it cleanly).
HOLD = """
import sys
from blurgen.outputs.lock import output_lock
with output_lock(sys.argv[1], command="holder"):
    print("held", flush=True)
    sys.stdin.read()
"""
# Tries the lock on argv[1] (argv[2] == "break": with break_lock); exit 2 and the message if refused.
TRY = """
import sys
from blurgen.outputs.lock import OutputBusy, output_lock
try:
    with output_lock(sys.argv[1], command="second", break_lock=sys.argv[2:] == ["break"]) as held:
        print("acquired", held.mode, flush=True)
except OutputBusy as exc:
    print(exc, file=sys.stderr)
    sys.exit(2)
"""


def hold(out: Path) -> subprocess.Popen:
    """A process holding the lock on ``out`` (close its stdin to let it release)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n", proc.stderr.read()
    return proc


def try_lock(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRY, str(out), *extra], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


def release(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0, proc.stderr.read()


def record(**changes) -> Holder:
    """A holder's record: this machine's unless ``host`` is changed."""
    fields = dict(pid=4242, host=socket.gethostname(), started="2026-12-05 10:32:01 +0000", command="blurgen synth",
                  command_line="blurgen synth --src a --out b", boot=holder_mod.boot_id(), proc_start=None, token="t")
    return Holder(**{**fields, **changes})


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_process_is_refused_and_told_who_holds_the_lock(tmp_path):
    out = tmp_path / "out"
    holder = hold(out)
    try:
        second = try_lock(out)
        assert second.returncode == 2 and second.stdout == ""
        pattern = (rf"--out {re.escape(str(out))} is in use by holder \(pid {holder.pid} on host "
                   rf"{re.escape(socket.gethostname())}, started {STARTED}, command line `python -c .+`\); wait for "
                   r"that run to finish \(or stop it\), or choose another --out\n")
        assert re.fullmatch(pattern, second.stderr), second.stderr
        assert "still holds" in try_lock(out, "break").stderr, "--break-lock cannot take a running process's lock"
    finally:
        release(holder)
    after = try_lock(out)
    assert after.returncode == 0 and after.stdout == "acquired flock\n" and after.stderr == ""
    assert not out.exists(), "the folder the holder created held nothing else: it is gone with the lock"


def test_a_clean_release_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine\n")
    with output_lock(str(out)) as held:
        assert held.mode == "flock" and held.previous is None
        assert Holder.from_bytes((out / LOCK_FILE).read_bytes()) == held.holder
        assert held.holder.pid == os.getpid()
    assert sorted(os.listdir(out)) == ["mine.txt"]
    nested = tmp_path / "a" / "b"
    with output_lock(str(nested)):
        assert nested.is_dir()
        (nested / "result").write_text("made\n")
    assert sorted(os.listdir(nested)) == ["result"], "a folder holding what the run wrote stays"


def test_a_killed_holders_lock_is_taken_over_with_a_warning(tmp_path, capsys):
    out = tmp_path / "out"
    holder = hold(out)
    holder.kill()
    holder.wait(timeout=30)
    left = Holder.from_bytes((out / LOCK_FILE).read_bytes())
    assert left.pid == holder.pid and left.command == "holder"
    with output_lock(str(out)) as held:
        assert held.previous == left
        assert Holder.from_bytes((out / LOCK_FILE).read_bytes()) == held.holder, "its record replaced by ours"
    err = capsys.readouterr().err
    assert re.fullmatch(rf"warning: --out {re.escape(str(out))} was locked by holder \(pid {holder.pid} on host "
                        rf"{re.escape(socket.gethostname())}, started {STARTED}, command line `python -c .+`\), "
                        r"which ended without releasing it; taking over\n", err), err
    assert not (out / LOCK_FILE).exists()


def test_another_machines_lock_is_honoured_until_break_lock(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    foreign = record(host="elsewhere.example", boot="another-boot")
    (out / LOCK_FILE).write_bytes(foreign.to_bytes())
    with pytest.raises(OutputBusy) as refused:
        with output_lock(str(out)):
            pass
    assert refused.value.holder == foreign
    assert str(refused.value) == (
        f"--out {out} is locked by blurgen synth (pid 4242 on host elsewhere.example, started 2026-12-05 10:32:01 "
        "+0000, command line `blurgen synth --src a --out b`), a run on another machine that cannot be checked from "
        "here; if that run has ended, run again with --break-lock, otherwise wait for it or choose another --out")
    assert (out / LOCK_FILE).read_bytes() == foreign.to_bytes(), "the record stays for the next look"
    assert try_lock(out).returncode == 2, "refused from another process too"
    with output_lock(str(out), break_lock=True) as held:
        assert held.previous == foreign
    assert "breaking the lock of blurgen synth (pid 4242 on host elsewhere.example" in capsys.readouterr().err
    assert not (out / LOCK_FILE).exists()


def test_a_record_from_before_a_reboot_is_taken_over(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    if holder_mod.boot_id() is None:
        pytest.skip("this system does not say which boot it is in")
    (out / LOCK_FILE).write_bytes(record(pid=os.getpid(), boot="a-boot-before-this-one").to_bytes())
    with output_lock(str(out)) as held:
        assert held.previous.boot == "a-boot-before-this-one"
    assert "ended without releasing it" in capsys.readouterr().err


def test_a_lock_file_deleted_between_open_and_lock_is_not_trusted(tmp_path, monkeypatch):
    """The run that held it deleted it as it ended: a lock on the deleted file would lock nothing."""
    out = tmp_path / "out"
    out.mkdir()
    real_flock, deleted = fcntl.flock, []

    def flock_after_the_holder_left(fd, operation):
        if operation & fcntl.LOCK_EX and not deleted:
            os.remove(out / LOCK_FILE)
            deleted.append(True)
        return real_flock(fd, operation)

    monkeypatch.setattr(lock.fcntl, "flock", flock_after_the_holder_left)
    with output_lock(str(out)):
        monkeypatch.setattr(lock.fcntl, "flock", real_flock)
        assert deleted and (out / LOCK_FILE).exists()
        assert try_lock(out).returncode == 2


def test_one_process_cannot_take_its_own_lock_twice(tmp_path):
    with output_lock(str(tmp_path / "out")):
        with pytest.raises(OutputBusy, match="already being written by this same process"):
            with output_lock(str(tmp_path / "out" / ".." / "out")):
                pass


def test_an_out_that_is_a_file_is_refused_and_kept(tmp_path):
    out = tmp_path / "file.txt"
    out.write_text("mine\n")
    with pytest.raises(ValueError, match=r"is a file, not a folder; give a folder for the panels$"):
        with output_lock(str(out), what="the panels"):
            pass
    assert out.read_text() == "mine\n"


def test_without_flock_the_record_alone_is_the_lock(tmp_path, monkeypatch, capsys):
    """File systems without locks: a live process's record refuses, a dead one's is taken over."""
    def no_flock(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(lock, "MARKER_SETTLE_S", 0.0)
    out = tmp_path / "out"
    out.mkdir()
    holder = hold(out)
    try:
        monkeypatch.setattr(lock.fcntl, "flock", no_flock)
        with pytest.raises(OutputBusy, match=rf"in use by holder \(pid {holder.pid} "):
            with output_lock(str(out)):
                pass
    finally:
        monkeypatch.setattr(lock.fcntl, "flock", fcntl.flock)
        release(holder)
    monkeypatch.setattr(lock.fcntl, "flock", no_flock)
    (out / LOCK_FILE).write_bytes(record(pid=dead_pid()).to_bytes())
    with output_lock(str(out)) as held:
        assert held.mode == "marker" and held.previous.pid != os.getpid()
        assert Holder.from_bytes((out / LOCK_FILE).read_bytes()).token == held.holder.token
    assert "ended without releasing it" in capsys.readouterr().err
    assert not (out / LOCK_FILE).exists()


class DictStore:
    """An object store in memory; ``overwrite_after_write`` plays another run writing just after us."""

    def __init__(self, overwrite_after_write: bytes | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.overwrite_after_write = overwrite_after_write

    def read(self, path):
        return self.objects.get(path)

    def write(self, path, data):
        self.objects[path] = data
        if self.overwrite_after_write is not None:
            self.objects[path] = self.overwrite_after_write

    def delete(self, path):
        self.objects.pop(path, None)


OUT = "mem://bucket/run"
MARKER = f"{OUT}/{LOCK_FILE}"


def test_object_store_marker_is_written_checked_and_removed(monkeypatch, capsys):
    monkeypatch.setattr(lock, "MARKER_SETTLE_S", 0.0)
    store = DictStore()
    with output_lock(OUT, store=store) as held:
        assert held.mode == "marker" and held.lock_path == MARKER
        assert Holder.from_bytes(store.objects[MARKER]) == held.holder
    assert store.objects == {}
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = record(pid=sleeper.pid, proc_start=holder_mod.process_start(sleeper.pid))
        store.objects[MARKER] = live.to_bytes()
        with pytest.raises(OutputBusy, match=rf"is in use by blurgen synth \(pid {sleeper.pid} "):
            with output_lock(OUT, store=store, break_lock=True):
                pass
        assert store.objects[MARKER] == live.to_bytes()
    finally:
        sleeper.kill()
        sleeper.wait()
    store.objects[MARKER] = record(pid=sleeper.pid).to_bytes()
    with output_lock(OUT, store=store) as held:
        assert held.previous.pid == sleeper.pid
    assert "ended without releasing it; taking over" in capsys.readouterr().err
    store.objects[MARKER] = record(host="elsewhere.example").to_bytes()
    with pytest.raises(OutputBusy, match="run again with --break-lock"):
        with output_lock(OUT, store=store):
            pass
    with output_lock(OUT, store=store, break_lock=True) as held:
        assert held.previous.host == "elsewhere.example"
    assert store.objects == {}


def test_object_store_marker_written_over_by_another_run_refuses_this_one(monkeypatch):
    monkeypatch.setattr(lock, "MARKER_SETTLE_S", 0.0)
    other = record(host="elsewhere.example", token="theirs").to_bytes()
    store = DictStore(overwrite_after_write=other)
    with pytest.raises(OutputBusy, match="in use by blurgen synth \\(pid 4242 on host elsewhere.example"):
        with output_lock(OUT, store=store):
            pass
    assert store.objects == {MARKER: other}, "the other run's marker is left alone"


def test_object_store_marker_that_is_not_a_record_needs_break_lock(monkeypatch):
    monkeypatch.setattr(lock, "MARKER_SETTLE_S", 0.0)
    store = DictStore()
    store.objects[MARKER] = b"something else"
    with pytest.raises(OutputBusy, match="not a blurgen lock record"):
        with output_lock(OUT, store=store):
            pass
    with output_lock(OUT, store=store, break_lock=True):
        pass
    with pytest.raises(ValueError, match="cannot write to mem:// paths; give a local folder"):
        with output_lock(OUT):
            pass


def test_recorded_holder_reads_without_locking(tmp_path):
    out = tmp_path / "out"
    assert lock.recorded_holder(str(out)) == (None, None)
    holder = hold(out)
    found, state = lock.recorded_holder(str(out))
    assert (found.pid, state) == (holder.pid, lock.RUNNING)
    holder.kill()
    holder.wait()
    assert lock.recorded_holder(str(out))[1] == lock.ENDED
    (out / LOCK_FILE).write_bytes(record(host="elsewhere.example").to_bytes())
    assert lock.recorded_holder(str(out))[1] == lock.UNKNOWN


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux's /proc")
def test_a_zombie_or_a_reused_pid_is_not_alive():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = record(pid=proc.pid, proc_start=holder_mod.process_start(proc.pid))
        assert mine.alive()
        assert not record(pid=proc.pid, proc_start=mine.proc_start - 1).alive(), "a later process, same pid"
        proc.kill()
        end = time.monotonic() + 10
        while mine.alive() and time.monotonic() < end:  # killed, not reaped: a zombie
            time.sleep(0.02)
        assert not mine.alive()
    finally:
        proc.kill()
        proc.wait()
    assert not record(pid=proc.pid).alive()


def test_locks_out_parses_first_and_holds_the_lock_around_run(tmp_path):
    def make_parser():
        p = argparse.ArgumentParser(prog="blurgen thing")
        p.add_argument("--out", required=True)
        lock.add_break_lock_flag(p)
        return p

    seen = []

    @lock.locks_out(make_parser, what="the things")
    def run(argv=None):
        seen.append(Holder.from_bytes((tmp_path / "out" / LOCK_FILE).read_bytes()).command)
        return "done"

    assert run(["--out", str(tmp_path / "out")]) == "done" and seen == ["blurgen thing"]
    with pytest.raises(SystemExit):
        run(["--oops"])
    assert sorted(os.listdir(tmp_path)) == [], "a usage error stops before the lock: no folder made"


def test_an_object_store_that_refuses_the_marker_is_a_one_line_error(monkeypatch):
    class Refusing(DictStore):
        def write(self, path, data):
            raise PermissionError(errno.EACCES, "Permission denied")

    with pytest.raises(ValueError, match=rf"^--out {OUT}: cannot write there \(Permission denied\); choose a folder"):
        with output_lock(OUT, store=Refusing()):
            pass


def test_preview_refuses_a_folder_in_use_in_one_line(tmp_path):
    from click.testing import CliRunner

    from blurgen.cli import main

    out = tmp_path / "panels"
    holder = hold(out)
    try:
        result = CliRunner().invoke(main, ["preview", str(REPO / "samples" / "coffee.png"), "--out", str(out)])
    finally:
        release(holder)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: --out {out} is in use by holder (pid {holder.pid} on host ")
    assert result.output.count("\n") == 1 and not out.exists()


def test_check_free_refuses_early_what_the_lock_would_refuse(tmp_path):
    out = tmp_path / "out"
    lock.check_free(str(out))  # nothing there
    holder = hold(out)
    try:
        with pytest.raises(OutputBusy, match=rf"in use by holder \(pid {holder.pid} .*still holds"):
            lock.check_free(str(out), break_lock=True)
    finally:
        holder.kill()
        holder.wait()
    lock.check_free(str(out))  # a dead run's record: the lock takes it over
    (out / LOCK_FILE).write_bytes(record(host="elsewhere.example").to_bytes())
    with pytest.raises(OutputBusy, match="run again with --break-lock"):
        lock.check_free(str(out))
    lock.check_free(str(out), break_lock=True)
