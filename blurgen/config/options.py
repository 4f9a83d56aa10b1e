"""The degradation flags, defined once for every command that blurs.

``blurgen degrade``, ``blurgen kernels`` and ``blurgen preview`` (click) and the Beam pipeline
``python -m pipelines.synth`` / ``blurgen synth`` (argparse, so that unknown flags can pass to
Beam) take the same flags with the same spelling. Each flag is optional: a flag that is not
given keeps the value of the base config (``--config FILE`` where a command has it, else the
defaults of :mod:`blurgen.config`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from blurgen.config.settings import BAYER_PATTERNS, DEMOSAIC_METHODS, ISP_MODES, KERNEL_CENTRES, KERNEL_FAMILIES, LINEAR_MODES, NOISE_MODES, \
    CameraConfig, DegradeConfig, IspConfig, KernelConfig, RotationConfig, TrajectoryConfig
from blurgen.config.limits import SettingError, describe

ON_OFF = ("on", "off")


def parse_mix(text: str) -> tuple[float, ...]:
    """'trajectory=0.8,linear=0.1,defocus=0.1' -> weights in KERNEL_FAMILIES order (missing: 0;
    a bare name: 1). The rotation weight is left out when it is not named, so that a mix of the
    kernel families alone is the same setting as before the rotation family existed."""
    weights = dict.fromkeys(KERNEL_FAMILIES, 0.0)
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in weights:
            raise ValueError(f"unknown kernel family {name!r} in {text!r}; use {', '.join(KERNEL_FAMILIES)}")
        try:
            weights[name] = float(value) if value else 1.0
        except ValueError:
            raise ValueError(f"weight of {name!r} in {text!r} is not a number") from None
    named = KERNEL_FAMILIES if "rotation" in text else KERNEL_FAMILIES[:-1]
    return tuple(weights[f] for f in named)


def load_trajectory(path: str) -> tuple[tuple[float, ...], ...]:
    """A camera trajectory from an .npy file: (T, 3) pitch, yaw, roll in radians at T evenly
    spaced instants (or (T, 6) with x, y, z shifts in metres after them), as rows of floats."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as a .npy array ({exc}); save one with np.save") from None
    if isinstance(arr, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is an .npz archive; save the (T, 3) trajectory with np.save(file, array)")
    if arr.ndim != 2 or arr.shape[1] not in (3, 6) or arr.shape[0] < 1 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{path}: a trajectory must be a (T, 3) array of pitch, yaw, roll in radians "
                         f"(or (T, 6) with x, y, z in metres), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{path}: the trajectory holds NaN or infinite values")
    return tuple(tuple(float(v) for v in row) for row in arr)


