"""Never write over a file the user gave as input: one check for every command that writes files.

A command lists the files it is about to write and the files it reads, and calls
:func:`check_outputs` before it reads or writes anything. The check refuses

* an output that is the same file as an input: the same path once ``..``, ``.`` and symbolic
  links are resolved, or the same inode (a hard link, a bind mount, a second spelling on a
  case-insensitive disk), so ``blurgen degrade X X`` cannot replace a photo with its blurred copy;
* two outputs that are the same file (``a.png`` and ``a.jpg`` would both give ``a.png``), so no
  output is silently replaced by another one of the same run.

An output folder that would receive files over inputs is covered by listing the files the
command would write into it. Remote paths (``gs://...``) have no inodes: for them the check
compares the normalised paths.

Both arguments take paths, or ``(path, label)`` pairs where ``label`` says in the message what the
file is (``"OUTPUT"``, ``"--kernel-out"``, ``"panel of a.png"``). Cost: one ``stat`` per input,
and none at all while no output exists yet (an input cannot be a file that does not exist).
"""
from __future__ import annotations

import os
import posixpath
from typing import Iterable, Union

PathLike = Union[str, os.PathLike]
Entry = Union[PathLike, tuple[PathLike, str]]


class OverwriteError(ValueError):
    """Writing an output would destroy an input (or another output); the message names both."""


def _split(entry: Entry, default: str) -> tuple[str, str]:
    if isinstance(entry, tuple):
        return os.fspath(entry[0]), entry[1]
    return os.fspath(entry), default


def _is_remote(path: str) -> bool:
    return "://" in path


def path_key(path: PathLike) -> str:
    """The path as a file system would resolve it: absolute, ``..`` and links resolved (local),
    or ``scheme://`` plus the normalised rest (remote)."""
    path = os.fspath(path)
    if _is_remote(path):
        scheme, _, rest = path.partition("://")
        return f"{scheme}://{posixpath.normpath(rest)}"
    return os.path.realpath(path)


def _inode(path: str) -> tuple[int, int] | None:
    if _is_remote(path):
        return None
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # absent, unreadable folder, or a NUL in the name
        return None
    return st.st_dev, st.st_ino


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` are one file: the same resolved path, or the same inode."""
    a, b = os.fspath(a), os.fspath(b)
    if path_key(a) == path_key(b):
        return True
    ia = _inode(a)
    return ia is not None and ia == _inode(b)


def check_outputs(outputs: Iterable[Entry], inputs: Iterable[Entry],
                  fix: str = "choose another output path") -> None:
    """Refuse outputs that would overwrite an input or each other.

    Args:
      outputs: the files the command will write (paths or ``(path, label)``); ``None`` entries
        (an optional output that was not asked for) are skipped.
      inputs: the files it reads (paths or ``(path, label)``; ``None`` skipped).
      fix: what the user should do, appended to the message.

    Raises:
      OverwriteError: naming the output, the input (or the other output) and ``fix``.
    """
    by_key: dict[str, tuple[str, str]] = {}
    by_inode: dict[tuple[int, int], tuple[str, str]] = {}
    for entry in outputs:
        if entry is None or (isinstance(entry, tuple) and entry[0] is None):
            continue
        path, label = _split(entry, "output")
        key, inode = path_key(path), _inode(path)
        other = by_key.get(key) or (by_inode.get(inode) if inode else None)
        if other is not None:
            raise OverwriteError(f"{other[1]} {other[0]} and {label} {path} are the same file, so one "
                                 f"would overwrite the other; {fix}")
        by_key[key] = (path, label)
        if inode is not None:
            by_inode[inode] = (path, label)
    for entry in inputs:
        if entry is None or (isinstance(entry, tuple) and entry[0] is None):
            continue
        path, label = _split(entry, "input")
        if _is_remote(path):
            hit = by_key.get(path_key(path))
        else:
            hit = by_inode.get(_inode(path)) if by_inode else None
        if hit is not None:
            raise OverwriteError(f"{hit[1]} {hit[0]} is the same file as {label} {path}: writing it would "
                                 f"destroy the input; {fix}")
