"""A RAW sensor pipeline around the blur: camera RAW, full-well clipping, Bayer mosaic, noise on
the mosaic, demosaicing, white balance, colour matrix, tone curve, JPEG.

Real cameras add noise to a mosaic of single-colour pixels and then interpolate the missing
colours, so the noise in a photo is correlated between neighbouring pixels and between
channels, and highlights clip in the sensor's own colour space, before white balance. RSBlur
(Rim et al. 2022) showed that synthesising blur this way helps models on real blurred photos.
Here the stored image is first taken back to what the sensor saw: linear light (the tone curve
of ``CameraConfig.linear`` undone), then camera RGB (the inverse of a real camera's colour matrix,
:mod:`blurgen.camera.profiles`) divided by white balance gains (as in Brooks et al. 2019's
"unprocessing"); the blur happens there (it commutes with the colour matrix, so it may come
first), then the sensor: the Bayer mosaic, shot noise, clipping at the full well (1.0: a
saturated photosite holds its full well, whatever the photons' count), read noise, a 16-bit ADC,
OpenCV's demosaicing, and back through white balance (clipped at white, as raw converters do),
colour matrix and tone curve. (Clipping commutes with the mosaic, which takes one colour per
pixel; it comes after the shot noise, since photons arrive before the well caps the charge.)

Arrays: float32 linear light HxWx3 in, uint8 out. A grey image (HxW) has no colours: it is
clipped, noised and stored as a monochrome sensor would.
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from blurgen.camera.sensor import add_noise, noise_levels, store
from blurgen.camera.profiles import camera_from_srgb
from blurgen.config import CameraConfig, IspConfig

# Where the red pixel of each 2x2 Bayer tile sits ((row, column)), and OpenCV's conversion code
# for it. OpenCV names a pattern by the second row's second and third pixels, so its "BayerBG"
# is the pattern whose top-left tile is R G / G B ("rggb"); a test checks each against colours.
_RED_AT = {"rggb": (0, 0), "grbg": (0, 1), "gbrg": (1, 0), "bggr": (1, 1)}
_OPENCV = {"rggb": "BG", "bggr": "RG", "grbg": "GB", "gbrg": "GR"}
_SUFFIX = {"bilinear": "", "ea": "_EA", "vng": "_VNG"}
ADC_BITS = 16


def bayer_mosaic(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """The single-channel mosaic a sensor with ``pattern`` records of an HxWx3 image: float32 HxW."""
    ry, rx = _RED_AT[pattern]
    out = np.ascontiguousarray(rgb[:, :, 1], dtype=np.float32)  # green on the other diagonal of every tile
    out[ry::2, rx::2] = rgb[ry::2, rx::2, 0]
    out[1 - ry::2, 1 - rx::2] = rgb[1 - ry::2, 1 - rx::2, 2]
    return out


def demosaic(mosaic: np.ndarray, pattern: str, method: str = "bilinear", top: float = 1.0) -> np.ndarray:
    """Interpolate the colours a mosaic lacks, with OpenCV: float32 HxWx3 out.

    The mosaic is read by an ADC: clipped to [0, ``top``] and quantised to 16 bits (8 for
    ``"vng"``, which OpenCV implements for 8-bit mosaics only) over that range.
    """
    bits = 8 if method == "vng" else ADC_BITS
    levels = float(2 ** bits - 1)
    dtype = np.uint8 if bits == 8 else np.uint16
    counts = np.rint(np.clip(mosaic, 0.0, top) * (levels / top)).astype(dtype)
    scale = np.float32(top / levels)
    if min(counts.shape) < 2:  # OpenCV needs a 2x2 tile at least; a 1-pixel strip stays grey
        return np.repeat((counts.astype(np.float32) * scale)[:, :, None], 3, axis=2)
    code = getattr(cv2, f"COLOR_Bayer{_OPENCV[pattern]}2RGB{_SUFFIX[method]}")
    return cv2.cvtColor(counts, code).astype(np.float32) * scale


def raw_transform(camera: str, red_gain: float, blue_gain: float) -> np.ndarray:
    """The 3x3 matrix from linear sRGB to white-balanced-away camera RAW: diag(1 / gains) @ M."""
    return np.diag([1.0 / red_gain, 1.0, 1.0 / blue_gain]) @ camera_from_srgb(camera)


def _matrix(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    return cv2.transform(x, m.astype(np.float32))


def develop(x: np.ndarray, colour: dict[str, Any], clip: bool) -> np.ndarray:
    """Camera RAW (HxWx3) back to linear sRGB: white balance gains, then (with ``clip``) every
    channel clipped at the white level, as raw converters do (dcraw's default), so that a
    saturated highlight is white rather than tinted by the gains; then the colour matrix."""
    x = x * np.array([colour["red_gain"], 1.0, colour["blue_gain"]], dtype=np.float32)
    if clip:
        x = np.minimum(x, np.float32(1.0))
    return _matrix(x, np.linalg.inv(camera_from_srgb(colour["camera"])))


def draw_colour(rng: np.random.Generator, isp: IspConfig) -> dict[str, Any]:
    """The camera (one of ``isp.cameras``) and the white balance gains, in that order of draws."""
    camera = isp.cameras[int(rng.integers(len(isp.cameras)))]
    return {"camera": camera, "red_gain": float(rng.uniform(*isp.red_gain)),
            "blue_gain": float(rng.uniform(*isp.blue_gain))}


def expose_raw(x: np.ndarray, rng: np.random.Generator, cam: CameraConfig,
               isp: IspConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """The camera after the blur, on a simulated sensor (the module docstring's steps).

    Args:
      x: float32 linear light (sRGB primaries), HxWx3 or HxW, blurred; above 1 where boosted
        highlights are.
      rng: draws the camera and gains, the noise levels, the noise and the JPEG quality, in that order.
      cam: noise levels, tone curve and JPEG (:class:`CameraConfig`).
      isp: the RAW pipeline's own settings.
    Returns:
      The stored uint8 image (same shape) and the JSON-ready parameters drawn.
    """

    colour = isp.colour and x.ndim == 3
    mosaic = isp.mosaic and x.ndim == 3
    params: dict[str, Any] = {"isp": "raw", "bayer": isp.bayer if mosaic else None,
                              "demosaic": isp.demosaic if mosaic else None}
    drawn = None
    if colour:
        drawn = draw_colour(rng, isp)
        params.update(drawn)
        x = _matrix(x, raw_transform(drawn["camera"], drawn["red_gain"], drawn["blue_gain"]))
    if mosaic:
        x = bayer_mosaic(x, isp.bayer)
    x = expose_sensor(x, rng, cam, params, isp.clip)
    if mosaic:
        x = demosaic(x, isp.bayer, isp.demosaic, 1.0 if isp.clip else max(1.0, float(x.max())))
    if drawn is not None:
        x = develop(x, drawn, isp.clip)
    return store(x, rng, cam, params), params


def expose_sensor(x: np.ndarray, rng: np.random.Generator, cam: CameraConfig, params: dict[str, Any],
                  clip: bool) -> np.ndarray:
    """What each photosite holds and reads: shot noise on the light that arrived, the well full at
    1.0 (with ``clip``: a saturated photosite holds its full well, no more and no less), then read
    noise; levels drawn from ``cam`` and recorded in ``params``."""

    full_well, read, levels = noise_levels(rng, cam)
    params.update(levels)
    if full_well is not None:
        x = add_noise(x, rng, full_well, 0.0, cam.exact_poisson)
    if clip:
        x = np.minimum(x, np.float32(1.0))  # the full well
    if cam.noise != "none":
        x = np.maximum(x, np.float32(0.0)) + np.float32(read) * rng.standard_normal(x.shape, dtype=np.float32)
    return x
