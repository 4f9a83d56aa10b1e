"""A dataset appears whole or not at all: staging inside ``--out``, then a journaled commit.

One ``--out`` holds one dataset: its shards ``{name}-{split}.tfrecord-NNNNN-of-NNNNN`` and its
metadata files (``dataset_info.json``, ``features.json``, ``manifest.json``, ``rejects.jsonl``,
``inputs.jsonl``). TFDS reads ``dataset_info.json`` by that name, so two datasets cannot share a
folder; a run of another ``--name`` into a folder that holds a dataset is refused (or, with
``--overwrite``, replaces it).

A run writes everything under ``--out/.{name}.incomplete/`` (:func:`staging_dir`): spool files,
shards and metadata. When the pipeline has finished, :func:`commit` writes a journal
(``COMMIT.json``: the old files to remove and the staged files to move) into the staging folder,
then carries it out: the old ``dataset_info.json`` goes first (no reader trusts old counts while
shards change), then the other old files, then the new shards, then the new metadata with
``dataset_info.json`` and ``manifest.json`` last, and finally the staging folder. Every step can be
repeated, so a run killed during the commit is finished by the next run into that ``--out``
(:func:`recover`); a run killed before the journal existed leaves only a staging folder, which the
next run deletes. Until the journal exists, the old dataset is untouched.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil

from apache_beam.io.filesystems import FileSystems

from pipelines.shards import metadata
from pipelines.sources import inputs
from blurgen.outputs.atomic import write_atomic

LOG = logging.getLogger("pipelines")
JOURNAL = "COMMIT.json"
FAILED_SUFFIX = ".failed"
_INCOMPLETE = re.compile(r"^\.(?P<name>.+)\.incomplete$")
_SHARD = re.compile(r"^(?P<name>.+)-(?P<split>[^-/]+)\.tfrecord-\d{5}-of-\d{5}$")
METADATA_FILES = (metadata.INPUTS, metadata.REJECTS, metadata.FEATURES, metadata.MANIFEST, metadata.DATASET_INFO)


def staging_dir(out: str, name: str) -> str:
    return FileSystems.join(out, f".{name}.incomplete")


def failed_dir(out: str, name: str) -> str:
    return FileSystems.join(out, f".{name}{FAILED_SUFFIX}")


def _basename(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _is_local(path: str) -> bool:
    return FileSystems.get_scheme(path) is None


def _children(folder: str) -> list[str]:
    """Paths of the files and folders directly in ``folder`` (a local folder, or an object-store
    prefix, whose "folders" are the first components of the names below it)."""
    if _is_local(folder):
        if not os.path.isdir(folder):
            return []
        return sorted(os.path.join(folder, n) for n in os.listdir(folder))
    prefix = folder.rstrip("/") + "/"
    found = FileSystems.match([prefix + "**"])[0].metadata_list
    return sorted({prefix + m.path[len(prefix):].split("/", 1)[0] for m in found if m.path.startswith(prefix)})


def _objects_under(path: str) -> list[str]:
    """An object-store path itself (when it is an object) and every object below it."""
    found = [m.path for r in FileSystems.match([path, path.rstrip("/") + "/**"]) for m in r.metadata_list]
    return sorted(set(found))


def shard_match(path: str) -> re.Match | None:
    """The shard-name match of ``path``'s file name (groups ``name`` and ``split``), or ``None``."""
    return _SHARD.match(_basename(path))


def interrupted_commits(out: str) -> list[str]:
    """Staging folders in ``out`` whose commit journal exists: a run was killed while committing."""
    return [p for p in _children(out)
            if _INCOMPLETE.match(_basename(p)) and FileSystems.exists(FileSystems.join(p, JOURNAL))]


def _delete(paths: list[str]) -> None:
    """Delete the files or folders that still exist (so a repeated commit step is harmless)."""
    for path in paths:
        if not _is_local(path):
            found = _objects_under(path)
            if found:
                FileSystems.delete(found)
        elif os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)


def _move_tree(source: str, target: str) -> None:
    """Move a folder (locally one rename; on an object store, every object below it)."""
    if _is_local(source):
        os.rename(source, target)
        return
    found = _objects_under(source)
    FileSystems.rename(found, [target.rstrip("/") + p[len(source.rstrip("/")):] for p in found])


