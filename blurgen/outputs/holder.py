"""Who holds an output lock, whether it still runs, and what a run that finds it does and says.

A :class:`Holder` names the process (id, host, start time, command line) that holds the lock on
an output folder (:mod:`blurgen.outputs.lock`). It is written as one JSON line into the lock file, so
that a run refused at the door can say who is writing, and a run that finds the record of a
process that died can say whose lock it takes over. Whether that process still runs can only be
checked on its own machine: the same host name and the same boot (Linux's ``boot_id``).
:func:`judge` is the one rule for a record found (honour it, take it over, or break it) and
:class:`Words` the one-line messages a user reads.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shlex
import socket
import sys
import time
import uuid
from dataclasses import dataclass

# A command line longer than this is cut in messages and records (a shell glob can expand to
# thousands of file names).
COMMAND_LINE_MOST = 500

SAME, REBOOTED, OTHER = "same machine", "same host, since restarted", "another machine"


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def boot_id() -> str | None:
    """This boot of this machine (Linux), or ``None`` where the system does not say."""
    text = _read_text("/proc/sys/kernel/random/boot_id")
    return text.strip() if text else None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3 onwards of ``/proc/PID/stat`` (state first), or ``None``: the command name in
    field 2 may hold spaces and parentheses, so the fields are taken after its last ``)``."""
    text = _read_text(f"/proc/{pid}/stat")
    return text.rpartition(")")[2].split() if text else None


def process_start(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), or ``None``. With the pid
    it names one process: a pid reused by a later process has a later start."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


def command_line(argv: list[str] | None = None) -> str:
    """This process's command line as a user would type it (``blurgen synth --out x``, ``python
    -m training.fit ...``), shell-quoted and cut to :data:`COMMAND_LINE_MOST` characters."""
    argv = list(sys.argv if argv is None else argv) or ["python"]
    prog = os.path.basename(argv[0])
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if prog.endswith(".py") and spec is not None and spec.name:
        prog = f"python -m {spec.name.removesuffix('.__main__')}"  # started as python -m MODULE
    elif prog == "-c":
        prog = "python -c"  # the program text itself is not in argv
    text = " ".join([prog, shlex.join(argv[1:])]).strip()
    return text if len(text) <= COMMAND_LINE_MOST else text[:COMMAND_LINE_MOST - 3] + "..."


@dataclass(frozen=True)
class Holder:
    """One run that holds (or held) an output lock.

    ``pid``, ``host`` and ``boot`` say where it runs; ``proc_start`` (clock ticks since boot)
    tells it from a later process given the same pid; ``started`` is local wall-clock time,
    for people; ``command`` names the blurgen command and ``command_line`` the whole line;
    ``token`` is unique to one acquisition (object stores compare it to tell two writers apart).
    """

    pid: int
    host: str
    started: str
    command: str
    command_line: str
    boot: str | None = None
    proc_start: int | None = None
    token: str = ""

    @classmethod
    def this_process(cls, command: str | None = None) -> "Holder":
        line = command_line()
        return cls(pid=os.getpid(), host=socket.gethostname(), started=time.strftime("%Y-%m-%d %H:%M:%S %z"),
                   command=command or line.split(" --", 1)[0][:80], command_line=line, boot=boot_id(),
                   proc_start=process_start(os.getpid()), token=uuid.uuid4().hex)

    def to_bytes(self) -> bytes:
        return (json.dumps(dataclasses.asdict(self), sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "Holder | None":
        """The record in ``data``; ``None`` for nothing, or for a record cut short or not ours."""
        try:
            fields = json.loads((data or b"").decode("utf-8"))
            names = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in fields.items() if k in names})
        except (ValueError, TypeError, AttributeError):
            return None

    def describe(self) -> str:
        """``blurgen synth (pid 4242 on host box, started 2026-12-05 10:32:01 +0100, command line
        `blurgen synth --src a --out b`)``: one line naming the run."""
        return (f"{self.command} (pid {self.pid} on host {self.host}, started {self.started}, "
                f"command line `{self.command_line}`)")

    def machine(self) -> str:
        """:data:`SAME`, :data:`REBOOTED` (its process cannot be running) or :data:`OTHER`."""
        if self.host != socket.gethostname():
            return OTHER
        mine = boot_id()
        return REBOOTED if self.boot and mine and self.boot != mine else SAME

    def alive(self) -> bool:
        """Whether the process still runs; only meaningful on its own machine (see :meth:`machine`).
        A zombie (killed, not yet reaped by its parent) counts as ended."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        except OSError:
            return True  # cannot tell (no such call here): assume it runs
        fields = _stat_fields(self.pid)
        if fields is None:
            return True
        if fields[0] in ("Z", "X"):
            return False
        return self.proc_start is None or process_start(self.pid) in (None, self.proc_start)


class OutputBusy(ValueError):
    """Another run holds the output; ``holder`` is its record (``None`` where it wrote none)."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class Words:
    """The messages, worded for one output: ``flag`` (``--out``), its ``path``, ``what`` it holds."""

    flag: str
    path: str
    what: str

    def busy(self, h: Holder | None, break_lock: bool = False) -> str:
        """A running process holds it; ``break_lock``: the user asked to break it, which cannot be done."""
        if h is None:
            text = (f"{self.flag} {self.path} is in use by another process, which has not written who it is yet; "
                    f"wait for it to finish, or choose another {self.flag}")
        else:
            text = (f"{self.flag} {self.path} is in use by {h.describe()}; wait for that run to finish (or stop "
                    f"it), or choose another {self.flag}")
        return text + ("; --break-lock takes over only the lock of a run that has ended, and this one's process "
                       "still holds it" if break_lock else "")

    def foreign(self, h: Holder) -> str:
        return (f"{self.flag} {self.path} is locked by {h.describe()}, a run on another machine that cannot be "
                f"checked from here; if that run has ended, run again with --break-lock, otherwise wait for it "
                f"or choose another {self.flag}")

    def not_a_record(self) -> str:
        return (f"{self.flag} {self.path} holds a lock file that is not a blurgen lock record; if no run "
                f"writes there, run again with --break-lock, or choose another {self.flag}")

    def taken_over(self, h: Holder | None) -> str:
        who = h.describe() if h else "a run whose record is unreadable"
        return f"warning: {self.flag} {self.path} was locked by {who}, which ended without releasing it; taking over"

    def broken(self, h: Holder | None) -> str:
        who = h.describe() if h else "an unreadable lock record"
        return (f"warning: {self.flag} {self.path}: breaking the lock of {who} (--break-lock); if that run still "
                f"writes there, the two runs will overwrite each other's files")

    def unwritable(self, reason: str) -> str:
        return f"{self.flag} {self.path}: cannot write there ({reason}); choose a folder you can write to"


def warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def judge(previous: Holder | None, granted: bool, break_lock: bool, words: Words) -> None:
    """Raise :class:`OutputBusy` when ``previous`` (the record found) must be honoured; warn when
    it is taken over. ``granted``: the system's lock was granted, so no process on this machine
    holds it."""
    if previous is None:
        return
    where = previous.machine()
    if where == OTHER:
        if not break_lock:
            raise OutputBusy(words.foreign(previous), previous)
        warn(words.broken(previous))
        return
    if not granted and where != REBOOTED and previous.alive():
        raise OutputBusy(words.busy(previous, break_lock), previous)
    warn(words.taken_over(previous))
