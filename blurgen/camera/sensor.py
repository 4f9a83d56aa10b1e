"""The camera model around the blur: tone curves, highlight clipping, sensor noise, JPEG.

Blur happens in the scene, in linear light; a camera then clips what its sensor cannot hold,
adds shot and read noise, applies its tone curve and maybe compresses. Blurring stored sRGB
values instead (as DeblurGAN does) darkens blurred highlights and gives the wrong edge profile.

Arrays: uint8 images (HxW or HxWx3) outside, float32 linear values in [0, 1] inside (above 1 for
boosted highlights before clipping).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from blurgen.images import decode_image, encode_jpeg

if TYPE_CHECKING:  # the settings' types only: config does not import this module either
    from blurgen.config import CameraConfig


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """The sRGB decoding curve (IEC 61966-2-1), for values in [0, 1]."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """The sRGB encoding curve, for float32 values in [0, 1]; returns float32."""
    v = np.asarray(v, dtype=np.float32)
    low = v * np.float32(12.92)
    high = np.float32(1.055) * np.power(np.maximum(v, np.float32(0.0031308)), np.float32(1 / 2.4)) - np.float32(0.055)
    return np.where(v <= np.float32(0.0031308), low, high)


def decode_lut(mode: str, gamma: float = 2.2) -> np.ndarray:
    """A 256-entry float32 table from stored uint8 values to linear light."""
    v = np.arange(256, dtype=np.float64) / 255.0
    if mode == "srgb":
        lin = srgb_to_linear(v)
    elif mode == "gamma":
        lin = v ** gamma
    elif mode == "none":
        lin = v
    else:
        raise ValueError(f"linear mode must be 'srgb', 'gamma' or 'none', got {mode!r}")
    return lin.astype(np.float32)


def to_linear(image: np.ndarray, mode: str, gamma: float = 2.2) -> np.ndarray:
    """uint8 stored values to float32 linear light in [0, 1] (by table lookup)."""
    image = np.ascontiguousarray(image)
    if image.ndim <= 2 or image.shape[2] <= 4:
        return cv2.LUT(image, decode_lut(mode, gamma))  # 7x faster than numpy's fancy indexing
    return decode_lut(mode, gamma)[image]  # pragma: no cover


def quantize(x: np.ndarray) -> np.ndarray:
    """float32 values in [0, 1] to uint8: scale by 255, round half to even, saturate at 0 and 255,
    in one OpenCV pass."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    flat = x.reshape(x.shape[0], -1)  # one channel, so the scalar applies to every value
    return cv2.multiply(flat, 255.0, dtype=cv2.CV_8U).reshape(x.shape)


def from_linear(x: np.ndarray, mode: str, gamma: float = 2.2) -> np.ndarray:
    """float32 linear light to uint8 stored values: apply the curve, round, clip to 0..255."""
    if mode == "srgb":
        x = linear_to_srgb(x)
    elif mode == "gamma":
        x = np.power(np.maximum(x, np.float32(0.0)), np.float32(1.0 / gamma))
    elif mode != "none":
        raise ValueError(f"linear mode must be 'srgb', 'gamma' or 'none', got {mode!r}")
    return quantize(x)


def boost_highlights(x: np.ndarray, factor: float, saturation: float) -> np.ndarray:
    """Scale the pixels at or above ``saturation`` by ``factor``: a clipped highlight stood for
    more light than the sensor recorded, which a blur spreads into bright streaks."""
    if factor == 1.0:
        return x
    out = x.copy()
    out[x >= saturation] *= np.float32(factor)
    return out


def add_noise(x: np.ndarray, rng: np.random.Generator, full_well: float | None, read_sigma: float,
              exact_poisson: bool = False) -> np.ndarray:
    """Shot noise (photon counting at ``full_well`` photons for a value of 1) and Gaussian read
    noise of standard deviation ``read_sigma``, in linear units.

    Without ``exact_poisson`` the shot noise is drawn as a Gaussian of the same variance,
    ``x / full_well``, which is indistinguishable at these photon counts and several times faster.
    ``full_well=None`` gives read noise only.
    """
    x = np.maximum(x, np.float32(0.0))
    if full_well is not None and exact_poisson:
        x = (rng.poisson(x * full_well) / full_well).astype(np.float32)
        if read_sigma > 0:
            x += np.float32(read_sigma) * rng.standard_normal(x.shape, dtype=np.float32)
        return x
    noise = rng.standard_normal(x.shape, dtype=np.float32)
    if full_well is None:
        noise *= np.float32(read_sigma)
    else:
        std = x * np.float32(1.0 / full_well)
        std += np.float32(read_sigma ** 2)
        np.sqrt(std, out=std)
        noise *= std
    noise += x
    return noise


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Compress and decompress a uint8 image as JPEG at ``quality``."""
    mode = "grey" if image.ndim == 2 else "rgb"
    return decode_image(encode_jpeg(image, quality), "<jpeg round trip>", mode)


def noise_levels(rng: np.random.Generator, cam: CameraConfig) -> tuple[float | None, float, dict[str, Any]]:
    """The full well (photons at white, log-uniform; ``None`` without shot noise) and the read noise
    (standard deviation in units of white) drawn from ``cam``, in that order, and their JSON-ready
    record; no draws when ``cam.noise`` is "none"."""
    params: dict[str, Any] = {}
    full_well, read = None, 0.0
    if cam.noise != "none":
        if cam.noise == "poisson-gaussian":
            lo, hi = cam.full_well
            full_well = math.exp(float(rng.uniform(math.log(lo), math.log(hi))))
        read = float(rng.uniform(cam.read_noise[0], cam.read_noise[1]))
        params.update(noise=cam.noise, full_well=full_well, read_noise=read)
    else:
        params["noise"] = "none"
    return full_well, read, params


def store(x: np.ndarray, rng: np.random.Generator, cam: CameraConfig, params: dict[str, Any]) -> np.ndarray:
    """The tone curve, rounding and clipping to uint8, and JPEG at a quality drawn from ``cam``
    (recorded in ``params``)."""
    stored = from_linear(x, cam.linear, cam.gamma)
    if cam.jpeg_quality is not None:
        quality = int(rng.integers(cam.jpeg_quality[0], cam.jpeg_quality[1] + 1))
        stored = jpeg_roundtrip(stored, quality)
        params["jpeg_quality"] = quality
    return stored
