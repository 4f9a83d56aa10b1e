"""Milliseconds to blur a 1280x720 RGB image with a 64x64 kernel, against a bare scipy.fft
convolution of the same image timed in the same run, and the cost of each camera-model step.

Run: .venv/bin/python benchmarks/bench_blur.py

The bare baseline is the least an FFT convolution can do: float32 image, zero padding to a fast
size, one kernel transform, rfft2/irfft2 over the three channels, crop. blurgen adds reflective
borders, the uint8 conversions and (optionally) the camera model; the aim is at most 1.3 times
the bare figure with the camera model off.
"""
from __future__ import annotations

import _timing

_timing.one_thread()

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

from blurgen import degrade, sample_kernels  # noqa: E402
from blurgen.camera.blur import convolve  # noqa: E402
from blurgen.camera import add_noise, boost_highlights, from_linear, jpeg_roundtrip, to_linear  # noqa: E402
from blurgen.config import CameraConfig, DegradeConfig  # noqa: E402
from blurgen.images import read_image  # noqa: E402
from _timing import median_seconds, paired_ratio  # noqa: E402

H, W = 720, 1280


def photo(path: str = "samples/hubble_deep_field.jpg") -> np.ndarray:
    import cv2

    return cv2.resize(read_image(path), (W, H), interpolation=cv2.INTER_AREA)


def bare_fft_convolution(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kh, kw = kernel.shape
    fh = scipy.fft.next_fast_len(H + kh - 1, real=True)
    fw = scipy.fft.next_fast_len(W + kw - 1, real=True)
    spec = scipy.fft.rfft2(img, s=(fh, fw), axes=(0, 1)) * scipy.fft.rfft2(kernel, s=(fh, fw))[:, :, None]
    out = scipy.fft.irfft2(spec, s=(fh, fw), axes=(0, 1))
    return out[kh // 2:kh // 2 + H, kw // 2:kw // 2 + W]


def main() -> None:
    img = photo()
    kernel = np.pad(sample_kernels(1, np.random.default_rng(0))[0], ((0, 0), (0, 0)))[:64, :64].copy()
    kernel /= kernel.sum()
    img_f = img.astype(np.float32)
    off = DegradeConfig(camera=CameraConfig(linear="none", noise="none"))
    rng = np.random.default_rng(1)

    bare = lambda: bare_fft_convolution(img_f, kernel)  # noqa: E731
    rows = [
        ("blurgen.camera.blur.convolve (float32, reflective borders)", lambda: convolve(img_f, kernel)),
        ("blurgen.degrade, camera model off (uint8 in/out)", lambda: degrade(img, rng, off, kernel)),
        ("blurgen.degrade, default camera model + highlight boost",
         lambda: degrade(img, rng, DegradeConfig(camera=CameraConfig(highlight_boost=(1, 3))), kernel)),
    ]
    print("1280x720 RGB, 64x64 kernel, one thread; each row timed alternately with the bare baseline,")
    print("median of 9 rounds (ratio = median of the per-round ratios)")
    for name, fn in rows:
        t, t_bare, ratio = paired_ratio(fn, bare)
        print(f"  {name:58s} {t * 1e3:6.1f} ms  bare {t_bare * 1e3:6.1f} ms  ratio {ratio:.2f}")

    lin = to_linear(img, "srgb")
    blurred = convolve(lin, kernel)
    out8 = from_linear(blurred, "srgb")
    steps = [
        ("to linear light (sRGB, lookup table)", lambda: to_linear(img, "srgb")),
        ("highlight boost x3", lambda: boost_highlights(lin, 3.0, 0.98)),
        ("shot + read noise (Gaussian approximation)", lambda: add_noise(blurred, rng, 5000.0, 0.002)),
        ("shot + read noise (exact Poisson)", lambda: add_noise(blurred, rng, 5000.0, 0.002, True)),
        ("back to sRGB uint8", lambda: from_linear(blurred, "srgb")),
        ("JPEG q90 encode + decode", lambda: jpeg_roundtrip(out8, 90)),
    ]
    print("camera-model steps (median of 7):")
    for name, fn in steps:
        t = median_seconds(fn)
        print(f"  {name:55s} {t * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
