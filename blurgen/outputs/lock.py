"""One writer per output folder: a command holds an exclusive lock on its output while it writes.

    from blurgen.outputs.lock import output_lock

    with output_lock(out, command="blurgen synth", break_lock=args.break_lock, what="the dataset"):
        ...  # read and write ``out``: no other blurgen run writes there meanwhile

A second run into the same folder is refused at the door with :class:`OutputBusy`, a
``ValueError`` whose one-line message names the holder (process id, host, start time, command
line) and what to do, so that commands report it as their other usage errors (exit status 2).
:func:`locks_out` does the same around a command's ``run(argv)``.

**Local folders**: the lock is the operating system's (``flock``) on ``OUT/.blurgen.lock``,
created first (with the folder, when missing), before the command reads or writes anything
else there. The system releases it when the process ends, however it ends (SIGKILL included),
so a run that died never blocks the next one; the holder's record, left in the file, lets the
next run name whose lock it takes over (with a warning). A run that ends deletes the file, and
the folders it created when nothing else is in them. A record from another machine is honoured
even when the system grants the lock: on a network file system whose locks do not reach across
machines that run may still be writing, and nothing here can check, so only ``break_lock``
(``--break-lock``) takes it over. Where the file system has no locks at all, the record alone
is the lock, as on object stores.

**Object stores** (``gs://``, any ``scheme://``): no atomic lock exists through the file-system
interfaces used here. The lock is a marker object with the record, checked, written, and read
back after :data:`MARKER_SETTLE_S`; see ``docs/locking.md`` for what that does and does not
guarantee. ``store`` (a :class:`MarkerStore`) reads and writes such paths; the pipelines pass
one over Beam's file systems, the trainer one over ``tf.io.gfile``.
"""
from __future__ import annotations

import argparse

import contextlib
import errno
import functools
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from blurgen.outputs.holder import OTHER, REBOOTED, Holder, OutputBusy, Words, judge, warn

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the record alone is the lock
    fcntl = None

LOCK_FILE = ".blurgen.lock"
MARKER_SETTLE_S = 1.0  # object stores: the wait between writing the marker and reading it back
BUSY_RECORD_WAIT_S = 1.0  # how long a refused run waits for a new holder to write its record
BREAK_LOCK_HELP = ("take over the lock that a run on another machine left on --out, once you know that run "
                   "has ended (see docs/locking.md)")
_NO_FLOCK = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_held: set[str] = set()  # outputs this process holds: a second lock from the same process is refused
_held_guard = threading.Lock()


class MarkerStore(Protocol):
    """Reads and writes whole small objects by path (an object store's marker)."""

    def read(self, path: str) -> bytes | None: ...  # None when there is no such object
    def write(self, path: str, data: bytes) -> None: ...
    def delete(self, path: str) -> None: ...


@dataclass
class OutputLock:
    """A held lock: ``holder`` is this run's record; ``previous`` the record of the run whose
    lock it took over (one that died, or broken with ``break_lock``), else ``None``."""

    path: str
    lock_path: str
    holder: Holder
    previous: Holder | None
    mode: str  # "flock" (the system's lock) or "marker" (the record alone)


def is_remote(path: str) -> bool:
    return bool(_REMOTE.match(path))


def lock_path_of(path: str) -> str:
    return f"{path.rstrip('/')}/{LOCK_FILE}" if is_remote(path) else os.path.join(path, LOCK_FILE)


class _MarkerLock:
    """The record alone as the lock (object stores, file systems without locks): best effort."""

    def __init__(self, lock_path: str, store: MarkerStore, me: Holder, words: Words) -> None:
        self.lock_path, self.store, self.me, self.words = lock_path, store, me, words

    def acquire(self, break_lock: bool) -> tuple[Holder | None, str]:
        try:
            return self._take(break_lock)
        except OSError as exc:  # the store refuses (no permission, no such bucket)
            raise ValueError(self.words.unwritable(exc.strerror or str(exc))) from None

    def _take(self, break_lock: bool) -> tuple[Holder | None, str]:
        found = self.store.read(self.lock_path)
        previous = Holder.from_bytes(found)
        if found is not None and previous is None and not break_lock:
            raise OutputBusy(self.words.not_a_record(), None)
        if found is not None and previous is None:
            warn(self.words.broken(None))
        judge(previous, False, break_lock, self.words)
        self.store.write(self.lock_path, self.me.to_bytes())
        time.sleep(MARKER_SETTLE_S)  # a run that read before our write has written by now: read back
        now = Holder.from_bytes(self.store.read(self.lock_path))
        if now is None or now.token != self.me.token:
            raise OutputBusy(self.words.busy(now), now)
        return previous, "marker"

    def release(self) -> None:
        now = Holder.from_bytes(self.store.read(self.lock_path))
        if now is not None and now.token == self.me.token:
            self.store.delete(self.lock_path)
        else:
            warn(f"warning: {self.words.flag} {self.words.path}: this run's lock was taken over while it ran"
                  + (f", by {now.describe()}" if now else ""))


