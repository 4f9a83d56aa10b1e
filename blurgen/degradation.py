"""Degrade a sharp image: draw (or take) a blur, blur in linear light, run the camera model.

``degrade(image, rng)`` is the one call the pipelines make per example. Its randomness comes
only from ``rng``, consumed in a fixed order (kernel or camera shake, highlight boost, the RAW
pipeline's camera and gains when ``isp.mode`` is "raw", noise levels, noise, JPEG quality), so
one generator state gives one result on every machine.

The blur is a kernel (convolution, :mod:`blurgen.camera.blur`) or, for the "rotation" family, the
spatially varying shake of a turning camera (:mod:`blurgen.kernels.rotation`); then the camera model of
:class:`~blurgen.config.CameraConfig` on RGB pixels, or the RAW sensor pipeline of
:mod:`blurgen.camera.isp`.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from blurgen.camera.blur import convolve
from blurgen.camera import add_noise, boost_highlights, from_linear, jpeg_roundtrip, noise_levels, store, to_linear
from blurgen.config import ROTATION, CameraConfig, DegradeConfig
from blurgen.kernels import choose_families, crop_to_support, draw_kernels


class Degraded(NamedTuple):
    """The result of :func:`degrade_with_params`."""

    blurred: np.ndarray  # uint8, the input's shape
    # float32 (kh, kw), origin at (kh // 2, kw // 2): blurred = sharp * kernel. For rotation shake
    # (gy, gx, kh, kw): the local kernels of a grid of points (rows params["kernel"]["grid_y"],
    # columns params["kernel"]["grid_x"]), each the blur of a point there.
    kernel: np.ndarray
    params: dict[str, Any]  # JSON-ready: what was drawn for this image


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 (as read by blurgen.images.read_image), got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)) or image.size == 0:
        raise ValueError(f"image must be HxW grey or HxWx3 RGB, got shape {image.shape}")
    return image


def _check_kernel(kernel: np.ndarray) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(f"kernel must be a 2-D array, got shape {kernel.shape}")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel contains NaN or infinite values")
    return kernel


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def degrade_with_params(image: np.ndarray, rng: np.random.Generator, config: DegradeConfig | None = None,
                        kernel: np.ndarray | None = None) -> Degraded:
    """Blur ``image`` and run it through the camera model.

    Args:
      image: uint8 HxWx3 RGB or HxW grey, any size and aspect ratio.
      rng: the only source of randomness.
      config: the model's settings (:class:`blurgen.config.DegradeConfig`; defaults if ``None``).
      kernel: a 2-D kernel to use as is (not normalised, not re-centred; origin at its centre
        pixel ``(kh // 2, kw // 2)``); ``None`` draws one from ``config.kernel``.
    Returns:
      :class:`Degraded` with the blurred uint8 image (same shape), the kernel that was convolved
      (for rotation shake, the grid of local kernels), and the parameters drawn.
    """
    cfg = config or DegradeConfig()
    cam = cfg.camera
    image = _check_image(image)
    shake = None
    if kernel is None:
        kernel, kparams, shake = _draw_blur(image.shape[0], image.shape[1], rng, cfg)
    else:
        kernel, kparams = _check_kernel(kernel), {"family": "given"}
    params: dict[str, Any] = {"kernel": kparams, "kernel_size": list(kernel.shape), "linear": cam.linear}

    x = to_linear(image, cam.linear, cam.gamma)
    boost = draw_highlight_boost(rng, cam)
    x = boost_highlights(x, boost, cam.saturation)
    params["highlight_boost"] = boost
    if shake is None:
        x = convolve(x, kernel)
    else:
        x = shake.render(x)
    if cfg.isp.mode == "raw":
        from blurgen.camera.isp import expose_raw
        blurred, sensor = expose_raw(x, rng, cam, cfg.isp)
    else:
        blurred, sensor = expose(x, rng, cam)
    params.update(sensor)
    return Degraded(blurred, kernel, params)


def _draw_blur(height: int, width: int, rng: np.random.Generator, cfg: DegradeConfig):
    """``(kernel, params, shake)``: a kernel from the configured mix (``shake`` None), or, for the
    rotation family or a given trajectory, a camera shake and its grid of local kernels."""
    rot = cfg.kernel.rotation
    family = ROTATION if rot.trajectory is not None else int(choose_families(1, rng, cfg.kernel)[0])
    if family != ROTATION:
        drawn, kparams = draw_kernels(1, rng, cfg.kernel, families=[family])
        return (crop_to_support(drawn[0]) if cfg.crop_kernel else drawn[0]), kparams[0], None
    from blurgen.kernels.shake import draw_shake

    shake, kparams = draw_shake(rng, rot, height, width)
    kernels, ys, xs = shake.local_kernels(rot.grid)
    kparams.update(instants=len(shake.homographies()), grid_y=ys.tolist(), grid_x=xs.tolist())
    return kernels, kparams, shake


def draw_highlight_boost(rng: np.random.Generator, cam: CameraConfig) -> float:
    """The factor for saturated highlights, drawn from ``cam.highlight_boost`` (drawn even when the
    range is (1, 1), so that the draws after it do not depend on the setting)."""
    return _uniform(rng, cam.highlight_boost)


def expose(x: np.ndarray, rng: np.random.Generator, cam: CameraConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """The camera after the blur: shot and read noise, tone curve, clipping, JPEG.

    Args:
      x: float32 linear light, HxW or HxWx3, in [0, 1] (above 1 where boosted highlights clip).
      rng: draws the noise levels, the noise and the JPEG quality, in that order.
      cam: the camera model's settings.
    Returns:
      The stored uint8 image (same shape) and the JSON-ready parameters drawn (``noise``,
      ``full_well``, ``read_noise``, ``jpeg_quality``).
    """
    x, params = sensor_noise(x, rng, cam)
    return store(x, rng, cam, params), params


def sensor_noise(x: np.ndarray, rng: np.random.Generator, cam: CameraConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """Shot and read noise at levels drawn from ``cam`` (:func:`noise_levels`), in linear units;
    returns the noisy float32 image and the JSON-ready levels drawn."""
    full_well, read, params = noise_levels(rng, cam)
    if cam.noise != "none":
        x = add_noise(x, rng, full_well, read, cam.exact_poisson)
    return x, params


def degrade(image: np.ndarray, rng: np.random.Generator, config: DegradeConfig | None = None,
            kernel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Blur ``image`` through the camera model; returns ``(blurred uint8, kernel float32)``.

    See :func:`degrade_with_params`, which also returns the parameters drawn.
    """
    result = degrade_with_params(image, rng, config, kernel)
    return result.blurred, result.kernel