def _names(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def parse_range(text: str, cast: Callable[[str], Any] = float) -> tuple[Any, Any]:
    """'a' -> (a, a); 'a,b' -> (a, b)."""
    try:
        parts = [cast(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"{text!r} is not a number or a 'low,high' pair") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise ValueError(f"{text!r}: give one value or 'low,high'")
    return tuple(parts)


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(p) for p in text.split(","))
    except ValueError:
        raise ValueError(f"{text!r} is not a comma-separated list of numbers") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


@dataclasses.dataclass(frozen=True)
class Flag:
    """One flag: where its value goes (``part``: "kernel", "trajectory", "rotation", "camera" or
    "isp"; ``field``)."""

    name: str
    part: str
    field: str
    parse: Callable[[str], Any]
    help: str
    choices: tuple[str, ...] | None = None

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    @property
    def key(self) -> str:
        """The setting's dotted name in a config file (``camera.gamma``)."""
        return f"{_PARTS[self.part][0]}{self.field}"

    @property
    def full_help(self) -> str:
        """The help text with the range of each value, from the setting's declaration in blurgen.config."""
        if self.choices:
            return self.help
        f = _FIELDS[_PARTS[self.part][1]][self.field]
        if "limits" not in f.metadata:
            return f"{self.help}; {describe(f)}"
        return f"{self.help}; each value {f.metadata['limits'].bounds()}"


_PARTS = {"kernel": ("kernel.", KernelConfig), "trajectory": ("kernel.trajectory.", TrajectoryConfig),
          "rotation": ("kernel.rotation.", RotationConfig), "camera": ("camera.", CameraConfig),
          "isp": ("isp.", IspConfig)}
_FIELDS = {cls: {f.name: f for f in dataclasses.fields(cls)} for _, cls in _PARTS.values()}


FLAGS: tuple[Flag, ...] = (
    Flag("--mix", "kernel", "weights", parse_mix,
         "blur families and weights, e.g. 'trajectory=0.8,linear=0.1,defocus=0.1' or 'trajectory=1,rotation=1' "
         "(rotation: a turning camera, blur varying across the image; default: trajectory only)"),
    Flag("--exposures", "trajectory", "exposures", _floats,
         "exposure fractions a kernel is drawn from (default '0.1,0.5,1', DeblurGAN's mix)"),
    Flag("--anxiety", "trajectory", "anxiety", float,
         "fix the trajectory anxiety (DeblurGAN's expl); default: drawn as DeblurGAN's dataset script does"),
    Flag("--max-length", "trajectory", "max_length", float, "trajectory length in px (default 80; DeblurGAN: 60)"),
    Flag("--centre", "trajectory", "centre", str,
         "where a camera-shake kernel's origin sits: the centroid of its path, or the middle of the path's bounding "
         "box (as recorded kernels are stored; the sharp image then lines up with the blur's extent)",
         KERNEL_CENTRES),
    Flag("--canvas", "trajectory", "canvas", _whole, "kernel canvas in px (default 85; an even side is made odd by adding 1)"),
    Flag("--linear", "camera", "linear", str, "blur in linear light: undo sRGB, undo a gamma, or blur stored values",
         LINEAR_MODES),
    Flag("--gamma", "camera", "gamma", float, "the gamma for --linear gamma (default 2.2)"),
    Flag("--highlight-boost", "camera", "highlight_boost", parse_range,
         "scale saturated highlights by this factor or 'low,high' range before blurring (default 1: off)"),
    Flag("--noise", "camera", "noise", str, "camera noise model (default poisson-gaussian)", NOISE_MODES),
    Flag("--full-well", "camera", "full_well", parse_range,
         "photons at white for shot noise, a value or 'low,high', log-uniform (default 1000,20000)"),
    Flag("--read-noise", "camera", "read_noise", parse_range,
         "read-noise std in linear units, a value or 'low,high' (default 0,0.003)"),
    Flag("--jpeg", "camera", "jpeg_quality", lambda t: parse_range(t, int),
         "JPEG-compress the blurred image in the camera at this quality or 'low,high' range (default: off)"),
    Flag("--rotation", "rotation", "trajectory", load_trajectory,
         "camera trajectory to render instead of drawing one (.npy, (T, 3): pitch, yaw, roll in radians at T evenly "
         "spaced instants, relative to the sharp image's pose)"),
    Flag("--focal", "rotation", "focal_px", parse_range,
         "focal length in px for rotation shake, a value or 'low,high' (default: from --focal-mm and the image width)"),
    Flag("--focal-mm", "rotation", "focal_mm", parse_range,
         "35 mm-equivalent focal length for rotation shake, a value or 'low,high' (default 24,50)"),
    Flag("--tilt", "rotation", "tilt", parse_range,
         "widest yaw/pitch angle of drawn rotation shake in degrees, a value or 'low,high', log-uniform"),
    Flag("--roll", "rotation", "roll", parse_range,
         "span of roll about the optical axis of drawn rotation shake in degrees, a value or 'low,high', log-uniform"),
    Flag("--translation", "rotation", "translation", parse_range,
         "extent of the camera's shift during rotation shake in mm, a value or 'low,high' (default 0: none)"),
    Flag("--depth", "rotation", "depth", parse_range, "distance of the scene plane in m, for --translation"),
    Flag("--isp", "isp", "mode", str, "camera processing: rgb (noise per RGB pixel) or raw (a sensor: camera colour "
         "space, full well, Bayer mosaic, noise, demosaicing; default rgb)", ISP_MODES),
    Flag("--bayer", "isp", "bayer", str, "Bayer pattern of the raw sensor (default rggb)", BAYER_PATTERNS),
    Flag("--demosaic", "isp", "demosaic", str, "OpenCV demosaicing of the raw sensor (default bilinear)",
         DEMOSAIC_METHODS),
    Flag("--raw-camera", "isp", "cameras", _names, "camera colour matrices to draw from, comma-separated"),
    Flag("--red-gain", "isp", "red_gain", parse_range, "white balance gain of red, a value or 'low,high'"),
    Flag("--blue-gain", "isp", "blue_gain", parse_range, "white balance gain of blue, a value or 'low,high'"),
    Flag("--raw-colour", "isp", "colour", lambda t: t == "on",
         "raw sensor: go through the camera's colour space and white balance (default on)", ON_OFF),
    Flag("--raw-clip", "isp", "clip", lambda t: t == "on", "raw sensor: clip at the full well (default on)", ON_OFF),
    Flag("--raw-mosaic", "isp", "mosaic", lambda t: t == "on",
         "raw sensor: Bayer mosaic and demosaicing (default on)", ON_OFF),
)


def apply_flags(values: dict[str, Any], base: DegradeConfig | None = None) -> DegradeConfig:
    """``base`` with the flags that were given (``values[flag.dest]`` is the flag's text, or
    ``None`` when absent). Raises ValueError naming the flag when a value is bad."""
    cfg = base or DegradeConfig()
    changes: dict[str, dict[str, Any]] = {part: {} for part in _PARTS}
    for flag in FLAGS:
        text = values.get(flag.dest)
        if text is None:
            continue
        try:
            changes[flag.part][flag.field] = flag.parse(str(text))
        except ValueError as exc:
            raise ValueError(f"{flag.name}: {exc}") from None
    try:
        trajectory = dataclasses.replace(cfg.kernel.trajectory, **changes["trajectory"])
        rotation = dataclasses.replace(cfg.kernel.rotation, **changes["rotation"])
        kernel = dataclasses.replace(cfg.kernel, trajectory=trajectory, rotation=rotation, **changes["kernel"])
        camera = dataclasses.replace(cfg.camera, **changes["camera"])
        isp = dataclasses.replace(cfg.isp, **changes["isp"])
    except SettingError as exc:  # name the flag when a flag set the value
        given = [f.name for f in FLAGS if f.key == exc.key and values.get(f.dest) is not None]
        raise ValueError(f"{given[0]}: {exc}" if given else str(exc)) from None
    except ValueError as exc:  # the dataclasses' own checks say what is wrong and how to fix it
        raise ValueError(str(exc)) from None
    return dataclasses.replace(cfg, kernel=kernel, camera=camera, isp=isp)


def add_arguments(parser, parts: tuple[str, ...] = tuple(_PARTS)) -> None:
    """Add the flags to an ``argparse`` parser (or argument group); ``parts`` limits them to those
    settings (``("camera",)`` for a command that blurs without a kernel)."""
    for flag in (f for f in FLAGS if f.part in parts):
        parser.add_argument(flag.name, dest=flag.dest, default=None, choices=flag.choices,
                            help=flag.full_help.replace("%", "%%"))


def click_options(f):
    """Decorate a click command with the flags (values arrive as keyword arguments by ``dest``)."""
    import click

    for flag in reversed(FLAGS):
        kind = click.Choice(flag.choices) if flag.choices else str
        f = click.option(flag.name, flag.dest, type=kind, default=None, help=flag.full_help)(f)
    return f


def pop_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the flags' values out of a click command's keyword arguments."""
    return {flag.dest: kwargs.pop(flag.dest) for flag in FLAGS}
