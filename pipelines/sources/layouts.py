"""Listing real blurred/sharp pairs in the layouts datasets ship in ("list the pairs", kept apart
from "make one example", as TFDS builders do).

* ``gopro``: ``GOPRO_Large/{train,test}/<sequence>/{blur,blur_gamma,sharp}/NNNNNN.png``; the split is
  GoPro's own, the blurred side is ``blur`` or ``blur_gamma``.
* ``folders``: ``--blurred DIR`` and ``--sharp DIR`` holding files of the same relative names.
* ``realblur``: RealBlur's list files, each line ``gt_path blur_path`` relative to the dataset root
  (by default the list file's folder); a list file named ``*train*`` or ``*test*`` gives its split.
  Paths are normalised and must stay inside the root; a pair, and a sharp image, lives in one split.
* ``side-by-side``: each image holds both halves, A|B (pix2pix and DeblurGAN's combined format);
  a first folder named ``train`` or ``test`` gives the split.

Where a layout does not give the split, it is drawn by a stable hash of the pair's name.
Each lister returns the pairs and the rejects found while listing (a file without its partner, a
second file or line claiming a name already taken, a malformed line, an image outside the
layout), so that every input is accounted for.
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Callable

from apache_beam.io.filesystems import FileSystems

from blurgen.outputs import safety
from pipelines.sources import inputs
from pipelines.sources.rejects import DUPLICATE, MALFORMED, PARTNER_MISSING, Reject, RejectError
from pipelines.sources.splits import split_of

LAYOUTS = ("gopro", "folders", "realblur", "side-by-side")
GOPRO_KINDS = ("blur", "blur_gamma", "sharp")


@dataclass(frozen=True, order=True)
class PairInput:
    """One pair to make: its key, split, the two files (``sharp=None``: both halves in ``blurred``)."""

    key: str
    split: str
    blurred: str
    sharp: str | None
    source: str


def _missing(path: str, partner: str, side: str) -> Reject:
    return Reject(path, PARTNER_MISSING, f"{path}: its {side} partner {partner} does not exist; "
                                          f"add it or remove this file")


def gopro(root: str, blur_kind: str = "blur") -> tuple[list[PairInput], list[Reject]]:
    """Pairs of a GoPro tree. The frames of the blurred kind not chosen are not inputs; any other
    image outside the ``{train,test}/sequence/kind/frame`` layout is a ``MALFORMED`` reject."""
    if blur_kind not in ("blur", "blur_gamma"):
        raise ValueError(f"--blur-kind must be 'blur' or 'blur_gamma', got {blur_kind!r}")
    frames: dict[tuple[str, str, str], dict[str, str]] = {}
    outside = []
    for item in inputs.expand_source(root):
        parts = item.name.split("/")
        if len(parts) == 4 and parts[0] in ("train", "test") and parts[2] in GOPRO_KINDS:
            split, seq, kind, frame = parts
            frames.setdefault((split, seq, frame), {})[kind] = item.path
        else:
            outside.append(item.path)
    if not frames:
        raise ValueError(f"--src {root}: no GoPro frames found; expected "
                         f"{root}/{{train,test}}/<sequence>/{{blur,blur_gamma,sharp}}/NNNNNN.png")
    # An image elsewhere in the tree is accounted for, not silently left out of the dataset.
    rejects = [Reject(path, MALFORMED, f"{path}: not in GoPro's layout {root}/{{train,test}}/<sequence>/"
                                       f"{{blur,blur_gamma,sharp}}/<frame>; move it there or out of --src")
               for path in outside]
    pairs = []
    for (split, seq, frame), kinds in sorted(frames.items()):
        blurred, sharp = kinds.get(blur_kind), kinds.get("sharp")
        name = f"{split}/{seq}/{frame}"
        if blurred and sharp:
            pairs.append(PairInput(name, split, blurred, sharp, f"GOPRO_Large/{split}/{seq}/{blur_kind}/{frame}"))
        elif blurred:
            rejects.append(_missing(blurred, FileSystems.join(root, split, seq, "sharp", frame), "sharp"))
        elif sharp:
            rejects.append(_missing(sharp, FileSystems.join(root, split, seq, blur_kind, frame), "blurred"))
    return pairs, rejects


def _inside(path: str, folder: str) -> bool:
    a, b = safety.path_key(path).rstrip("/"), safety.path_key(folder).rstrip("/")
    return a == b or a.startswith(b + "/")


def folders(blurred_dir: str, sharp_dir: str, test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Same-named files of two folders.

    Raises:
      ValueError: the folders are one, or one holds the other (its files would be listed on both sides).
    """
    if _inside(blurred_dir, sharp_dir) or _inside(sharp_dir, blurred_dir):
        raise ValueError(f"--blurred {blurred_dir} and --sharp {sharp_dir} are the same folder or one holds the "
                         "other, so images would be paired with themselves or listed twice; use two separate folders")
    blurred = {i.name: i.path for i in inputs.expand_source(blurred_dir)}
    sharp = {i.name: i.path for i in inputs.expand_source(sharp_dir)}
    pairs, rejects = [], []
    for name in sorted(blurred.keys() | sharp.keys()):
        if name in blurred and name in sharp:
            pairs.append(PairInput(name, split_of(name, test_fraction), blurred[name], sharp[name], name))
        elif name in blurred:
            rejects.append(_missing(blurred[name], FileSystems.join(sharp_dir, name), "sharp"))
        else:
            rejects.append(_missing(sharp[name], FileSystems.join(blurred_dir, name), "blurred"))
    return pairs, rejects


