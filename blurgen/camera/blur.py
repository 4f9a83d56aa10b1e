"""Convolution of an image with a blur kernel, by FFT, with reflective borders.

This is a true convolution, ``out[y, x] = sum_ij k[i, j] * img[y - (i - ci), x - (j - cj)]`` with
the kernel's origin at its centre pixel ``(ci, cj) = (kh // 2, kw // 2)``, i.e.
``scipy.signal.convolve2d(img, k, mode="same")`` with reflected instead of zero borders. It is
*not* what ``cv2.filter2D`` computes (correlation), which mirrors asymmetric kernels.

Borders are reflected (``numpy.pad(mode="reflect")``, OpenCV's BORDER_REFLECT_101), so the
output has no dark frame. The work is done in float32 with one kernel transform shared by all
channels.
"""
from __future__ import annotations

import cv2
import numpy as np
import scipy.fft


def fft_shape(height: int, width: int, kernel_shape: tuple[int, int]) -> tuple[int, int]:
    """The FFT size used for an image of this size: the padded image, rounded up to sizes
    that FFT fast (only small prime factors)."""
    kh, kw = kernel_shape
    return (scipy.fft.next_fast_len(height + kh - 1, real=True),
            scipy.fft.next_fast_len(width + kw - 1, real=True))


def convolve(image: np.ndarray, kernel: np.ndarray, workers: int = 1) -> np.ndarray:
    """Convolve an image with a kernel; same output size, reflective borders.

    Args:
      image: float array HxW or HxWxC (any value range; float32 is fastest).
      kernel: float 2-D array (kh, kw); its origin is the pixel ``(kh // 2, kw // 2)``. It is used
        as given: not normalised, not flipped.
      workers: threads for ``scipy.fft`` (1 keeps the result independent of the machine).
    Returns:
      float32 array of the image's shape.
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(f"kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be HxW or HxWxC, got shape {image.shape}")
    h, w = image.shape[:2]
    kh, kw = kernel.shape
    fh, fw = fft_shape(h, w, kernel.shape)
    # Rows y - (kh - 1 - ci) .. y + ci of the input feed output row y. The image is reflected
    # out to the whole FFT size (not zero-padded), which saves scipy a padding copy.
    ci, cj = kh // 2, kw // 2
    top, left = kh - 1 - ci, kw - 1 - cj
    padded = _reflect_pad(image.astype(np.float32, copy=False), top, fh - h - top, left, fw - w - left)
    spec = scipy.fft.rfft2(padded, axes=(0, 1), workers=workers)
    spec_k = scipy.fft.rfft2(kernel, s=(fh, fw), workers=workers)
    spec *= spec_k if image.ndim == 2 else spec_k[:, :, None]
    full = scipy.fft.irfft2(spec, s=(fh, fw), axes=(0, 1), workers=workers)
    # The linear convolution of the padded image is valid from (kh - 1, kw - 1) on, and the
    # padded image spans the whole period, so no wrap-around reaches that window.
    return full[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w]


def _reflect_pad(image: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """Reflect (without repeating the edge pixel) by these many pixels on each side."""
    if min(image.shape[:2]) > 1 and (image.ndim == 2 or image.shape[2] <= 4):
        try:
            return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REFLECT_101)
        except cv2.error:  # pragma: no cover - fall through to numpy for shapes OpenCV refuses
            pass
    # A 1-pixel side cannot be reflected: repeat it instead ('symmetric' equals 'reflect' then).
    mode = "reflect" if min(image.shape[:2]) > 1 else "symmetric"
    pad = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, pad, mode=mode)
