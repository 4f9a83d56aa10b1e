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

from blurgen.config import KERNEL_FAMILIES, LINEAR_MODES, NOISE_MODES, CameraConfig, DegradeConfig, KernelConfig, \
    TrajectoryConfig
from blurgen.limits import SettingError


def parse_mix(text: str) -> tuple[float, float, float]:
    """'trajectory=0.8,linear=0.1,defocus=0.1' -> weights in KERNEL_FAMILIES order (missing: 0;
    a bare name: 1)."""
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
    return tuple(weights[f] for f in KERNEL_FAMILIES)


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
    """One flag: where its value goes (``part``: "kernel", "trajectory" or "camera"; ``field``)."""

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
        limits = _FIELDS[_PARTS[self.part][1]][self.field].metadata["limits"]
        return f"{self.help}; each value {limits.bounds()}"


_PARTS = {"kernel": ("kernel.", KernelConfig), "trajectory": ("kernel.trajectory.", TrajectoryConfig),
          "camera": ("camera.", CameraConfig)}
_FIELDS = {cls: {f.name: f for f in dataclasses.fields(cls)} for _, cls in _PARTS.values()}


FLAGS: tuple[Flag, ...] = (
    Flag("--mix", "kernel", "weights", parse_mix,
         "kernel families and weights, e.g. 'trajectory=0.8,linear=0.1,defocus=0.1' (default: trajectory only)"),
    Flag("--exposures", "trajectory", "exposures", _floats,
         "exposure fractions a kernel is drawn from (default '0.1,0.5,1', DeblurGAN's mix)"),
    Flag("--anxiety", "trajectory", "anxiety", float,
         "fix the trajectory anxiety (DeblurGAN's expl); default: drawn as DeblurGAN's dataset script does"),
    Flag("--max-length", "trajectory", "max_length", float, "trajectory length in px (default 80; DeblurGAN: 60)"),
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
)


def apply_flags(values: dict[str, Any], base: DegradeConfig | None = None) -> DegradeConfig:
    """``base`` with the flags that were given (``values[flag.dest]`` is the flag's text, or
    ``None`` when absent). Raises ValueError naming the flag when a value is bad."""
    cfg = base or DegradeConfig()
    changes: dict[str, dict[str, Any]] = {"kernel": {}, "trajectory": {}, "camera": {}}
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
        kernel = dataclasses.replace(cfg.kernel, trajectory=trajectory, **changes["kernel"])
        camera = dataclasses.replace(cfg.camera, **changes["camera"])
    except SettingError as exc:  # name the flag when a flag set the value
        given = [f.name for f in FLAGS if f.key == exc.key and values.get(f.dest) is not None]
        raise ValueError(f"{given[0]}: {exc}" if given else str(exc)) from None
    except ValueError as exc:  # the dataclasses' own checks say what is wrong and how to fix it
        raise ValueError(str(exc)) from None
    return dataclasses.replace(cfg, kernel=kernel, camera=camera)


def add_arguments(parser, parts: tuple[str, ...] = ("kernel", "trajectory", "camera")) -> None:
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
