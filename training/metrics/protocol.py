"""PSNR and SSIM by the project's one pinned protocol (ARCHITECTURE.md, "Training and scoring").

Both take two images of the same shape, HxWx3 RGB uint8 (HxW grey is taken as three equal
channels, which gives the grey image's own score), full size, no cropping or colour conversion:

* PSNR: ``10 log10(255^2 / MSE)`` over all pixels and channels, in dB (``inf`` when equal).
* SSIM (Wang et al. 2004): Gaussian window sigma 1.5 truncated at 3.5 sigma (11x11), K1 0.01,
  K2 0.03, L 255, population (co)variances, per channel, the map's mean over the pixels at least
  5 px from the border, then the mean over channels. This equals
  ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=255, channel_axis=-1)``; tests check it on real pairs.

Implemented in numpy + OpenCV's separable filter (float64) so scoring needs no TensorFlow graph.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from training.metrics.registry import PROTOCOLS, register_metric

SIGMA = 1.5
TRUNCATE = 3.5
K1, K2 = 0.01, 0.03
DATA_RANGE = 255.0
PROTOCOL = ("PSNR (peak 255) and SSIM (Gaussian window sigma 1.5, 11x11, K1 0.01, K2 0.03, population "
            "covariance, per RGB channel then averaged, 5 px border excluded) on full-size RGB uint8 images; "
            "equal to skimage structural_similarity(gaussian_weights=True, sigma=1.5, "
            "use_sample_covariance=False, data_range=255, channel_axis=-1)")


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got {a.dtype} and {b.dtype}")
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    if a.ndim != 3:
        raise ValueError(f"expected HxWx3 or HxW images, got shape {a.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR in dB of ``test`` against ``reference`` (uint8, peak 255); ``inf`` for identical images."""
    a, b = _pair(reference, test)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(DATA_RANGE ** 2 / mse)


def gaussian_window() -> np.ndarray:
    """The 1-D window: exp(-x^2 / (2 sigma^2)) for |x| <= int(3.5 sigma + 0.5), summing to 1."""
    radius = int(TRUNCATE * SIGMA + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / SIGMA) ** 2)
    return g / g.sum()


def _blur(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    # The border mode is irrelevant: the pixels it affects are the ones cropped away below.
    return cv2.sepFilter2D(x, cv2.CV_64F, g, g, borderType=cv2.BORDER_REFLECT)


def ssim_map(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM, HxWxC float64, before the border is cropped."""
    a, b = _pair(reference, test)
    g = gaussian_window()
    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    out = np.empty(a.shape, np.float64)
    for c in range(a.shape[2]):
        x, y = np.ascontiguousarray(a[..., c]), np.ascontiguousarray(b[..., c])
        mx, my = _blur(x, g), _blur(y, g)
        vx = _blur(x * x, g) - mx * mx
        vy = _blur(y * y, g) - my * my
        cxy = _blur(x * y, g) - mx * my
        out[..., c] = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return out


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM of ``test`` against ``reference`` by the pinned protocol (see the module doc)."""
    m = ssim_map(reference, test)
    pad = (len(gaussian_window()) - 1) // 2
    if m.shape[0] <= 2 * pad or m.shape[1] <= 2 * pad:
        raise ValueError(f"images of {m.shape[0]}x{m.shape[1]} px are too small for SSIM's 11x11 window")
    return float(np.mean(m[pad:-pad, pad:-pad].mean(axis=(0, 1))))


def brightness(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean of ``test`` minus mean of ``reference``, in grey levels (0..255, all pixels and channels).

    Not a quality score but a check: scored for the restored and for the blurry image against the
    same sharp image, the difference of the two is the model's own brightness shift (how much it
    darkens or brightens what it restores); a deblurring model should move it by a fraction of a
    level at most, since a normalised blur keeps the mean of the image it blurs.
    """
    a, b = _pair(reference, test)
    return float(b.mean() - a.mean())



ALIGN_PROTOCOL = ("aligned: the test image shifted by the whole-pixel offset within +-{r} px that minimises its "
                  "squared error against the sharp image, both scored on the sharp image's interior ({r} px border "
                  "removed), the restored and the blurry image each at its own offset (as blind-deblurring "
                  "benchmarks do: a blind method recovers the image only up to a translation)")


def align(reference: np.ndarray, test: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """``(reference interior, test crop, (dy, dx))``: the reference without a ``radius`` px border,
    and the equally large crop of ``test`` moved by the whole-pixel offset ``(dy, dx)`` (each
    within ``+-radius``) that gives the smallest sum of squared differences over all channels.
    Images HxW or HxWx3 uint8 of one shape, larger than ``2 * radius`` on each side."""
    a, b = np.asarray(reference), np.asarray(test)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if radius == 0:
        return a, b, (0, 0)
    h, w = a.shape[:2]
    if min(h, w) <= 4 * radius:
        raise ValueError(f"images of {w}x{h} px are too small to align within {radius} px")
    inner = np.ascontiguousarray(a[radius:h - radius, radius:w - radius], np.float32)
    ssd = cv2.matchTemplate(np.ascontiguousarray(b, np.float32), inner, cv2.TM_SQDIFF)
    dy, dx = np.unravel_index(int(np.argmin(ssd)), ssd.shape)
    crop = b[dy:dy + h - 2 * radius, dx:dx + w - 2 * radius]
    return a[radius:h - radius, radius:w - radius], crop, (int(dy) - radius, int(dx) - radius)


register_metric("psnr", psnr)
register_metric("ssim", ssim)
register_metric("brightness", brightness)
PROTOCOLS.append(PROTOCOL)
