"""Finding and reading input files through ``apache_beam.io.filesystems`` (local paths, ``gs://``, ...).

A source given on the command line is a file, a glob (``photos/*.jpg``, ``gs://b/p/**.png``) or a
directory (or object prefix), searched recursively for image files. Each file found gets a *name*
relative to its source's root (``a/b.png`` under ``--src photos``): names, not absolute paths, key
the examples, so a dataset does not change when its folder moves. Several sources are merged by
name (:func:`merge_sources`): two files of one name would give examples of one key.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from apache_beam.io.filesystem import CompressionTypes, FileSystem
from apache_beam.io.filesystems import FileSystems

from blurgen import images
from pipelines.sources.rejects import DUPLICATE, Reject

_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True, order=True)
class InputFile:
    """One file found under a source: ``name`` relative to the source's root, ``path`` to open it,
    ``size`` in bytes as listed (-1 when unknown; it only sizes ``auto`` sharding)."""

    name: str
    path: str
    size: int = field(default=-1, compare=False)


def _is_local_dir(src: str) -> bool:
    return FileSystems.get_scheme(src) is None and os.path.isdir(src)


def _relative(path: str, root: str) -> str:
    if not root:
        return path.lstrip("/")
    rel = path[len(root):] if path.startswith(root) else os.path.basename(path)
    return rel.lstrip("/\\").replace("\\", "/")


def expand_source(src: str) -> list[InputFile]:
    """The files of one source, sorted by name.

    A directory (or a ``gs://`` prefix that is not an object) is searched recursively and only
    files with an image extension are kept (a README beside the photos is not an input);
    a file or a glob is taken as given, so a mistake in it is reported, not skipped.

    Raises:
      ValueError: nothing matches ``src``.
    """
    if _GLOB.search(src):
        root = src[:_GLOB.search(src).start()]
        root = root[:max(root.rfind("/"), 0)]
        found = [(m.path, m.size_in_bytes) for m in FileSystems.match([src])[0].metadata_list]
    elif not _is_local_dir(src) and FileSystems.exists(src) and not src.endswith("/"):
        root, found = os.path.dirname(src), [(src, -1)]
    else:
        root = src.rstrip("/\\")
        pattern = FileSystems.join(root, "**") if root else "**"
        found = [(m.path, m.size_in_bytes) for m in FileSystems.match([pattern])[0].metadata_list
                 if images.is_image_name(m.path)]
    found += [(p, -1) for p in _dangling_links(src, root)]
    if not found:
        raise ValueError(f"--src {src}: no files found; check the path (directories are searched "
                         f"for {', '.join(images.IMAGE_EXTENSIONS)} files)")
    return sorted(InputFile(_relative(p, root), p, size) for p, size in found)


def _walk_dangling(folder: str):
    """Symbolic links under ``folder`` that point nowhere, found as ``os.walk`` (Beam's local
    listing) would see them: real folders are searched, linked folders are not."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            if not os.path.exists(entry.path):
                yield entry.path
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk_dangling(entry.path)


def _dangling_links(src: str, root: str) -> list[str]:
    """The links among a local source's files that point nowhere. Beam's listing drops them
    silently (it cannot read their size); they are inputs all the same, and reading one fails
    with a reason (:func:`read_bytes`), so it ends as a reject instead of vanishing."""
    if FileSystems.get_scheme(src) is not None:
        return []
    if _GLOB.search(src):
        pattern = re.compile(FileSystem.translate_pattern(src))
        return [p for p in _walk_dangling(root or ".") if pattern.match(p)]
    if _is_local_dir(src):
        return [p for p in _walk_dangling(root or ".") if images.is_image_name(p)]
    return []


def merge_sources(srcs: list[str]) -> tuple[list[InputFile], list[Reject]]:
    """The files of all sources, one per name, sorted; and a ``DUPLICATE`` reject for each other file.

    The same path found twice (``--src d --src d/a.png``) is one input. A second file whose name is
    already taken (``s1/a.png`` and ``s2/a.png`` under ``--src s1 --src s2``) is rejected, not
    dropped: its examples would have the same keys. The earlier ``--src`` keeps the name.

    Raises:
      ValueError: a source matches nothing.
    """
    return merge_named(srcs, expand_source, "name")


def merge_named(srcs: list[str], expand: Callable[[str], Iterable[Any]], noun: str) -> tuple[list, list[Reject]]:
    """What ``expand`` finds in each of ``srcs`` (items with ``path`` and ``name``), one per name,
    sorted; a ``DUPLICATE`` reject, saying "the same ``noun``", for each later item of a taken name.
    An item found twice by path counts once."""
    kept: dict[str, Any] = {}
    rejects, seen_paths = [], set()
    for src in srcs:
        for item in expand(src):
            if item.path in seen_paths:
                continue
            seen_paths.add(item.path)
            first = kept.setdefault(item.name, item)
            if first is not item:
                rejects.append(Reject(item.path, DUPLICATE, f"{item.path}: has the same {noun} {item.name!r} as "
                                      f"{first.path} from an earlier --src; rename one of them"))
    return sorted(kept.values()), sorted(rejects)


def read_bytes(path: str) -> bytes:
    """The whole file, uncompressed as stored (a ``.gz`` name is not unpacked).

    Raises:
      FileNotFoundError: naming the target of a symbolic link that points nowhere.
    """
    if FileSystems.get_scheme(path) is None and os.path.islink(path) and not os.path.exists(path):
        raise FileNotFoundError(f"a symbolic link to {os.readlink(path)}, which does not exist; "
                                "fix or remove the link")
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return f.read()


def read_user_file(path: str, flag: str) -> str:
    """A text file the user named with ``flag`` (a config, a list file), as text.

    Raises:
      ValueError: it cannot be read or is not UTF-8; the message names the flag and the file.
    """
    try:
        return read_bytes(path).decode("utf-8")
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot be read ({exc}); check the path") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{flag} {path}: is not a UTF-8 text file ({exc})") from None


def write_bytes(path: str, data: bytes) -> None:
    with FileSystems.create(path, mime_type="application/octet-stream",
                            compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(data)


class BeamFiles:
    """:class:`blurgen.outputs.atomic.FileSystem` over Beam's ``FileSystems`` (``gs://`` and the
    rest), for :func:`blurgen.outputs.atomic.write_atomic`'s ``remote``."""

    def open(self, path: str):
        return FileSystems.create(path, mime_type="application/octet-stream",
                                  compression_type=CompressionTypes.UNCOMPRESSED)

    def rename(self, source: str, target: str) -> None:
        FileSystems.rename([source], [target])

    def delete(self, path: str) -> None:
        FileSystems.delete([path])

    def exists(self, path: str) -> bool:
        return FileSystems.exists(path)


BEAM_FILES = BeamFiles()


def exists(path: str) -> bool:
    return FileSystems.exists(path)
