"""The dataset card's files: ``DIR/README.md`` and ``DIR/card/``, written whole or not at all.

**Whose README is it.** A card blurgen writes carries a marker line right after its YAML header
(``<!-- blurgen dataset card sha256:...``) with a fingerprint of the dataset it describes (its
``dataset_info.json`` and ``manifest.json``). A ``README.md`` with that line is blurgen's and is
replaced when the card is written again; any other ``README.md`` is the user's and is only
replaced with ``--overwrite``. Deleting the marker line turns a card into the user's own.

**Atomic.** The pictures and the statistics are content-addressed (``card/noise-1a2b3c4d.png``):
each is written under a temporary name and renamed, so a file of that name always holds its
final bytes. ``README.md`` is written the same way, and its rename is the moment the new card
appears; only then are the older card files blurgen wrote (names of that pattern that the new
card does not use) removed. A run killed at any point leaves a README whose pictures all exist.
Files the user put in ``card/`` are never touched. Everything goes through Beam's
``FileSystems``, so a dataset on ``gs://`` gets its card too.
"""
from __future__ import annotations

import hashlib
import os
import re

from apache_beam.io.filesystems import FileSystems

from pipelines.shards import metadata
from pipelines.sources import inputs

README = "README.md"
CARD_DIR = "card"
MARKER = "<!-- blurgen dataset card"
_MARKER_LINE = re.compile(r"^<!-- blurgen dataset card (?P<fingerprint>sha256:[0-9a-f]+)\b.*-->$", re.M)
_OURS = re.compile(r"^(\.)?[a-z0-9-]+-[0-9a-f]{8}\.(png|json)(?(1)\.incomplete)$")  # ours, or our temporary
_TMP = ".incomplete"


def fingerprint(out: str) -> str:
    """A digest of the dataset's ``dataset_info.json`` and ``manifest.json`` (where present): it
    changes whenever a run writes another dataset into ``out``."""
    digest = hashlib.sha256()
    for name in (metadata.DATASET_INFO, metadata.MANIFEST):
        path = FileSystems.join(out, name)
        if FileSystems.exists(path):
            data = inputs.read_bytes(path)
            digest.update(f"{name}:{len(data)}:".encode() + data)
    return "sha256:" + digest.hexdigest()[:16]


def marker(dataset_fingerprint: str) -> str:
    """The line that marks a card as blurgen's, with the fingerprint of the dataset it describes."""
    return (f"{MARKER} {dataset_fingerprint}: written by `blurgen inspect --card`, which replaces this file when run again; "
            "delete this line to keep your edits -->")


def card_fingerprint(text: str) -> str | None:
    """The fingerprint of a card blurgen wrote, or None for a README blurgen did not write."""
    m = _MARKER_LINE.search(text)
    return m["fingerprint"] if m else None


def read_readme(out: str) -> str | None:
    """``out/README.md`` as text, or None when there is none."""
    path = FileSystems.join(out, README)
    if not FileSystems.exists(path):
        return None
    return inputs.read_bytes(path).decode("utf-8", errors="replace")


def check_target(out: str, overwrite: bool) -> None:
    """Refuse, before any work, to write a card over a ``README.md`` the user wrote.

    Raises:
      ValueError: naming the README and the fix.
    """
    text = read_readme(out)
    if text is not None and card_fingerprint(text) is None and not overwrite:
        raise ValueError(f"{FileSystems.join(out, README)} was not written by blurgen (it has no "
                         f"'{MARKER}' line); pass --overwrite to replace it with the card, or move it away")
    card = FileSystems.join(out, CARD_DIR)
    if FileSystems.get_scheme(out) is None and FileSystems.exists(card) and not os.path.isdir(card):
        raise ValueError(f"{card} is a file, where the card's pictures go; move it away")


def content_name(stem: str, ext: str, data: bytes) -> str:
    """``stem-XXXXXXXX.ext``, ``X`` the first hex digits of the data's SHA-256."""
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}{ext}"


def _write_atomic(path: str, data: bytes) -> None:
    folder, name = path.rsplit("/", 1) if "/" in path else ("", path)
    tmp = FileSystems.join(folder, f".{name}{_TMP}") if folder else f".{name}{_TMP}"
    inputs.write_bytes(tmp, data)
    FileSystems.rename([tmp], [path])


def card_files(out: str) -> list[str]:
    """Paths of the files directly in ``out/card/`` (hidden ones too, which a glob would miss)."""
    folder = FileSystems.join(out, CARD_DIR)
    if FileSystems.get_scheme(out) is None:
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]
    return [m.path for m in FileSystems.match([FileSystems.join(folder, "*")])[0].metadata_list]


def write_card(out: str, readme: str, files: dict[str, bytes]) -> None:
    """Write the card into ``out``: ``files`` (content-addressed names) into ``out/card/``, then
    ``out/README.md``; then remove the card files of earlier cards. The one function that writes
    a card, so that a caller can hold a lock on ``out`` around it."""
    for name, data in files.items():
        if not _OURS.match(name) or name.startswith("."):  # pragma: no cover - our own invariant
            raise AssertionError(f"card file {name!r} is not content-addressed")
        _write_atomic(FileSystems.join(out, CARD_DIR, name), data)
    _write_atomic(FileSystems.join(out, README), readme.encode("utf-8"))
    stale = [p for p in card_files(out) if _OURS.match(p.replace("\\", "/").rsplit("/", 1)[-1])
             and p.replace("\\", "/").rsplit("/", 1)[-1] not in files]
    if stale:
        FileSystems.delete(stale)
