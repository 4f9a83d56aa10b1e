"""Listing real blurred/sharp pairs in the layouts datasets ship in ("list the pairs", kept apart
from "make one example", as TFDS builders do).

* ``gopro``: ``GOPRO_Large/{train,test}/<sequence>/{blur,blur_gamma,sharp}/NNNNNN.png``; the split is
  GoPro's own, the blurred side is ``blur`` or ``blur_gamma``.
* ``folders``: ``--blurred DIR`` and ``--sharp DIR`` holding files of the same relative names.
* ``realblur``: RealBlur's list files, each line ``gt_path blur_path`` relative to the dataset root
  (by default the list file's folder); a list file named ``*train*`` or ``*test*`` gives its split.
* ``side-by-side``: each image holds both halves, A|B (pix2pix and DeblurGAN's combined format);
  a first folder named ``train`` or ``test`` gives the split.

Where a layout does not give the split, it is drawn by a stable hash of the pair's name.
Each lister returns the pairs and the rejects found while listing (a file without its partner).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from pipelines import inputs
from pipelines.rejects import MALFORMED, PARTNER_MISSING, Reject
from pipelines.synthesize import split_of

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
    """Pairs of a GoPro tree; files outside the ``split/sequence/kind/frame`` layout are not inputs."""
    if blur_kind not in ("blur", "blur_gamma"):
        raise ValueError(f"--blur-kind must be 'blur' or 'blur_gamma', got {blur_kind!r}")
    frames: dict[tuple[str, str, str], dict[str, str]] = {}
    for item in inputs.expand_source(root):
        parts = item.name.split("/")
        if len(parts) == 4 and parts[2] in GOPRO_KINDS:
            split, seq, kind, frame = parts
            frames.setdefault((split, seq, frame), {})[kind] = item.path
    if not frames:
        raise ValueError(f"--src {root}: no GoPro frames found; expected "
                         f"{root}/{{train,test}}/<sequence>/{{blur,blur_gamma,sharp}}/NNNNNN.png")
    pairs, rejects = [], []
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


def folders(blurred_dir: str, sharp_dir: str, test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Same-named files of two folders."""
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


def realblur(list_files: list[str], root: str | None, test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Pairs of RealBlur-style list files (``gt_path blur_path`` per line); a line that is not two
    paths is rejected as malformed. Whether the files exist is checked when the pair is made."""
    pairs, rejects, seen = [], [], set()
    for list_file in list_files:
        base = root if root is not None else os.path.dirname(list_file)
        lines = inputs.read_bytes(list_file).decode("utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields:
                continue
            where = f"{list_file}:{number}"
            if len(fields) < 2:
                rejects.append(Reject(where, MALFORMED, f"{where}: expected 'gt_path blur_path', got {line.strip()!r}"))
                continue
            gt, blur = fields[0], fields[1]
            if blur in seen:
                continue  # the same pair listed twice is one input
            seen.add(blur)
            pairs.append(PairInput(blur, _list_split(list_file, test_fraction, blur),
                                   FileSystems.join(base, blur), FileSystems.join(base, gt), f"{blur} {gt}"))
    return sorted(pairs), rejects


def side_by_side(srcs: list[str], test_fraction: float) -> tuple[list[PairInput], list[Reject]]:
    """Combined A|B images; a first folder ``train``/``test`` gives the split."""
    found = {}
    for src in srcs:
        for item in inputs.expand_source(src):
            found.setdefault(item.name, item.path)
    pairs = []
    for name, path in sorted(found.items()):
        top = name.split("/")[0]
        split = top if top in ("train", "test") and "/" in name else split_of(name, test_fraction)
        pairs.append(PairInput(name, split, path, None, name))
    return pairs, []
