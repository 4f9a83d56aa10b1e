"""Pictures for people: kernel galleries and blurred/sharp panels (RGB uint8 arrays).

Kernels are drawn on a black background, each scaled to its own maximum and enlarged with
nearest-neighbour sampling so single pixels stay visible.
"""
from __future__ import annotations

import math

import cv2
import numpy as np


def kernel_tile(kernel: np.ndarray, size: int = 96, min_canvas: int = 33) -> np.ndarray:
    """One kernel as a ``size`` x ``size`` RGB uint8 tile (brightness = weight / max weight).
    Kernels smaller than ``min_canvas`` px are padded to it, so tiles share one scale."""
    k = np.asarray(kernel, dtype=np.float32)
    ph, pw = max(0, min_canvas - k.shape[0]), max(0, min_canvas - k.shape[1])
    k = np.pad(k, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    peak = float(k.max())
    grey = np.zeros_like(k) if peak <= 0 else k / peak
    grey = (np.sqrt(np.clip(grey, 0, 1)) * 255).astype(np.uint8)  # sqrt shows faint tails
    tile = cv2.resize(grey, (size, size), interpolation=cv2.INTER_NEAREST)
    return np.repeat(tile[:, :, None], 3, axis=2)


def grid(tiles: list[np.ndarray], cols: int, gap: int = 4, background: int = 40) -> np.ndarray:
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


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img


def pair_panel(sharp: np.ndarray, blurred: np.ndarray, kernel: np.ndarray | None = None,
               height: int = 256) -> np.ndarray:
    """sharp | blurred | kernel side by side, scaled to ``height`` px, RGB uint8."""
    h, w = sharp.shape[:2]
    width = max(1, round(w * height / h))
    parts = [cv2.resize(_rgb(x), (width, height), interpolation=cv2.INTER_AREA) for x in (sharp, blurred)]
    if kernel is not None and np.size(kernel):
        parts.append(kernel_tile(kernel, height))
    gap = np.full((height, 4, 3), 40, np.uint8)
    out = [parts[0]]
    for p in parts[1:]:
        out += [gap, p]
    return np.concatenate(out, axis=1)
