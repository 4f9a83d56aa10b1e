"""What a dataset holds, gathered in one streaming pass: blur size, families, exposure, noise, strength, sizes.

:func:`pair_facts` turns one decoded record into a few numbers (its images are decoded one at a
time and dropped), and :class:`DatasetStats` adds them up in counters and fixed-width histograms,
so its memory is bounded by constants (the number of bins, and caps on the number of distinct
labels and sizes kept), never by the number of pairs: a dataset of any size is read once.

The measures, per pair:

* **kernel extent** (px): :func:`blurgen.kernels.realshake.extent` of the stored kernel (the larger side
  of the box around its values above 1 % of its peak); pairs without a kernel (real pairs,
  video) have none. Taken from the kernel itself, so it holds for any kernel family.
* **kernel family** and **exposure**: as the pair's ``params`` record them (``degrade.kernel``
  for ``synth``; the frames averaged for ``video``). Families the code does not know are counted
  under their own name; a missing parameter is counted as "not recorded".
* **noise** (sigma in 8-bit levels at stored mid-grey, 128): from the camera parameters stored
  with the pair (shot noise ``x / full_well`` plus read noise, in linear light, carried through
  the tone curve's slope); where the pair has none (real pairs), estimated from the blurred image
  with Immerkaer's operator (J. Immerkaer, "Fast noise variance estimation", CVIU 1996), which
  texture biases upwards.
* **blur strength**: the PSNR (dB, peak 255, over every channel) of the blurred image against the
  sharp one; identical images are counted apart.
* **image size**: width x height from the record.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from blurgen.shards import schema
from blurgen.camera import srgb_to_linear
from blurgen.images import decode_image
from blurgen.kernels.realshake import extent

MID_GREY = 0.5  # noise parameters are expressed at this stored level (128 of 255)
PSNR_BIN = 0.1  # dB
PSNR_MAX = 100.0
NOISE_BIN = 0.05  # levels of 255
NOISE_MAX = 64.0
MOST_LABELS = 64  # distinct families / exposures kept; the rest are counted as "other"
MOST_SIZES = 4096  # distinct image sizes kept; the rest are counted as "other sizes"
OTHER = "other"
NOT_RECORDED = "not recorded"
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


@dataclass(frozen=True)
class PairFacts:
    """The numbers one pair contributes; ``extent`` and ``noise`` are None where they do not apply."""

    split: str
    extent: int | None
    family: str
    exposure: str
    noise: float | None
    noise_from: str  # "parameters" or "estimated"
    psnr: float  # dB; inf when the two images are identical
    height: int
    width: int
    nbytes: int  # encoded bytes of both images


def _camera(params: dict[str, Any]) -> dict[str, Any] | None:
    """The camera draws of a pair: ``synth`` keeps them in ``degrade``, ``video`` in ``camera``."""
    for where in (params.get("degrade"), params.get("camera"), params):
        if isinstance(where, dict) and "noise" in where:
            return where
    return None


def _kernel_params(params: dict[str, Any]) -> dict[str, Any]:
    for where in (params.get("degrade"), params):
        if isinstance(where, dict) and isinstance(where.get("kernel"), dict):
            return where["kernel"]
    return {}


def family_of(params: dict[str, Any], has_kernel: bool) -> str:
    """The kernel family as recorded (any name, new families included), or what made a pair without one."""
    family = _kernel_params(params).get("family")
    if family is not None:
        return str(family)
    if has_kernel:
        return f"kernel, family {NOT_RECORDED}"
    if "clip" in params or "frames" in params:
        return "video frames (no kernel)"
    if "layout" in params:
        return "real pairs (no kernel)"
    return "no kernel"


def exposure_of(params: dict[str, Any]) -> str:
    """How long the shutter was open, as far as the parameters say: the fraction of the shake path
    a kernel integrates, an ``exposure`` a pipeline records, or the number of frames averaged."""
    kernel = _kernel_params(params)
    for where, unit in ((kernel, " of the path"), (params, "")):
        value = where.get("exposure")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:g}{unit}"
        if isinstance(value, str):
            return value
    if isinstance(params.get("frames"), int):
        return f"{params['frames']} frames averaged"
    if "family" in kernel:  # a kernel drawn without a shutter time: linear motion, defocus
        return f"none ({kernel['family']} kernel)"
    return NOT_RECORDED


def _decode(mode: str, gamma: float):
    """The tone curve's decoding (stored value to linear light, both in [0, 1]) of ``mode``."""
    if mode == "srgb":
        return lambda v: float(srgb_to_linear(np.float64(v)))
    if mode == "gamma":
        return lambda v: v ** gamma
    return lambda v: v  # "none", and modes this code does not know


