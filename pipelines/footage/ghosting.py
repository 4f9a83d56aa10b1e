"""How many frames to interpolate in a window, and which windows would show ghosts instead of blur.

Averaging frames between which something moved several pixels gives separate transparent copies
of it (ghosts), not a smear. A window's samples (:mod:`pipelines.footage.exposure`) make blur, not
copies, when the motion within the time each sample stands for (between two consecutive samples
where their cells are whole) stays under ``--max-motion`` px (default 1). So:

* each pair of neighbouring frames the exposure overlaps has its largest speed ``v`` measured
  (:mod:`pipelines.footage.motion`, px per frame interval); ``--interpolate auto`` puts ``ceil(v / bound)
  - 1`` frames between them (at most ``--max-interpolate``), a fixed ``--interpolate K`` puts ``K``;
* the plan's largest motion per sample must then be within the bound, else the window is
  rejected as ``ghosting``, naming the motion and the setting that would fix it;
* and every pair whose samples the mean uses must be one the flow explains: warped halfway to
  each other, its two frames may disagree (by more than 24 grey levels) on at most
  ``--max-mismatch`` percent of the frame (default 5). Occluded strips beside moving things
  disagree on a few percent; a flow that failed (a flash, a motion beyond its range, repeated
  texture, a cut below the cut threshold) on tens of percent.

Measured on rendered pairs at 768x576 (``benchmarks/bench_video.py``'s scenes): correct flows with
occlusion disagreed on 0 to 2.3 % (a pan of 10 px with an object moving 40 px), a cut 62 %, a
flash (brightness x1.3) 65 %, stripes of period 16 px moving 12 px 50 %. A small object whose
motion the flow misses entirely disagrees on no more than its own area, which may stay below the
limit: the check catches failures of the flow over large areas, not every one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from pipelines.footage.exposure import Plan, make_plan, pairs_overlapping, seconds_text
from pipelines.footage.motion import PairMotion

#: Motion per sample (px) below which a window counts as blur; the default of ``--max-motion``.
DEFAULT_MAX_MOTION = 1.0
DEFAULT_MAX_INTERPOLATE = 31
DEFAULT_MAX_MISMATCH = 5.0  # percent of the frame


@dataclass(frozen=True)
class GhostSettings:
    """``interpolate``: frames between every two, or ``None`` for auto; ``max_motion``: px per
    sample, ``None`` for no check; ``max_mismatch``: percent of the frame, ``None`` for no check."""

    interpolate: int | None = None
    max_interpolate: int = DEFAULT_MAX_INTERPOLATE
    max_motion: float | None = DEFAULT_MAX_MOTION
    max_mismatch: float | None = DEFAULT_MAX_MISMATCH

    def __post_init__(self) -> None:
        if self.interpolate is not None and self.interpolate < 0:
            raise ValueError(f"--interpolate must be 'auto' or a number >= 0, got {self.interpolate}")
        if self.max_interpolate < 0:
            raise ValueError(f"--max-interpolate must be >= 0, got {self.max_interpolate}")
        if self.max_motion is not None and not self.max_motion > 0:
            raise ValueError(f"--max-motion must be a positive number of pixels or 'off', got {self.max_motion}")
        if self.max_mismatch is not None and not 0 <= self.max_mismatch <= 100:
            raise ValueError(f"--max-mismatch must be a percentage (0-100) or 'off', got {self.max_mismatch}")
        if self.interpolate is None and self.max_motion is None:
            raise ValueError("--interpolate auto chooses the frames in between from --max-motion, which is off; "
                             "give --max-motion PX or a fixed --interpolate K")

    @property
    def needs_flow(self) -> bool:
        """Whether windows need the motion between their frames at all."""
        return self.interpolate != 0 or self.max_motion is not None or self.max_mismatch is not None


class Ghosting(Exception):
    """A window that would show copies rather than blur; the message says why and what fixes it."""


def _divisions(speed: float, s: GhostSettings) -> int:
    if s.interpolate is not None:
        return s.interpolate + 1
    return min(max(1, math.ceil(speed / s.max_motion)), s.max_interpolate + 1)


def _pairs_used(plan: Plan) -> set[int]:
    """Frames ``i`` whose pair ``(i, i + 1)`` the mean uses: a sample between them, or both as samples."""
    frames = {x.frame for x in plan.samples if not x.step}
    return {x.frame for x in plan.samples if x.step} | {i for i in frames if i + 1 in frames}


def choose(first: int, pairs: int, exposure: tuple[Fraction, Fraction] | None,
           motion_of: Callable[[int], PairMotion] | None, s: GhostSettings, fps: Fraction | None,
           where: str) -> tuple[Plan, list[PairMotion]]:
    """The window's plan and the motions it was chosen from (the pairs the exposure overlaps).

    ``motion_of(i)`` measures the pair from frame ``i`` (``None`` when ``s.needs_flow`` is false).

    Raises:
      Ghosting: the samples cannot be brought within the bound, or a used pair's flow fails.
    """
    if motion_of is None:
        return make_plan(first, [s.interpolate + 1] * pairs, exposure), []
    start, end = exposure if exposure is not None else (Fraction(first), Fraction(first + pairs))
    overlapping = set(pairs_overlapping(first, pairs, start, end))
    motions = [motion_of(first + k) for k in sorted(overlapping)]
    speeds = [0.0] * pairs
    for m in motions:
        speeds[m.index - first] = m.speed
    divisions = [_divisions(speeds[k], s) if k in overlapping else 1 for k in range(pairs)]
    plan = make_plan(first, divisions, exposure, speeds)
    largest = plan.max_motion
    if s.max_motion is not None and largest is not None and largest > s.max_motion + 1e-9:
        raise Ghosting(_too_fast(plan, motions, s, fps, where))
    if s.max_mismatch is not None:
        used = _pairs_used(plan)
        for m in motions:
            if m.index in used and 100 * m.unreliable > s.max_mismatch:
                raise Ghosting(_mismatch(m, s, where))
    return plan, motions


def _seconds(plan: Plan, fps: Fraction | None) -> str:
    return f"{seconds_text(plan.exposure / fps)} s" if fps else f"{float(plan.exposure):.3g} frame intervals"


def _too_fast(plan: Plan, motions: list[PairMotion], s: GhostSettings, fps: Fraction | None, where: str) -> str:
    fastest = max(motions, key=lambda m: m.speed)
    v, bound = fastest.speed, s.max_motion
    needed = math.ceil(v / bound) - 1
    text = (f"{where}: things move up to {v:.1f} px per frame interval (between frames {fastest.index} and "
            f"{fastest.index + 1}), so the {len(plan.samples)} samples of its exposure of {_seconds(plan, fps)} stand "
            f"for up to {plan.max_motion:.2f} px each, more than --max-motion {bound:g} px: copies, not blur. ")
    if s.interpolate is None:
        fix = f"It needs --max-interpolate {needed} (now {s.max_interpolate})"
    else:
        fix = f"It needs --interpolate auto or --interpolate {needed} (now {s.interpolate})"
    if fps:
        fix += f", or an --exposure of at most 1/{math.ceil(v * fps / bound)} s"
    return text + fix + f", or --max-motion {math.ceil(plan.max_motion * 10) / 10:g}"


def _mismatch(m: PairMotion, s: GhostSettings, where: str) -> str:
    return (f"{where}: frames {m.index} and {m.index + 1}, warped halfway to each other by their optical flow, "
            f"disagree on {100 * m.unreliable:.1f}% of the frame, more than --max-mismatch {s.max_mismatch:g}%: the "
            f"flow failed (a flash, motion beyond its range, repeated texture) or much is occluded, and the blur would "
            f"show copies. Use a source of a higher frame rate, an --exposure under one frame interval with motion "
            f"under --max-motion, or --max-mismatch {math.ceil(100 * m.unreliable)} to keep such windows")