def existing_dataset(out: str) -> tuple[set[str], list[str]]:
    """The names of the datasets whose files are in ``out``, and those files (shards and metadata)."""
    names, files = set(), []
    for path in _children(out):
        base = _basename(path)
        match = _SHARD.match(base)
        if match:
            names.add(match["name"])
            files.append(path)
        elif base in METADATA_FILES:
            files.append(path)
    info_path = FileSystems.join(out, metadata.DATASET_INFO)
    if FileSystems.exists(info_path):
        try:
            names.add(metadata.read_json(info_path)["name"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable metadata: the files are still the dataset's, listed above
    return names, files


def check_out(out: str, name: str, overwrite: bool) -> None:
    """Refuse an ``--out`` that is a file, or that holds a dataset this run may not replace.

    Raises:
      ValueError: the message names ``--out`` and says what to do.
    """
    if FileSystems.get_scheme(out) is None and os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out} is a file, not a folder; give a folder for the dataset")
    names, files = existing_dataset(out)
    if not files or overwrite:
        return
    if names - {name}:
        held = ", ".join(repr(n) for n in sorted(names))
        raise ValueError(f"--out {out} already holds dataset {held}; one folder holds one dataset: choose "
                         f"another --out, or pass --overwrite to replace it with {name!r}")
    raise ValueError(f"--out {out} already holds dataset {name!r} ({len(files)} files); pass --overwrite to "
                     f"replace it when this run has succeeded, or choose another --out")


def recover(out: str) -> list[str]:
    """Finish commits that a killed run left journaled, delete staging folders left without one.

    Returns one line per folder dealt with, for the log.
    """
    done = []
    for path in _children(out):
        if not _INCOMPLETE.match(_basename(path)):
            continue
        journal = FileSystems.join(path, JOURNAL)
        if FileSystems.exists(journal):
            apply_journal(out, path, metadata.read_json(journal))
            done.append(f"finished the commit of an interrupted run ({path})")
        else:
            _delete([path])
            done.append(f"deleted what an unfinished run left ({path})")
    return done


def prepare(out: str, name: str, overwrite: bool) -> str:
    """Check ``out``, recover what earlier runs left, and make an empty staging folder; returns it.

    Raises:
      ValueError: ``out`` is a file, cannot be written (read-only, no permission), or holds a
        dataset this run may not replace.
    """
    check_out(out, name, overwrite)
    staging = staging_dir(out, name)
    try:
        if FileSystems.get_scheme(out) is None and not os.path.isdir(out):
            os.makedirs(out)
        for line in recover(out):
            LOG.warning("--out %s: %s", out, line)
        check_out(out, name, overwrite)  # a finished commit may have brought a dataset in
        if FileSystems.get_scheme(staging) is None:
            os.makedirs(staging)
        inputs.write_bytes(FileSystems.join(staging, ".write-test"), b"")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(f"--out {out}: cannot write there ({reason}); choose a folder you can write to") from None
    return staging


def plan_commit(out: str, staging: str) -> dict[str, list]:
    """The journal: old files to remove (``dataset_info.json`` first) and staged files to move in
    (shards first, ``dataset_info.json`` and ``manifest.json`` last). Paths relative to ``out``."""
    _, old = existing_dataset(out)
    staged = [_basename(p) for p in _children(staging)]
    shards = sorted(n for n in staged if _SHARD.match(n))
    meta = [n for n in METADATA_FILES if n in staged]
    old_names = sorted({_basename(p) for p in old}, key=lambda n: (n != metadata.DATASET_INFO, n))
    return {"remove": [n for n in old_names if n not in shards], "move": shards + meta}


def apply_journal(out: str, staging: str, journal: dict[str, list]) -> None:
    """Carry out a journal; each step is skipped when already done."""
    # A metadata name is both removed (the old file) and moved in (the new one): once its staged
    # copy is gone, the file in ``out`` is the new one, which a repeated journal must keep.
    _delete([FileSystems.join(out, n) for n in journal["remove"]
             if n not in journal["move"] or FileSystems.exists(FileSystems.join(staging, n))])
    for n in journal["move"]:
        source = FileSystems.join(staging, n)
        if FileSystems.exists(source):
            FileSystems.rename([source], [FileSystems.join(out, n)])
    _delete([staging])


def commit(out: str, staging: str) -> None:
    """Replace the dataset in ``out`` with the one staged in ``staging``."""
    journal = plan_commit(out, staging)
    path = FileSystems.join(staging, JOURNAL)
    # The journal exists whole or not at all.
    write_atomic(path, json.dumps(journal).encode("utf-8"), remote=inputs.BEAM_FILES)
    apply_journal(out, staging, journal)


def discard(staging: str) -> None:
    """Delete a staging folder whose run did not finish (nothing in ``--out`` changes)."""
    _delete([staging])


def keep_failed(out: str, name: str, staging: str) -> str:
    """Move a failed run's staging folder aside (replacing an older one); returns where it went."""
    target = failed_dir(out, name)
    _delete([target])
    _move_tree(staging, target)
    return target
