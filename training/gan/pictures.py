"""The trainer's pictures for people: the per-epoch samples of ``fit`` (numpy only).

``samples/epoch-NNN.png`` shows a few fixed validation (or training) crops as rows of
blurred | restored | sharp, enlarged by a whole factor to at least :data:`MIN_ROW` px so that a
64 px crop can be judged pixel by pixel, each row captioned with the PSNR of the restored crop
and of the blurred input, under a title with the epoch and step. Laid out by
:func:`blurgen.pictures.preview.sheet`.
"""
from __future__ import annotations

import math

import numpy as np

from blurgen.pictures import preview
from training.metrics import protocol as metrics

MIN_ROW = 256  # px: rows are enlarged by a whole factor to at least this height


def to_uint8(images: np.ndarray) -> np.ndarray:
    """float [-1, 1] (the trainer's range) to uint8 [0, 255], rounded and clipped, as
    ``training.data.shards.to_uint8`` does."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _psnr_text(value: float) -> str:
    return "identical" if math.isinf(value) else f"{value:.2f} dB"


def sample_picture(blurred: np.ndarray, restored: np.ndarray, sharp: np.ndarray, epoch: int, step: int,
                   total_steps: int | None = None) -> np.ndarray:
    """RGB uint8 picture of ``(n, h, w, 3)`` batches in [-1, 1]: one row per crop."""
    b, r, s = to_uint8(blurred), to_uint8(restored), to_uint8(sharp)
    height = b.shape[1] * max(1, math.ceil(MIN_ROW / b.shape[1]))
    captions = [[f"crop {i + 1}: PSNR restored {_psnr_text(metrics.psnr(s[i], r[i]))}, "
                 f"blurred {_psnr_text(metrics.psnr(s[i], b[i]))}"] for i in range(len(b))]
    picture = preview.sheet(["blurred", "restored", "sharp"], [[b[i], r[i], s[i]] for i in range(len(b))],
                            height, captions)
    of = f" of {total_steps}" if total_steps else ""
    title = [f"epoch {epoch}, step {step}{of}: {len(b)} fixed {b.shape[2]}x{b.shape[1]} px crops, "
             f"shown x{height // b.shape[1]}"]
    return preview.titled(picture, title)
