"""Pictures for people: kernel galleries, rows of images, contact sheets (RGB uint8 arrays).

The one home of the picture helpers: ``blurgen preview``, ``blurgen inspect --sheet`` (pipelines)
and the trainer's contact sheets all lay their images out with these functions.

Kernels are drawn on a black background, each scaled to its own maximum (square root, so faint
tails show) and enlarged with nearest-neighbour sampling so single pixels stay visible.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

GAP = 4
BACKGROUND = 40


def as_rgb(img: np.ndarray) -> np.ndarray:
    """HxW or HxWx1 grey to HxWx3; RGB unchanged."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 3:
        return img
    return np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)


def fit_height(img: np.ndarray, height: int) -> np.ndarray:
    """Scale an image to ``height`` px, keeping its aspect ratio; RGB uint8 out."""
    h, w = img.shape[:2]
    width = max(1, round(w * height / h))
    interpolation = cv2.INTER_AREA if height <= h else cv2.INTER_LINEAR
    return cv2.resize(as_rgb(img), (width, height), interpolation=interpolation)


def kernel_tile(kernel: np.ndarray | None, size: int = 96, min_canvas: int = 33) -> np.ndarray:
    """One kernel as a ``size`` x ``size`` RGB uint8 tile (brightness = sqrt(weight / max weight)).

    Kernels smaller than ``min_canvas`` px are padded to it, so tiles share one scale. A missing
    kernel (a real pair has none) gives a plain grey tile.
    """
    if kernel is None or np.size(kernel) == 0 or float(np.max(kernel)) <= 0:
        return np.full((size, size, 3), 96, np.uint8)
    k = np.asarray(kernel, dtype=np.float32)
    ph, pw = max(0, min_canvas - k.shape[0]), max(0, min_canvas - k.shape[1])
    k = np.pad(k, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    grey = (np.sqrt(np.clip(k / k.max(), 0, 1)) * 255).astype(np.uint8)
    return as_rgb(cv2.resize(grey, (size, size), interpolation=cv2.INTER_NEAREST))


def row(images: list[np.ndarray], height: int, gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Images side by side, each scaled to ``height`` px, ``gap`` px apart."""
    if not images:
        raise ValueError("no images to lay out")
    spacer = np.full((height, gap, 3), background, np.uint8)
    parts = []
    for img in images:
        parts += [fit_height(img, height), spacer]
    return np.concatenate(parts[:-1], axis=1)


def stack(rows: list[np.ndarray], gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Rows one above the other, each padded on the right to the widest, ``gap`` px apart."""
    if not rows:
        raise ValueError("no rows to lay out")
    width = max(r.shape[1] for r in rows)
    parts = []
    for r in rows:
        pad = np.full((r.shape[0], width - r.shape[1], 3), background, np.uint8)
        parts += [np.concatenate([r, pad], axis=1), np.full((gap, width, 3), background, np.uint8)]
    return np.concatenate(parts[:-1], axis=0)


def grid(tiles: list[np.ndarray], cols: int, gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Lay equal-sized RGB tiles out in rows of ``cols`` with a ``gap`` px border."""
    if not tiles:
        raise ValueError("no tiles to lay out")
    th, tw = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / cols)
    out = np.full((rows * (th + gap) + gap, cols * (tw + gap) + gap, 3), background, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y:y + th, x:x + tw] = t
    return out


def kernel_gallery(kernels: np.ndarray, cols: int = 8, tile: int = 96) -> np.ndarray:
    """A grid of kernels (n, k, k) as one RGB uint8 image."""
    return grid([kernel_tile(k, tile) for k in kernels], cols)


def pair_panel(sharp: np.ndarray, blurred: np.ndarray, kernel: np.ndarray | None = None,
               height: int = 256) -> np.ndarray:
    """sharp | blurred | kernel side by side at ``height`` px, RGB uint8 (the kernel tile is grey
    where there is no kernel)."""
    return row([sharp, blurred, kernel_tile(kernel, height)], height)