class LocalStore:
    """Marker files on a local or mounted file system, for file systems without ``flock``."""

    def read(self, path: str) -> bytes | None:
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def write(self, path: str, data: bytes) -> None:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # the record appears whole

    def delete(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _make_folders(folder: str, words: Words) -> list[str]:
    """Create ``folder`` and the folders above it that are missing; returns those created, deepest first.

    Raises:
      ValueError: ``folder`` is a file, or cannot be created (read-only, no permission).
    """
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise ValueError(f"{words.flag} {words.path} is a file, not a folder; give a folder for {words.what}")
    missing, p = [], os.path.abspath(folder)
    while not os.path.lexists(p) and os.path.dirname(p) != p:
        missing.append(p)
        p = os.path.dirname(p)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ValueError(words.unwritable(exc.strerror or str(exc))) from None
    return missing


def _read_all(fd: int) -> bytes:
    return os.pread(fd, 1 << 16, 0)


def _same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (a holder that ended may have deleted it
    between our open and our lock: a lock on a deleted file locks nothing)."""
    try:
        st, now = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)


def _busy_record(fd: int) -> Holder | None:
    """The holder's record, waiting briefly for a holder that has just locked to write it (until
    then the file is empty, or still holds the record of a run that died)."""
    deadline = time.monotonic() + BUSY_RECORD_WAIT_S
    while True:
        h = Holder.from_bytes(_read_all(fd))
        stale = h is not None and (h.machine() == REBOOTED or (h.machine() != OTHER and not h.alive()))
        if (h is not None and not stale) or time.monotonic() >= deadline:
            return None if stale else h
        time.sleep(0.05)


class _FileLock:
    """``flock`` on ``folder/.blurgen.lock``; falls back to :class:`_MarkerLock` where there is no ``flock``."""

    def __init__(self, folder: str, me: Holder, words: Words) -> None:
        self.folder, self.me, self.words = folder, me, words
        self.lock_path = os.path.join(folder, LOCK_FILE)
        self.fd: int | None = None
        self.marker: _MarkerLock | None = None
        self.created: list[str] = []

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):
            try:
                return os.open(self.lock_path, flags, 0o666)
            except FileNotFoundError:  # a holder that ended removed the folder it had created
                self.created = _make_folders(self.folder, self.words) or self.created
            except OSError as exc:
                raise ValueError(self.words.unwritable(exc.strerror or str(exc))) from None
        raise ValueError(self.words.unwritable("the folder keeps disappearing"))

    def _lock(self, break_lock: bool) -> int | None:
        """The open, locked lock file; ``None`` where the file system has no ``flock``."""
        for _ in range(100):  # each turn, a run that held the lock ended and deleted the file meanwhile
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _busy_record(fd)
                os.close(fd)
                raise OutputBusy(self.words.busy(holder, break_lock), holder) from None
            except OSError as exc:
                os.close(fd)
                if exc.errno in _NO_FLOCK:
                    return None
                raise ValueError(self.words.unwritable(exc.strerror or str(exc))) from None
            if _same_file(fd, self.lock_path):
                return fd
            os.close(fd)  # locked a file that is no longer the lock file: open the new one
        raise OutputBusy(self.words.busy(None), None)  # runs kept coming and going: busy all along

    def acquire(self, break_lock: bool) -> tuple[Holder | None, str]:
        self.created = _make_folders(self.folder, self.words)
        try:
            return self._take(break_lock)
        except BaseException:
            self._let_go(delete=False)  # a record found stays: another machine's, until --break-lock
            self._remove_created()
            raise

    def _take(self, break_lock: bool) -> tuple[Holder | None, str]:
        fd = self._lock(break_lock) if fcntl is not None else None
        if fd is None:
            self.marker = _MarkerLock(self.lock_path, LocalStore(), self.me, self.words)
            return self.marker.acquire(break_lock)
        self.fd = fd
        found = _read_all(fd)
        previous = Holder.from_bytes(found)
        judge(previous, True, break_lock, self.words)
        if found.strip() and previous is None:
            warn(self.words.taken_over(None))
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.me.to_bytes(), 0)
        os.fsync(fd)  # on a network file system, other machines read the record from the server
        return previous, "flock"

    def _let_go(self, delete: bool) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            if delete and _same_file(fd, self.lock_path):
                os.remove(self.lock_path)  # while still locked: the next run creates a new file
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _remove_created(self) -> None:
        for folder in self.created:  # deepest first; a folder someone has written into stays
            try:
                os.rmdir(folder)
            except OSError:
                break

    def release(self) -> None:
        if self.marker is not None:
            self.marker.release()
        self._let_go(delete=True)
        self._remove_created()


@contextlib.contextmanager
def output_lock(path: str, *, command: str | None = None, break_lock: bool = False,
                store: MarkerStore | None = None, flag: str = "--out",
                what: str = "the output", shown: str | None = None) -> Iterator[OutputLock]:
    """Hold the exclusive lock on the output folder ``path`` for the ``with`` block.

    ``command`` names the command in the record (``blurgen synth``; default: from the command
    line). ``break_lock`` takes over a lock recorded by a run on another machine. ``store``
    reads and writes ``scheme://`` paths. ``flag`` and ``what`` word the messages
    (``--out shards is a file, not a folder; give a folder for the dataset``); ``shown`` is the
    path the messages name when it is not ``path`` (a command that locks a working folder beside
    the one the user named).

    Raises:
      OutputBusy: another run holds it (a ``ValueError``; the message names the holder).
      ValueError: ``path`` is a file, cannot be written, or is ``scheme://`` without a ``store``.
    """
    me, words = Holder.this_process(command), Words(flag, shown or path, what)
    remote = is_remote(path)
    key = path.rstrip("/") if remote else os.path.realpath(path)
    with _held_guard:
        if key in _held:
            raise OutputBusy(f"{flag} {path} is already being written by this same process; one run per "
                             f"{flag} at a time", me)
        _held.add(key)
    try:
        if remote and store is None:
            raise ValueError(f"{flag} {path}: this command cannot write to {path.split('://')[0]}:// paths; "
                             f"give a local folder")
        handle: Any = (_MarkerLock(lock_path_of(path), store, me, words) if remote
                       else _FileLock(path, me, words))
        previous, mode = handle.acquire(break_lock)
        try:
            yield OutputLock(path, lock_path_of(path), me, previous, mode)
        finally:
            handle.release()
    finally:
        with _held_guard:
            _held.discard(key)


def add_break_lock_flag(parser: Any) -> None:
    """Add ``--break-lock`` to an ``argparse`` parser."""
    parser.add_argument("--break-lock", action="store_true", help=BREAK_LOCK_HELP)


def locks_out(make_parser: Callable[[], Any], *, what: str, store: MarkerStore | None = None,
              known_only: bool = False, flag: str = "--out") -> Callable:
    """Decorate a command's ``run(argv)`` so that it runs holding the lock on its ``flag`` folder.

    ``make_parser()`` returns the command's ``argparse`` parser (with ``flag`` and
    ``--break-lock``); its ``prog`` names the command in the record. ``known_only``: the command
    passes flags it does not know on (Beam's), so they are left to it here. A usage error stops
    in the parser, before the lock. ``argv`` may be the parsed ``argparse.Namespace`` itself,
    which is then used as it is.
    """
    dest = flag.lstrip("-").replace("-", "_")

    def decorate(run: Callable) -> Callable:
        @functools.wraps(run)
        def locked(argv: list[str] | None = None, *rest: Any, **kw: Any) -> Any:
            parser = make_parser()
            if isinstance(argv, argparse.Namespace):  # parsed once already, by the command's dispatcher
                args = argv
            else:
                args = parser.parse_known_args(argv)[0] if known_only else parser.parse_args(argv)
            with output_lock(getattr(args, dest), command=parser.prog, break_lock=getattr(args, "break_lock", False),
                             store=store, flag=flag, what=what):
                return run(argv, *rest, **kw)
        return locked
    return decorate


RUNNING, ENDED, UNKNOWN = "running", "ended", "cannot be checked"


def recorded_holder(path: str, store: MarkerStore | None = None) -> tuple[Holder | None, str | None]:
    """The record in ``path``'s lock file, read without taking the lock (a reader such as
    ``inspect`` must not contend with writers), and what it says: :data:`RUNNING` (a process on
    this machine that still runs), :data:`ENDED` (gone: the next run takes the lock over) or
    :data:`UNKNOWN` (another machine's run, or an unreadable record); ``(None, None)`` when
    there is no lock file."""
    lock_file = lock_path_of(path)
    data = (store or LocalStore()).read(lock_file) if is_remote(path) else LocalStore().read(lock_file)
    if data is None:
        return None, None
    holder = Holder.from_bytes(data)
    if holder is None or holder.machine() == OTHER:
        return holder, UNKNOWN
    return holder, RUNNING if holder.machine() != REBOOTED and holder.alive() else ENDED


def check_free(path: str, *, break_lock: bool = False, flag: str = "--out", what: str = "the output") -> None:
    """Refuse at once, without taking the lock, when ``path``'s lock record shows a run that
    :func:`output_lock` would honour (one running on this machine, or another machine's without
    ``break_lock``): for commands with seconds of start-up (TensorFlow) before they lock. Only a
    shortcut: :func:`output_lock` still decides. Local folders only.

    Raises:
      OutputBusy: with the message :func:`output_lock` would give.
    """
    if is_remote(path):
        return
    holder, state = recorded_holder(path)
    words = Words(flag, path, what)
    if state == RUNNING:
        raise OutputBusy(words.busy(holder, break_lock), holder)
    if state == UNKNOWN and not break_lock:
        raise OutputBusy(words.foreign(holder) if holder else words.not_a_record(), holder)
