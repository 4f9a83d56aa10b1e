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

from blurgen.camera.profiles import CAMERAS
from blurgen.config.limits import LIST, RANGE, ROWS, Limits, check, choice, choices, setting, switch

# The families of ``KernelConfig.weights``, in order. The first three are kernels on a canvas;
# "rotation" is spatially varying camera shake (``RotationConfig``), rendered by homographies.
KERNEL_FAMILIES = ("trajectory", "linear", "defocus", "rotation")
# Where a trajectory kernel's origin (its centre pixel) sits: on the path's centroid, or on the
# middle of its bounding box, as recorded kernels (Levin et al.'s, Lai et al.'s) are stored.
KERNEL_CENTRES = ("centroid", "box")
ROTATION = KERNEL_FAMILIES.index("rotation")
LINEAR_MODES = ("srgb", "gamma", "none")
NOISE_MODES = ("poisson-gaussian", "gaussian", "none")
ISP_MODES = ("rgb", "raw")
BAYER_PATTERNS = ("rggb", "bggr", "grbg", "gbrg")
DEMOSAIC_METHODS = ("bilinear", "ea", "vng")

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
    Each setting's range is declared with it (:mod:`blurgen.config.limits`).
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
    centre: str = choice("centroid", KERNEL_CENTRES)

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
class RotationConfig:
    """Camera shake as the camera turns: yaw, pitch and roll over the exposure (``blurgen.kernels.rotation``).

    The blur varies across the image: each instant's view is the sharp image warped by the
    homography ``K R(t) K^-1`` (``K``: focal length ``f`` px, principal point at the image centre),
    and the blurred image is their mean (in the space ``CameraConfig.linear`` names). A drawn trajectory is a smooth random path
    of ``samples`` evenly spaced poses, shifted so that its mean angle is 0; its yaw/pitch part is
    scaled so that the widest angle between two of its poses is ``tilt`` degrees (the blur at the
    image centre is about ``f * tilt`` px long), its roll part so that roll spans ``roll`` degrees
    (a point ``r`` px from the centre moves about ``r * roll`` px). Both are drawn log-uniformly.

    ``focal_px`` fixes the focal length in px (a value or a range); otherwise it is the 35 mm
    equivalent ``focal_mm`` (drawn uniformly) times the image's long side / 36 mm. ``translation``
    (mm, off at 0) adds a camera shift of that extent before a plane at ``depth`` m. ``trajectory``
    is a given one instead of drawing ("--rotation FILE": rows of pitch, yaw, roll in radians at
    evenly spaced instants, optionally followed by x, y, z in metres). Instants are added between
    poses until no pixel moves more than ``step`` px from one to the next, each weighing the share
    of the exposure it stands for. A pair stores the
    ``grid`` x ``grid`` local kernels (the blur of a point at the centre of each cell).
    """

    focal_mm: tuple[float, float] = setting((24.0, 50.0), Limits(
        8, 800, "35 mm-equivalent focal lengths: phones and wide zooms are about 24 to 28 mm, a normal lens 50",
        "mm", shape=RANGE))
    focal_px: tuple[float, float] | None = setting(None, Limits(
        10, 100_000, "the focal length in pixels; none: from focal_mm and the image width", "px", shape=RANGE,
        optional=True))
    tilt: tuple[float, float] = setting((0.3, 1.5), Limits(
        0, 10, "the widest yaw/pitch angle between two poses; at 24 mm 10 degrees blurs a 1280 px frame by 150 px",
        "degrees", shape=RANGE))
    roll: tuple[float, float] = setting((0.1, 0.6), Limits(
        0, 10, "the span of roll about the optical axis; 10 degrees moves a 1280x720 frame's corners by 128 px",
        "degrees", shape=RANGE))
    translation: tuple[float, float] = setting((0.0, 0.0), Limits(
        0, 100, "the extent of the camera's shift during the exposure", "mm", shape=RANGE))
    depth: tuple[float, float] = setting((1.0, 10.0), Limits(
        0.1, 1000, "the distance of the scene plane, for translation", "m", shape=RANGE))
    samples: int = setting(32, Limits(2, 10_000, "poses of a drawn trajectory; the render adds instants between "
                                                 "them", integer=True))
    step: float = setting(1.0, Limits(0.01, 2, "the most any pixel may move between two rendered instants",
                                      "px"))
    grid: int = setting(3, Limits(1, 15, "local kernels per side stored with a pair", integer=True))
    trajectory: tuple[tuple[float, ...], ...] | None = setting(None, Limits(
        -1.5, 1.5, "radians (metres for translation columns); 1.5 rad is 86 degrees", shape=ROWS, optional=True))

    def __post_init__(self) -> None:
        if self.trajectory is not None and isinstance(self.trajectory, (tuple, list)):
            rows = self.trajectory
            if all(isinstance(r, (tuple, list)) for r in rows):
                object.__setattr__(self, "trajectory", tuple(tuple(r) for r in rows))
        check(self, "kernel.rotation.")
        if self.trajectory is not None:
            widths = {len(r) for r in self.trajectory}
            if widths not in ({3}, {6}):
                raise ValueError(f"kernel.rotation.trajectory must have 3 columns (pitch, yaw, roll in radians) "
                                 f"or 6 (then x, y, z in metres) in every row, got row lengths {sorted(widths)}")