def tone_slope(mode: str, gamma: float = 2.2, level: float = MID_GREY) -> float:
    """d(stored value) / d(linear light) of the tone curve at the stored ``level``."""
    decode, h = _decode(mode, gamma), 1e-4
    return 2 * h / (decode(level + h) - decode(level - h))


def noise_from_params(params: dict[str, Any], gamma: float = 2.2) -> float | None:
    """Noise sigma in 8-bit levels at stored mid-grey from the recorded camera draws; 0 for
    ``noise: none``; None when the pair records no camera (or no read-noise level)."""
    cam = _camera(params)
    if cam is None:
        return None
    if cam["noise"] == "none":
        return 0.0
    read = cam.get("read_noise")
    if not isinstance(read, (int, float)):
        return None
    full_well = cam.get("full_well")
    mode = str(cam.get("linear", "none"))
    var = read ** 2
    if isinstance(full_well, (int, float)) and full_well > 0:  # shot noise: variance x / full_well
        var += _decode(mode, gamma)(MID_GREY) / full_well
    return 255.0 * tone_slope(mode, gamma) * math.sqrt(var)


def estimate_noise(image: np.ndarray) -> float | None:
    """Immerkaer's noise sigma (levels) of a uint8 HxW or HxWx3 image, the mean over its channels;
    None for images under 3x3 px. Texture raises it, so it is an upper estimate on detailed images."""
    img = np.asarray(image)
    if img.shape[0] < 3 or img.shape[1] < 3:
        return None
    channels = [img] if img.ndim == 2 else [img[:, :, c] for c in range(img.shape[2])]
    h, w = img.shape[:2]
    sigmas = []
    for ch in channels:
        response = cv2.filter2D(ch.astype(np.float32), -1, _IMMERKAER)[1:-1, 1:-1]
        sigmas.append(math.sqrt(math.pi / 2) * float(np.abs(response, dtype=np.float64).sum()) / (6 * (w - 2) * (h - 2)))
    return float(np.mean(sigmas))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images of one shape, peak 255, over every value; inf when equal."""
    if a.shape != b.shape:
        raise ValueError(f"the images of a pair differ in size: {a.shape} and {b.shape}")
    # OpenCV sums the squared differences in double precision, exactly for 8-bit values, 150x faster
    # than numpy's float64 arrays on a 1280x720 image.
    mse = cv2.norm(np.ascontiguousarray(a), np.ascontiguousarray(b), cv2.NORM_L2SQR) / a.size
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def pair_facts(ex: dict[str, Any], split: str, gamma: float = 2.2) -> PairFacts:
    """The facts of one record as :func:`pipelines.shards.examples.decode_example` returns it. Both
    images are decoded here (pixels as stored) and dropped when this returns."""
    params = ex[schema.PARAMS] if isinstance(ex[schema.PARAMS], dict) else {}
    kernel = ex[schema.KERNEL]
    name = f"record {ex[schema.KEY]!r}"
    blurred = decode_image(ex[schema.BLURRED], f"{name} (blurred)", orientation=False)
    sharp = decode_image(ex[schema.SHARP], f"{name} (sharp)", orientation=False)
    noise, noise_from = noise_from_params(params, gamma), "parameters"
    if noise is None:
        noise, noise_from = estimate_noise(blurred), "estimated"
    return PairFacts(split=split, extent=None if kernel is None else extent(kernel),
                     family=family_of(params, kernel is not None), exposure=exposure_of(params),
                     noise=noise, noise_from=noise_from, psnr=psnr(blurred, sharp),
                     height=int(ex[schema.HEIGHT]), width=int(ex[schema.WIDTH]),
                     nbytes=len(ex[schema.BLURRED]) + len(ex[schema.SHARP]))


class Histogram:
    """Counts of values in bins of ``width`` from 0 (values at or above ``top`` share the last
    bin), with the exact count, sum, minimum and maximum; memory is fixed by ``top / width``."""

    def __init__(self, width: float, top: float):
        self.width, self.top = width, top
        self.counts = np.zeros(int(math.ceil(top / width)), np.int64)
        self.n, self.total, self.low, self.high = 0, 0.0, math.inf, -math.inf

    def add(self, value: float) -> None:
        self.counts[min(max(int(value // self.width), 0), len(self.counts) - 1)] += 1
        self.n += 1
        self.total += value
        self.low, self.high = min(self.low, value), max(self.high, value)

    def quantile(self, q: float) -> float | None:
        """The value below which a fraction ``q`` of the values lie, to half a bin (the bin's
        centre, kept within the exact minimum and maximum); None when empty."""
        if not self.n:
            return None
        index = int(np.searchsorted(np.cumsum(self.counts), q * self.n, side="left"))
        return min(max((index + 0.5) * self.width, self.low), self.high)

    def summary(self) -> dict[str, Any]:
        if not self.n:
            return {"count": 0}
        return {"count": self.n, "mean": self.total / self.n, "min": self.low, "max": self.high,
                **{f"p{round(q * 100)}": self.quantile(q) for q in (0.1, 0.5, 0.9)}, "bin": self.width}


def _count(counter: Counter, label: Any, most: int, other: Any) -> None:
    """Count ``label``; once ``most`` distinct labels are held, new ones count as ``other``."""
    counter[label if label in counter or len(counter) < most else other] += 1


def counter_quantile(counter: Counter, q: float) -> int | None:
    """The exact ``q`` quantile (lower) of integer values counted in ``counter``; None when empty."""
    n = sum(counter.values())
    if not n:
        return None
    seen = 0
    for value in sorted(counter):
        seen += counter[value]
        if seen >= q * n:
            return value
    return max(counter)  # pragma: no cover - q <= 1 ends the loop


@dataclass
class DatasetStats:
    """The sums of :class:`PairFacts`; :meth:`add` one pair at a time, :meth:`summary` for the card."""

    pairs: Counter = field(default_factory=Counter)  # per split
    encoded_bytes: Counter = field(default_factory=Counter)  # per split, both images
    extents: Counter = field(default_factory=Counter)  # px -> pairs
    families: Counter = field(default_factory=Counter)
    exposures: Counter = field(default_factory=Counter)
    noise: dict[str, Histogram] = field(default_factory=lambda: {
        "parameters": Histogram(NOISE_BIN, NOISE_MAX), "estimated": Histogram(NOISE_BIN, NOISE_MAX)})
    psnr: Histogram = field(default_factory=lambda: Histogram(PSNR_BIN, PSNR_MAX))
    identical: int = 0
    sizes: Counter = field(default_factory=Counter)  # (width, height) -> pairs
    widths: Counter = field(default_factory=Counter)
    heights: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.pairs.values())

    def add(self, f: PairFacts) -> None:
        self.pairs[f.split] += 1
        self.encoded_bytes[f.split] += f.nbytes
        if f.extent is not None:
            self.extents[f.extent] += 1
        _count(self.families, f.family, MOST_LABELS, OTHER)
        _count(self.exposures, f.exposure, MOST_LABELS, OTHER)
        if f.noise is not None:
            self.noise[f.noise_from].add(f.noise)
        if math.isinf(f.psnr):
            self.identical += 1
        else:
            self.psnr.add(f.psnr)
        _count(self.sizes, (f.width, f.height), MOST_SIZES, OTHER)
        self.widths[f.width] += 1
        self.heights[f.height] += 1

    def extent_summary(self) -> dict[str, Any]:
        n = sum(self.extents.values())
        if not n:
            return {"count": 0}
        return {"count": n, "min": min(self.extents), "max": max(self.extents),
                "mean": sum(e * c for e, c in self.extents.items()) / n,
                **{f"p{round(q * 100)}": counter_quantile(self.extents, q) for q in (0.1, 0.5, 0.9, 0.99)}}

    def share_below(self, value: float) -> float | None:
        """The fraction of kernels whose extent is below ``value`` (a percentile rank); None without kernels."""
        n = sum(self.extents.values())
        return sum(c for e, c in self.extents.items() if e < value) / n if n else None

    def summary(self) -> dict[str, Any]:
        """Everything, JSON-ready (``card/statistics.json``)."""
        sizes = sorted(self.sizes.items(), key=lambda kv: (-kv[1], str(kv[0])))
        return {
            "pairs": dict(sorted(self.pairs.items())), "encoded_bytes": dict(sorted(self.encoded_bytes.items())),
            "kernel_extent_px": {**self.extent_summary(), "histogram": {str(e): c for e, c in sorted(self.extents.items())}},
            "kernel_families": dict(self.families.most_common()), "exposures": dict(self.exposures.most_common()),
            "noise_sigma_levels": {k: h.summary() for k, h in self.noise.items()},
            "psnr_db": {**self.psnr.summary(), "identical_pairs": self.identical},
            "image_sizes": {"width": _int_summary(self.widths), "height": _int_summary(self.heights),
                            "most_common": [{"width": s[0], "height": s[1], "pairs": c} if s != OTHER
                                            else {"other_sizes": c} for s, c in sizes[:20]]},
        }


def _int_summary(counter: Counter) -> dict[str, Any]:
    if not counter:
        return {"count": 0}
    return {"min": min(counter), "p50": counter_quantile(counter, 0.5), "max": max(counter)}
