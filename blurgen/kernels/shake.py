"""Random hand shake: smooth rotation (and optional shift) trajectories over one exposure.

Each axis moves along a smooth random curve, a sum of slow cosines (1 to ``MODES`` half cycles
over the exposure, amplitudes falling as ``1 / k ** FALLOFF``, random phases): the slow sway and the few tremor
cycles of a hand-held exposure of a fraction of a second, with the speed varying along the way
as a hand's does. The yaw/pitch curve is scaled so that the widest angle between two of its poses
is the drawn ``tilt``, roll so that it spans the drawn ``roll``. The curves are sampled at ``samples`` evenly spaced instants (the render adds instants
between them where pixels would move too far), and every axis is shifted so that its mean over
them is 0, which keeps the blurred image centred on the sharp one.
Randomness comes only from the generator passed in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from blurgen.config import RotationConfig
from blurgen.kernels.rotation import Shake

MODES = 5
# Amplitudes fall as 1 / k^1.5: paths then wind as recorded ones do. Pixels above 10 % of the peak
# per px of the support's side (benchmarks/rotation_stats.py): drawn centre kernels median 2.3
# (p10 1.6, p90 3.3); recorded: Levin's 1.3 to 3.7 (median 1.9), Koehler's 1.2 to 4.1. With 1 / k,
# drawn paths wind more (median 2.6) and take more instants to render.
FALLOFF = 1.5
_DENSE = 513  # instants at which a curve's extent is measured
FULL_FRAME_WIDTH_MM = 36.0  # the long side of a 35 mm frame, the reference of equivalent focal lengths


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """Log-uniform in [low, high] (uniform when low is 0); one draw either way."""
    lo, hi = float(bounds[0]), float(bounds[1])
    u = float(rng.random())
    if lo <= 0:
        return lo + u * (hi - lo)
    return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))


@dataclass(frozen=True)
class Curves:
    """Smooth random curves on the exposure [0, 1]: ``sum_k amp[a, k] cos(pi k s + phase[a, k])``
    for each axis ``a``, times ``scale[a]``."""

    amp: np.ndarray  # (axes, MODES)
    phase: np.ndarray  # (axes, MODES)
    scale: np.ndarray  # (axes,)

    def at(self, s: np.ndarray) -> np.ndarray:
        """(len(s), axes) float64 values at the instants ``s``."""
        k = np.arange(1, MODES + 1, dtype=np.float64)
        waves = np.cos(np.pi * k[None, :, None] * np.asarray(s)[None, None, :] + self.phase[:, :, None])
        return ((self.amp[:, :, None] * waves).sum(axis=1) * self.scale[:, None]).T


def random_curves(rng: np.random.Generator, axes: int) -> Curves:
    """``axes`` smooth random curves of unit scale."""
    amp = rng.standard_normal((axes, MODES)) / np.arange(1, MODES + 1) ** FALLOFF
    phase = rng.uniform(0.0, 2 * np.pi, (axes, MODES))
    return Curves(amp, phase, np.ones(axes))


def _widest(points: np.ndarray) -> float:
    """The largest distance between two rows of ``points`` (n, d)."""
    d = points[:, None, :] - points[None, :, :]
    return float(np.sqrt((d ** 2).sum(axis=2)).max())


def _scale_to(curves: Curves, groups: list[tuple[slice, float]]) -> Curves:
    """``curves`` scaled so that the widest span of each group of axes is its extent (0 stays 0)."""
    dense = curves.at(np.linspace(0.0, 1.0, _DENSE))
    scale = curves.scale.copy()
    for axes, extent in groups:
        span = _widest(dense[:, axes])
        scale[axes] *= extent / span if span > 0 else 0.0
    return Curves(curves.amp, curves.phase, scale)


def draw_focal(rng: np.random.Generator, cfg: RotationConfig, height: int, width: int) -> dict[str, float]:
    """The focal length in px (``focal_px``) and, when it came from a 35 mm equivalent, ``focal_mm``."""
    if cfg.focal_px is not None:
        return {"focal_px": float(rng.uniform(*cfg.focal_px))}
    mm = float(rng.uniform(*cfg.focal_mm))
    return {"focal_px": max(height, width) * mm / FULL_FRAME_WIDTH_MM, "focal_mm": mm}


def draw_curves(rng: np.random.Generator, cfg: RotationConfig) -> tuple[Curves, dict[str, float]]:
    """Random pitch, yaw, roll curves (radians) and, when ``cfg.translation`` allows a shift, x, y,
    z curves (metres); and the extents drawn (``tilt``, ``roll`` degrees, ``translation`` mm,
    ``depth`` m)."""
    tilt, roll = _log_uniform(rng, cfg.tilt), _log_uniform(rng, cfg.roll)
    drawn = {"tilt": tilt, "roll": roll}
    groups = [(slice(0, 2), math.radians(tilt)), (slice(2, 3), math.radians(roll))]
    axes = 3
    if cfg.translation[1] > 0:
        shift = _log_uniform(rng, cfg.translation)
        drawn.update(translation=shift, depth=_log_uniform(rng, cfg.depth))
        groups.append((slice(3, 6), shift / 1000.0))
        axes = 6
    return _scale_to(random_curves(rng, axes), groups), drawn


def sample_curves(curves: Curves, samples: int) -> np.ndarray:
    """The curves at ``samples`` evenly spaced instants (ends included), shifted so that each axis
    has mean 0 over them: (samples, axes) float64."""
    traj = curves.at(np.linspace(0.0, 1.0, samples))
    return traj - traj.mean(axis=0)


def draw_shake(rng: np.random.Generator, cfg: RotationConfig, height: int,
               width: int) -> tuple[Shake, dict[str, Any]]:
    """The camera motion for one image of ``height`` x ``width`` px: ``cfg.trajectory`` when given,
    else a drawn one; the focal length is drawn either way (first).

    Returns:
      ``(shake, params)``: params JSON-ready (``family``, ``focal_px``, ``trajectory`` as rows,
      the extents drawn, ``depth`` where there are shifts).
    """
    params: dict[str, Any] = {"family": "rotation", **draw_focal(rng, cfg, height, width)}
    if cfg.trajectory is not None:
        traj = np.asarray(cfg.trajectory, dtype=np.float64)
        params["given"] = True
        if traj.shape[1] == 6:
            params["depth"] = _log_uniform(rng, cfg.depth)
    else:
        curves, drawn = draw_curves(rng, cfg)
        params.update(drawn)
        traj = sample_curves(curves, cfg.samples)
    shake = Shake(traj, params["focal_px"], height, width, params.get("depth"), cfg.step)
    params["trajectory"] = traj.tolist()
    return shake, params


def shake_from_params(params: dict[str, Any], height: int, width: int, step: float = 1.0) -> Shake:
    """The :class:`Shake` a pair's recorded kernel parameters describe (``family`` "rotation"),
    on an image of ``height`` x ``width`` px: its trajectory, focal length and depth."""
    if params.get("family") != "rotation":
        raise ValueError(f"these parameters describe a {params.get('family')!r} kernel, not rotation shake")
    return Shake(np.asarray(params["trajectory"], dtype=np.float64), float(params["focal_px"]), height, width,
                 params.get("depth"), step)