def _list_split(list_file: str, test_fraction: float, name: str) -> str:
    base = os.path.basename(list_file).lower()
    if "test" in base:
        return "test"
    if "train" in base:
        return "train"
    return split_of(name, test_fraction)


def _realblur_repeat(where: str, first: tuple[PairInput, str], pair: PairInput) -> Reject | None:
    """``None`` for a line repeating an earlier pair exactly (one input), else why the repeat is rejected."""
    kept, kept_where = first
    if pair == kept:
        return None
    if pair.sharp != kept.sharp:
        why = f"pairs it with {pair.sharp}, but {kept_where} pairs it with {kept.sharp}"
    elif pair.blurred != kept.blurred:
        why = f"means the file {pair.blurred}, but {kept_where} means {kept.blurred} (one key, two files)"
    else:
        why = f"puts it in the {pair.split} split, but {kept_where} already put it in {kept.split}"
    return Reject(where, DUPLICATE, f"{where}: blurred image {pair.key} is listed again: this line {why}; "
                                    f"a blurred image belongs to one pair in one split, so remove one of the lines")


def list_path(text: str, where: str) -> str:
    """A path of a list file, normalised (``./a``, ``a/../a`` and ``a//b`` become ``a`` and ``a/b``).

    Raises:
      RejectError: the path is absolute or leaves the dataset root (``../``), so it would read
        files outside the dataset.
    """
    drive = len(text) > 2 and text[0].isalpha() and text[1] == ":" and text[2] in "/\\"
    if text.startswith(("/", "\\")) or "://" in text or drive:
        raise RejectError(MALFORMED, f"{where}: {text} is an absolute path; list paths must be relative "
                                     f"to the dataset root (--root, by default the list file's folder)")
    norm = posixpath.normpath(text)
    if norm == ".." or norm.startswith("../") or norm == ".":
        raise RejectError(MALFORMED, f"{where}: {text} leaves the dataset root; list paths must name files "
                                     f"inside it (--root, by default the list file's folder)")
    return norm


def _realblur_line(line: str, where: str, base: str, split: Callable[[str], str]) -> PairInput:
    """The pair of one list line ``gt_path blur_path``, or a ``MALFORMED`` RejectError saying why not."""
    fields = line.split()
    if len(fields) != 2:
        raise RejectError(MALFORMED, f"{where}: expected two paths 'gt_path blur_path' separated by spaces, "
                                     f"got {len(fields)} field(s): {line.strip()!r}")
    gt, blur = (list_path(f, where) for f in fields)
    if gt == blur:
        raise RejectError(MALFORMED, f"{where}: {blur} is listed as its own sharp partner; fix the line")
    return PairInput(blur, split(blur), FileSystems.join(base, blur), FileSystems.join(base, gt), f"{blur} {gt}")


def _leak(where: str, pair: PairInput, first: tuple[str, str]) -> Reject:
    split, first_where = first
    return Reject(where, DUPLICATE, (
        f"{where}: sharp image {pair.sharp} is already in the {split} split ({first_where}), and this line puts "
        f"it in {pair.split}: one scene in both splits leaks test images into training; keep it in one split"))


def realblur(list_files: list[str], root: str | None, test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Pairs of RealBlur-style list files (``gt_path blur_path`` per line).

    Paths are normalised and must stay inside the dataset root. A line that is not two such
    paths is rejected as malformed. A blurred path listed again is one input when the line means
    the same pair in the same split, and a ``DUPLICATE`` reject when it names another sharp
    partner or split (the first line keeps the pair); so is a sharp image listed in a second
    split with another blurred partner. Whether the files exist is checked when the pair is made.

    Raises:
      ValueError: a list file cannot be read.
    """
    pairs: dict[str, tuple[PairInput, str]] = {}
    sharp_split: dict[str, tuple[str, str]] = {}
    rejects = []
    for list_file in list_files:
        base = root if root is not None else os.path.dirname(list_file)
        lines = inputs.read_user_file(list_file, "--src").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{list_file}:{number}"
            try:
                pair = _realblur_line(line, where, base, lambda key: _list_split(list_file, test_fraction, key))
            except RejectError as exc:
                rejects.append(Reject(where, exc.kind, str(exc)))
                continue
            if pair.key in pairs:
                if (reject := _realblur_repeat(where, pairs[pair.key], pair)) is not None:
                    rejects.append(reject)
            elif sharp_split.setdefault(pair.sharp, (pair.split, where))[0] != pair.split:
                rejects.append(_leak(where, pair, sharp_split[pair.sharp]))
            else:
                pairs[pair.key] = (pair, where)
    return sorted(p for p, _ in pairs.values()), rejects


def side_by_side(srcs: list[str], test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Combined A|B images; a first folder ``train``/``test`` gives the split. Sources are merged by
    name, as ``synth`` merges them: a second file of a name already taken is a ``DUPLICATE`` reject."""
    found, rejects = inputs.merge_sources(srcs)
    pairs = []
    for item in found:
        top = item.name.split("/")[0]
        split = top if top in ("train", "test") and "/" in item.name else split_of(item.name, test_fraction)
        pairs.append(PairInput(item.name, split, item.path, None, item.name))
    return pairs, rejects
