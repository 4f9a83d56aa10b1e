"""A contact sheet: a few pairs of a dataset, one row each: sharp | blurred | kernel.

Kernels are drawn scaled to their maximum and magnified (nearest neighbour) to the row height, so
their shape is visible; a real pair (no kernel) gets an empty grey tile.
"""
from __future__ import annotations

import itertools

import cv2
import numpy as np
from apache_beam.io.filesystems import FileSystems

from blurgen import schema
from blurgen.images import decode_image, encode_png
from pipelines import inputs, metadata
from pipelines.examples import decode_example
from pipelines.inspection import iter_examples, shard_paths

ROW = 160  # px, the height of one row
GAP = 4
BACKGROUND = 32


def _fit(img: np.ndarray, height: int, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    h, w = img.shape[:2]
    width = max(1, round(w * height / h))
    return cv2.resize(img, (width, height), interpolation=interpolation)


def kernel_tile(kernel: np.ndarray | None, size: int) -> np.ndarray:
    """uint8 RGB ``size`` x ``size``: the kernel, white at its maximum, black at zero."""
    if kernel is None or kernel.size == 0 or float(kernel.max()) <= 0:
        return np.full((size, size, 3), 96, np.uint8)
    k = np.clip(kernel / kernel.max() * 255.0, 0, 255).astype(np.uint8)
    tile = cv2.resize(k, (size, size), interpolation=cv2.INTER_NEAREST)
    return np.repeat(tile[:, :, None], 3, axis=2)


def pair_row(ex: dict) -> np.ndarray:
    sharp = _fit(decode_image(ex[schema.SHARP], ex[schema.KEY]), ROW)
    blurred = _fit(decode_image(ex[schema.BLURRED], ex[schema.KEY]), ROW)
    gap = np.full((ROW, GAP, 3), BACKGROUND, np.uint8)
    return np.concatenate([sharp, gap, blurred, gap, kernel_tile(ex[schema.KERNEL], ROW)], axis=1)


def sheet_image(rows: list[np.ndarray]) -> np.ndarray:
    width = max(r.shape[1] for r in rows)
    padded = []
    for r in rows:
        pad = np.full((ROW, width - r.shape[1], 3), BACKGROUND, np.uint8)
        padded += [np.concatenate([r, pad], axis=1), np.full((GAP, width, 3), BACKGROUND, np.uint8)]
    return np.concatenate(padded[:-1], axis=0)


def write_sheet(out: str, sheet_path: str, count: int, split: str | None = None) -> int:
    """Draw the first ``count`` records of ``split`` (default: train, else the first split); returns how many."""
    info = metadata.read_json(FileSystems.join(out, metadata.DATASET_INFO))
    names = [s["name"] for s in info["splits"]]
    split = split or ("train" if "train" in names else names[0])
    paths = [p for s, p, _ in shard_paths(out, info) if s == split]
    examples = itertools.islice((decode_example(d) for p in paths for d in iter_examples(p)), count)
    rows = [pair_row(ex) for ex in examples]
    if not rows:
        raise ValueError(f"{out}: split {split!r} has no records to draw")
    inputs.write_bytes(sheet_path, encode_png(sheet_image(rows)))
    return len(rows)
