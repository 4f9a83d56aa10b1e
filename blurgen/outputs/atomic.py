"""Write a file whole or not at all: every command that writes a file a user keeps goes through here.

The rule: the bytes go to a temporary file in the target's own folder (``.NAME.partial-PID.EXT``,
so that the rename below stays on one file system and a picture keeps its extension), which is
flushed to the disk, then renamed over the target in one step. A writer that fails or is killed
midway leaves the previous file as it was (and, when killed, a partial file that
:func:`remove_partials` deletes on the next run that holds the folder's lock); a reader never
sees half a file.

Local paths are written with ``os`` (``fsync`` of the file, then of its folder, so that the
rename survives a power cut). A path on an object store or any other file system is written
through the caller's :class:`FileSystem`: the pipelines pass one over Beam's file systems, the
trainer one over ``tf.io.gfile``; the rule stays this module's.
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import BinaryIO, Callable, ContextManager, Protocol, Union

# What a writer may be given: the bytes, or a function that writes them to an open binary file.
Data = Union[bytes, Callable[[BinaryIO], None]]

PARTIAL = re.compile(r"^\.(?P<stem>.+)\.partial-(?P<pid>\d+)(?P<ext>\.[^.]*)?$")


class FileSystem(Protocol):
    """The four operations the rule needs, for one kind of path."""

    def open(self, path: str) -> ContextManager[BinaryIO]: ...  # a new file for writing bytes, durable on close
    def rename(self, source: str, target: str) -> None: ...  # replaces ``target`` where it exists
    def delete(self, path: str) -> None: ...
    def exists(self, path: str) -> bool: ...


class LocalFiles:
    """The local disk: ``fsync`` before the rename, and of the folder after it."""

    @contextlib.contextmanager
    def open(self, path: str):
        with open(path, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())

    def rename(self, source: str, target: str) -> None:
        os.replace(source, target)
        _sync_folder(os.path.dirname(os.path.abspath(target)))

    def delete(self, path: str) -> None:
        os.remove(path)

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)


LOCAL = LocalFiles()


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URL (``gs://``, ``s3://``, ...) rather than a local path."""
    return "://" in path


def partial_path(path: str, pid: int | None = None) -> str:
    """Where :func:`write_atomic` writes ``path`` first: ``.NAME.partial-PID.EXT`` in its folder."""
    if is_remote(path):
        folder, _, name = path.rpartition("/")
        sep = "/"
    else:
        folder, name = os.path.split(path)
        sep = os.sep
    if not name:
        raise ValueError(f"{path}: a file name is needed, not a folder")
    stem, ext = os.path.splitext(name)
    partial = f".{stem}.partial-{os.getpid() if pid is None else pid}{ext}"
    return f"{folder}{sep}{partial}" if folder else partial


def write_atomic(path: str, data: Data, remote: FileSystem | None = None) -> None:
    """Write ``data`` (bytes, or a function writing to an open binary file) to ``path`` whole or
    not at all (see the module's docstring); ``path``'s folder must exist.

    Args:
      remote: the caller's file system for URLs (``gs://``...); local paths are always written
        with ``os`` (and ``fsync``). A URL without one is refused.

    Raises:
      whatever writing raised (OSError, or the writer's own error); the previous file at ``path``,
      if any, is then unchanged and the temporary file is gone.
    """
    if is_remote(path):
        if remote is None:
            raise ValueError(f"{path}: writing to a URL needs its file system (pass remote=...)")
        files: FileSystem = remote
    else:
        files = LOCAL
    tmp = partial_path(path)
    try:
        with files.open(tmp) as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
        files.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            if files.exists(tmp):
                files.delete(tmp)
        raise


def remove_partials(folder: str) -> list[str]:
    """Delete the partial files that killed runs left in the local ``folder`` (those of other
    processes: this one's may be in the middle of a write). Safe only while holding the folder's
    output lock, so that no other live run writes there. Returns the paths deleted."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:  # no folder yet (or unreadable: the run says so when it writes)
        return []
    gone = []
    for name in names:
        match = PARTIAL.match(name)
        if match and int(match["pid"]) != os.getpid():
            os.remove(os.path.join(folder, name))
            gone.append(os.path.join(folder, name))
    return gone