@dataclass(frozen=True)
class KernelConfig:
    """Which kernel families to draw and with what parameters.

    ``weights`` gives the relative frequency of each family in :data:`KERNEL_FAMILIES` order
    (trajectory, linear, defocus and, when a fourth weight is given, rotation). Linear-motion
    kernels have a length drawn from ``linear_length`` px and a uniform angle; defocus kernels are
    discs of radius ``defocus_radius`` px; rotation shake follows ``rotation``.
    """

    trajectory: TrajectoryConfig = field(default_factory=TrajectoryConfig)
    weights: tuple[float, ...] = setting((1.0, 0.0, 0.0), Limits(0, 1e6, "relative frequencies of "
                                                                  "trajectory, linear, defocus, rotation", shape=LIST))
    linear_length: tuple[float, float] = setting((5.0, 40.0), Limits(1, 1000, "the canvas must hold it", "px",
                                                                      shape=RANGE))
    defocus_radius: tuple[float, float] = setting((1.0, 8.0), Limits(0.5, 500, "the canvas must hold it", "px",
                                                                      shape=RANGE))
    rotation: RotationConfig = field(default_factory=RotationConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.trajectory, TrajectoryConfig):
            raise ValueError(f"kernel.trajectory must be a TrajectoryConfig, got {self.trajectory!r}")
        if not isinstance(self.rotation, RotationConfig):
            raise ValueError(f"kernel.rotation must be a RotationConfig, got {self.rotation!r}")
        check(self, "kernel.")
        # Three weights (no rotation) keep configs written before the rotation family valid.
        if len(self.weights) not in (len(KERNEL_FAMILIES) - 1, len(KERNEL_FAMILIES)) or sum(self.weights) <= 0:
            raise ValueError(
                f"kernel.weights must be {len(KERNEL_FAMILIES)} non-negative numbers for {KERNEL_FAMILIES} "
                f"(or the first three) with a positive sum, got {self.weights}")
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
      ``x ** gamma``, ``"none"`` (the default) blurs the stored values as they are. Blur in linear
      light makes a blurred photo brighter than its sharp one once the curve is applied again (by
      1.6 grey levels on average over whole photos, up to 23 on night scenes), and a model trained
      on such pairs darkens every photo it restores (by 1.2 to 2 levels on real blur, which costs it
      more than it gains): ``make realism`` measures it, and blur in stored values won there.
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

    linear: str = choice("none", LINEAR_MODES)
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
class IspConfig:
    """Which camera processing surrounds the blur (``blurgen.camera.isp``).

    ``mode="rgb"`` is the camera model of :class:`CameraConfig` on RGB pixels. ``mode="raw"``
    simulates a sensor: the stored image is taken back to linear light and through the inverse
    of a camera's colour matrix (one of ``cameras``, from Adobe DNG / dcraw) and white balance
    (red and blue gains drawn from ``red_gain`` and ``blue_gain``, the ranges of Brooks et al.
    2019) into camera RAW; the blur, a Bayer mosaic (``bayer``), shot noise, clipping at the
    sensor's full well (``clip``) and read noise on the mosaic (``camera.noise``), demosaicing with
    OpenCV (``demosaic``: bilinear, edge-aware, or VNG on an 8-bit mosaic), white balance (clipped
    at white with ``clip``), colour matrix and tone curve follow, then JPEG if
    ``camera.jpeg_quality`` asks. ``colour`` and ``mosaic`` switch those steps off (without the
    mosaic, noise is added per RGB pixel of the camera's RAW).
    """

    mode: str = choice("rgb", ISP_MODES)
    bayer: str = choice("rggb", BAYER_PATTERNS)
    demosaic: str = choice("bilinear", DEMOSAIC_METHODS)
    cameras: tuple[str, ...] = choices(CAMERAS, CAMERAS)
    red_gain: tuple[float, float] = setting((1.9, 2.4), Limits(
        0.25, 8, "white balance gain of red; Brooks et al. 2019 draw 1.9 to 2.4", shape=RANGE))
    blue_gain: tuple[float, float] = setting((1.5, 1.9), Limits(
        0.25, 8, "white balance gain of blue; Brooks et al. 2019 draw 1.5 to 1.9", shape=RANGE))
    colour: bool = switch(True)
    clip: bool = switch(True)
    mosaic: bool = switch(True)

    def __post_init__(self) -> None:
        if isinstance(self.cameras, list):
            object.__setattr__(self, "cameras", tuple(self.cameras))
        check(self, "isp.")


@dataclass(frozen=True)
class DegradeConfig:
    """Everything :func:`blurgen.degrade` needs: the kernel model, the camera model and its processing.

    ``crop_kernel``: crop each kernel to the odd square around its support before convolving
    (the same result, faster for small kernels).
    """

    kernel: KernelConfig = field(default_factory=KernelConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    crop_kernel: bool = switch(True)
    isp: IspConfig = field(default_factory=IspConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.kernel, KernelConfig) or not isinstance(self.camera, CameraConfig):
            raise ValueError("kernel and camera must be a KernelConfig and a CameraConfig")
        if not isinstance(self.isp, IspConfig):
            raise ValueError("isp must be an IspConfig")
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
        r = k.pop("rotation", {})
        _check_keys("kernel.rotation.", r, RotationConfig)
        camera = d.get("camera", {})
        _check_keys("camera.", camera, CameraConfig)
        isp = d.get("isp", {})
        _check_keys("isp.", isp, IspConfig)
        kernel = KernelConfig(trajectory=TrajectoryConfig(**_tuples(t)), rotation=RotationConfig(**_tuples(r)),
                              **_tuples(k))
        return cls(kernel=kernel, camera=CameraConfig(**_tuples(camera)), crop_kernel=d.get("crop_kernel", True),
                   isp=IspConfig(**_tuples(isp)))


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
