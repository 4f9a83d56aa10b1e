"""Aligned patches and the size checks that go with them.

A pair's two images are always cut at the same box, so they stay pixel-aligned. Boxes are drawn
from an explicit generator: the same generator state gives the same boxes everywhere.
"""
from __future__ import annotations

import numpy as np

from pipelines.sources.rejects import TOO_SMALL, RejectError

Box = tuple[int, int, int, int]  # (y, x, height, width)


def check_size(shape: tuple[int, ...], path: str, min_size: int, patch: int) -> None:
    """Reject an image smaller than ``min_size`` or than the patch, naming it and the limit.

    Raises:
      RejectError: kind ``"too small"``.
    """
    h, w = shape[:2]
    if patch and (h < patch or w < patch):
        raise RejectError(TOO_SMALL, f"{path}: {w}x{h} px is too small for --patch {patch}; "
                                     f"use a smaller --patch or drop the image")
    if min(h, w) < min_size:
        raise RejectError(TOO_SMALL, f"{path}: {w}x{h} px is smaller than --min-size {min_size} px "
                                     f"on a side; too small to blur meaningfully")


def draw_boxes(height: int, width: int, patch: int, count: int, rng: np.random.Generator) -> list[Box]:
    """``count`` boxes of ``patch`` x ``patch`` px, uniformly placed inside ``height`` x ``width``;
    ``patch == 0`` means one box covering the whole image."""
    if not patch:
        return [(0, 0, height, width)]
    if patch > height or patch > width:  # pragma: no cover - check_size runs first
        raise AssertionError("patch larger than the image")
    ys = rng.integers(0, height - patch + 1, size=count)
    xs = rng.integers(0, width - patch + 1, size=count)
    return [(int(y), int(x), patch, patch) for y, x in zip(ys, xs)]


def cut(image: np.ndarray, box: Box) -> np.ndarray:
    y, x, h, w = box
    return np.ascontiguousarray(image[y:y + h, x:x + w])
