"""Settings of the degradation model: one frozen dataclass per part, each with its defaults.

Ranges are ``(low, high)`` pairs from which a value is drawn per image or per kernel; a range
with ``low == high`` fixes the value. The defaults of :class:`TrajectoryConfig` are DeblurGAN's
(Boracchi and Foi's model as KupynOrest/DeblurGAN ``motion_blur/`` sets it up).

``DegradeConfig.to_dict()`` / ``DegradeConfig.from_dict()`` round-trip through JSON, so that a
manifest or a shard's ``params`` records exactly what was used.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from blurgen.limits import LIST, RANGE, Limits, check, choice, setting, switch

KERNEL_FAMILIES = ("trajectory", "linear", "defocus")
LINEAR_MODES = ("srgb", "gamma", "none")
NOISE_MODES = ("poisson-gaussian", "gaussian", "none")

# The largest kernel canvas: it holds a path of 1022 px, and 1000 kernels of it take 4 GiB.
MAX_CANVAS = 1025


@dataclass(frozen=True)
class TrajectoryConfig:
    """Random camera-shake trajectories (Boracchi and Foi 2012, set up as DeblurGAN does).

    The defaults are DeblurGAN's but for the size: its dataset script's exposures (1/10, 1/2 and
    all of the path), on a path of 80 px instead of its 60, so that the kernels span the sizes of
    recorded camera shake (Levin's 9 to 22 px, Koehler's 24 to 32; ``benchmarks/kernel_stats.py``);
    ``max_length=60, canvas=64`` gives DeblurGAN's own.

    The walk has ``num_samples`` points spaced evenly along a path of exactly ``max_length`` px.
    Per trajectory: ``anxiety`` (DeblurGAN's ``expl``; ``None`` draws it from ``anxiety_choices``,
    the list DeblurGAN's dataset script draws from; its ``Trajectory`` class alone would use
    U(0, 0.1), which gives kernels half the size of those DeblurGAN trained on),
    centripetal pull U(0, ``centripetal_max``), Gaussian shake U(0, ``gaussian_shake_max``) and
    big-shake probability U(0, ``big_shake_prob_max``) x anxiety per step.
    ``exposures`` are the fractions of the path that a kernel integrates (one drawn per kernel).
    ``canvas`` is the kernel canvas side in px (made odd by adding 1 when even).
    Each setting's range is declared with it (:mod:`blurgen.limits`).
    """

    canvas: int = setting(85, Limits(5, MAX_CANVAS, "the kernel canvas; 1025 px holds a 1022 px path", "px",
                                     integer=True))
    num_samples: int = setting(2000, Limits(2, 100_000, "points along the path; DeblurGAN uses 2000", integer=True))
    max_length: float = setting(80.0, Limits(1, 1000, "the path's length (DeblurGAN: 60); the canvas must hold it",
                                                    "px"))
    anxiety: float | None = setting(None, Limits(0, 1, "DeblurGAN's expl: its scripts use 0.003 to 0.01",
                                                 optional=True))
    anxiety_choices: tuple[float, ...] = setting((0.01, 0.009, 0.008, 0.007, 0.005, 0.003),
                                                 Limits(0, 1, "DeblurGAN's expl values to draw from", shape=LIST))
    centripetal_max: float = setting(0.7, Limits(0, 1, "a pull back to the start, as a fraction per step"))
    gaussian_shake_max: float = setting(10.0, Limits(0, 100, "step noise; DeblurGAN uses up to 10"))
    big_shake_prob_max: float = setting(0.2, Limits(0, 1, "a probability"))
    exposures: tuple[float, ...] = setting((0.1, 0.5, 1.0),
                                           Limits(0, 1, "fractions of the path a kernel integrates", low_open=True,
                                                  shape=LIST))

    def __post_init__(self) -> None:
        check(self, "kernel.trajectory.")
        # A path of length L lies within L/2 of its own centroid, so after centring it needs a
        # canvas of 2 * ceil(L / 2) + 3 px (one more pixel each side for bilinear splatting).
        need = 2 * math.ceil(self.max_length / 2) + 3
        if self.size < need:
            raise ValueError(
                f"canvas {self.canvas} is too small for max_length {self.max_length}: "
                f"use canvas >= {need} so that no part of a kernel is cut off")

    @property
    def size(self) -> int:
        """The odd side of the kernel canvas."""
        return self.canvas if self.canvas % 2 else self.canvas + 1


@dataclass(frozen=True)
class KernelConfig:
    """Which kernel families to draw and with what parameters.

    ``weights`` gives the relative frequency of each family in :data:`KERNEL_FAMILIES` order
    (trajectory, linear, defocus). Linear-motion kernels have a length drawn from
    ``linear_length`` px and a uniform angle; defocus kernels are discs of radius ``defocus_radius`` px.
    """

    trajectory: TrajectoryConfig = field(default_factory=TrajectoryConfig)
    weights: tuple[float, float, float] = setting((1.0, 0.0, 0.0), Limits(0, 1e6, "relative frequencies of "
                                                                           "trajectory, linear, defocus", shape=LIST))
    linear_length: tuple[float, float] = setting((5.0, 40.0), Limits(1, 1000, "the canvas must hold it", "px",
                                                                      shape=RANGE))
    defocus_radius: tuple[float, float] = setting((1.0, 8.0), Limits(0.5, 500, "the canvas must hold it", "px",
                                                                      shape=RANGE))

    def __post_init__(self) -> None:
        if not isinstance(self.trajectory, TrajectoryConfig):
            raise ValueError(f"kernel.trajectory must be a TrajectoryConfig, got {self.trajectory!r}")
        check(self, "kernel.")
        if len(self.weights) != len(KERNEL_FAMILIES) or sum(self.weights) <= 0:
            raise ValueError(
                f"kernel.weights must be {len(KERNEL_FAMILIES)} non-negative numbers for {KERNEL_FAMILIES} "
                f"with a positive sum, got {self.weights}")
        half = (self.trajectory.size - 3) / 2
        _fits_canvas("kernel.linear_length", self.linear_length, 2 * half, self.trajectory.canvas)
        _fits_canvas("kernel.defocus_radius", self.defocus_radius, half, self.trajectory.canvas)


def _fits_canvas(name: str, rng: tuple[float, float], most: float, canvas: int) -> None:
    if rng[1] > most:
        raise ValueError(f"{name} must be at most {most:g} px on a canvas of {canvas} px, got {rng}; "
                         f"lower it or raise the canvas")


@dataclass(frozen=True)
class CameraConfig:
    """The camera model around the blur, each step switchable.

    * ``linear``: blur in linear light; ``"srgb"`` undoes the sRGB curve, ``"gamma"`` undoes
      ``x ** gamma``, ``"none"`` blurs the stored values as they are.
    * ``highlight_boost``: saturated pixels (``>= saturation`` in linear light) of the sharp image are
      scaled by a factor drawn from this range before blurring, since the scene was brighter than the
      sensor could record; after the blur the sensor clips them again, which leaves the bright,
      flat-topped streaks of real night shots. (1, 1) switches it off. The output is always clipped
      to the range of uint8.
    * ``noise``: ``"poisson-gaussian"`` (shot noise with a full well drawn log-uniformly from
      ``full_well`` photons, plus Gaussian read noise with a standard deviation drawn from
      ``read_noise``, in linear units), ``"gaussian"`` (read noise only) or ``"none"``.
      ``exact_poisson`` draws true Poisson counts; otherwise the (much faster) Gaussian
      approximation with the same variance is used.
    * ``jpeg_quality``: compress the blurred image as JPEG at a quality drawn from this range, or ``None``.
    """

    linear: str = choice("srgb", LINEAR_MODES)
    gamma: float = setting(2.2, Limits(1, 3, "display gammas lie near 2.2; 1 is linear light already"))
    highlight_boost: tuple[float, float] = setting((1.0, 1.0), Limits(
        1, 1000, "how much brighter than white a clipped highlight was; at 1000 one such pixel saturates its "
        "whole streak", shape=RANGE))
    saturation: float = setting(0.98, Limits(0.5, 1, "the linear level at which the sensor clipped"))
    noise: str = choice("poisson-gaussian", NOISE_MODES)
    full_well: tuple[float, float] = setting((1000.0, 20000.0), Limits(
        10, 1e6, "the full well: a few thousand for small pixels, up to about 100,000 for large ones", "photons",
        shape=RANGE))
    read_noise: tuple[float, float] = setting((0.0, 0.003), Limits(
        0, 0.1, "standard deviation in units of white; 0.1 already hides most detail", shape=RANGE))
    exact_poisson: bool = switch(False)
    jpeg_quality: tuple[int, int] | None = setting(None, Limits(1, 100, "JPEG's quality scale", integer=True,
                                                                shape=RANGE, optional=True))

    def __post_init__(self) -> None:
        check(self, "camera.")


@dataclass(frozen=True)
class DegradeConfig:
    """Everything :func:`blurgen.degrade` needs: the kernel model and the camera model.

    ``crop_kernel``: crop each kernel to the odd square around its support before convolving
    (the same result, faster for small kernels).
    """

    kernel: KernelConfig = field(default_factory=KernelConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    crop_kernel: bool = switch(True)

    def __post_init__(self) -> None:
        if not isinstance(self.kernel, KernelConfig) or not isinstance(self.camera, CameraConfig):
            raise ValueError("kernel and camera must be a KernelConfig and a CameraConfig")
        check(self, "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DegradeConfig":
        """The inverse of :meth:`to_dict`; missing keys take their defaults, unknown keys are refused."""
        if not isinstance(d, dict):
            raise ValueError(f"a degradation config must be a JSON object, got {type(d).__name__}")
        _check_keys("", d, cls)
        k = dict(d.get("kernel", {}))
        _check_keys("kernel.", k, KernelConfig)
        t = k.pop("trajectory", {})
        _check_keys("kernel.trajectory.", t, TrajectoryConfig)
        camera = d.get("camera", {})
        _check_keys("camera.", camera, CameraConfig)
        return cls(kernel=KernelConfig(trajectory=TrajectoryConfig(**_tuples(t)), **_tuples(k)),
                   camera=CameraConfig(**_tuples(camera)), crop_kernel=d.get("crop_kernel", True))


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else type(value).__name__


def _check_keys(prefix: str, d: Any, kind: type) -> None:
    """Refuse keys ``kind`` does not have, and values of another JSON kind than the field's
    default (a field whose default is null, or a list field that may be null, takes either)."""
    if not isinstance(d, dict):
        raise ValueError(f"{prefix.rstrip('.') or 'config'} must be a JSON object, got {d!r}")
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(d) - set(fields))
    if unknown:
        raise ValueError(f"unknown degradation setting(s) {[prefix + u for u in unknown]}; "
                         f"known {prefix or 'top-level '}keys: {sorted(fields)}")
    defaults = dataclasses.asdict(kind())
    for key, value in d.items():
        want = defaults[key]
        if isinstance(want, dict) or want is None or (value is None and "None" in str(fields[key].type)):
            continue  # nested objects are checked on their own; null defaults take any kind
        if _json_kind(value) != _json_kind(want):
            raise ValueError(f"{prefix}{key} must be {_json_kind(want)} (default {want!r}), got {value!r}")


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
