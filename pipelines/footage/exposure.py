"""Exposure times in seconds, and the samples of a clip that integrate one exposure.

A camera's exposure integrates the light of every instant from the shutter's opening to its
closing. On a clip of ``fps`` frames per second, frame ``i`` shows instant ``i`` (in frame
intervals), and an exposure of ``T`` seconds spans ``E = T * fps`` frame intervals. A pair's
sharp frame ``c`` sits at the middle of its exposure: the exposure is ``[c - E/2, c + E/2]``.

**Samples.** The stored frames, and between frames ``i`` and ``i + 1`` the ``d_i - 1`` instants
``i + j / d_i`` (``j = 1 .. d_i - 1``, made by optical flow), form a grid of sample instants.
Each sample stands for the instants nearer to it than to any other sample (its *cell*) and
weighs the part of the exposure its cell covers, divided by the exposure: the blurred frame is
the exact integral of the scene held constant over each cell. An exposure whose ends fall
inside a cell gives the end samples fractional weights; no sample is made at the exact ends.
So an exposure of a whole odd number ``N`` of frame intervals without interpolation is exactly
the mean of ``N`` frames (the GoPro recipe), and the sharp frame, at the centre, always weighs
most. The error of holding the scene constant over a cell is the motion within the cell, which
the ghost bound keeps under about a pixel (:mod:`pipelines.footage.ghosting`).

``--frames N`` (windows counted in frames) uses the same grid over its ``N`` frames, the
exposure being the union of their cells: with the same number of in-between frames between
every two frames all samples weigh the same (``N + (N - 1) K`` samples, exposure
``N - 1 + 1 / (K + 1)`` frame intervals), as before exposures were given in seconds.

Arithmetic is exact (:class:`fractions.Fraction`), so a plan depends only on its inputs, never on
the machine; weights become float32 only when frames are summed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

#: Largest denominator kept when a frame rate read as a float becomes a fraction (29.97 -> 30000/1001).
RATE_DENOMINATOR = 10_000
MICROSECOND = Fraction(1, 1_000_000)


def parse_seconds(text: str, flag: str, example: str = "1/30 or 0.02") -> Fraction:
    """A positive duration or rate written as ``1/30``, ``0.005`` or ``30000/1001``, exactly."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{flag} must be a number such as {example}, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"{flag} must be positive, got {text!r}")
    return value


@dataclass(frozen=True)
class Exposure:
    """An exposure time in seconds, or a range drawn per window (``shortest < longest``)."""

    shortest: Fraction
    longest: Fraction

    @classmethod
    def parse(cls, text: str) -> "Exposure":
        """``1/30`` (one time) or ``1/60,1/15`` (a range, drawn per window)."""
        parts = text.split(",")
        if len(parts) > 2:
            raise ValueError(f"--exposure takes one time or a range 'SHORTEST,LONGEST' in seconds, got {text!r}")
        times = [parse_seconds(p, "--exposure") for p in parts]
        if len(times) == 2 and times[0] >= times[1]:
            raise ValueError(f"--exposure range {text!r}: give the shorter time first (such as 1/60,1/15)")
        return cls(times[0], times[-1])

    def draw(self, rng: np.random.Generator) -> Fraction:
        """One window's exposure: the time itself, or log-uniform over the range (as many windows
        per photographic stop), rounded to a microsecond. Draws from ``rng`` only for a range."""
        if self.shortest == self.longest:
            return self.shortest
        low, high = math.log(self.shortest), math.log(self.longest)
        seconds = math.exp(low + (high - low) * float(rng.random()))
        drawn = Fraction(round(seconds * 1_000_000), 1_000_000)
        return min(max(drawn, self.shortest), self.longest)

    def text(self) -> str:
        return seconds_text(self.shortest) + ("" if self.shortest == self.longest else f",{seconds_text(self.longest)}")


def seconds_text(value: Fraction) -> str:
    """``1/30`` for a fraction of a second with a small numerator, else the decimal (``0.0125``)."""
    if value.numerator == 1 or (value.denominator <= 10_000 and value.numerator < 10):
        return f"{value.numerator}/{value.denominator}" if value.denominator > 1 else str(value.numerator)
    return f"{float(value):.6g}"


def exposure_text(seconds: float) -> str:
    """``1/30`` for a time that is the reciprocal of a whole number (to 1e-6), else ``0.136``."""
    inverse = 1.0 / seconds
    if seconds < 1 and abs(inverse - round(inverse)) <= 1e-6 * inverse:
        return f"1/{round(inverse)}"
    return f"{seconds:.3g}"


def frame_rate(fps: float) -> Fraction:
    """A frame rate read from a file's header as an exact fraction (NTSC rates come out as 30000/1001)."""
    return Fraction(fps).limit_denominator(RATE_DENOMINATOR)


def half_span(exposure_frames: Fraction) -> int:
    """Frames each side of the sharp one that an exposure of this many frame intervals reaches:
    every frame bounding an interval the exposure overlaps, which also holds every sample."""
    return max(1, math.ceil(exposure_frames / 2))


@dataclass(frozen=True)
class Sample:
    """One sample: frame ``frame`` itself (``step`` 0) or the instant ``frame + step / divisions``
    between it and the next frame; its ``weight`` in the mean and the ``motion`` (px) of the scene
    over the instants it stands for (``None`` where the speeds are unknown)."""

    frame: int
    step: int
    divisions: int
    weight: Fraction
    motion: float | None

    @property
    def instant(self) -> Fraction:
        return self.frame + Fraction(self.step, self.divisions)


@dataclass(frozen=True)
class Plan:
    """The samples of one window with positive weight, in time order; weights sum to 1.
    ``exposure`` in frame intervals."""

    samples: tuple[Sample, ...]
    exposure: Fraction

    @property
    def max_motion(self) -> float | None:
        """The largest motion within the time one sample stands for (px): the distance between two
        consecutive samples where cells are whole."""
        motions = [s.motion for s in self.samples]
        return None if any(m is None for m in motions) else max(motions)

    @property
    def interpolated(self) -> int:
        return sum(1 for s in self.samples if s.step)

    @property
    def equal_weights(self) -> bool:
        return len({s.weight for s in self.samples}) == 1


def _grid(first: int, divisions: Sequence[int]) -> list[tuple[Fraction, int, int, int]]:
    """Every instant of the grid from frame ``first`` on: ``(instant, frame, step, divisions)``."""
    points = [(first + k + Fraction(j, d), first + k, j, d) for k, d in enumerate(divisions) for j in range(d)]
    last = first + len(divisions)
    return points + [(Fraction(last), last, 0, 1)]


def _cells(times: list[Fraction]) -> list[tuple[Fraction, Fraction]]:
    """Each instant's cell: from the midpoint with the previous to the midpoint with the next;
    the outer cells reach as far out as in (half the neighbouring spacing; half a frame alone)."""
    if len(times) == 1:
        return [(times[0] - Fraction(1, 2), times[0] + Fraction(1, 2))]
    mids = [(a + b) / 2 for a, b in zip(times, times[1:])]
    lows = [2 * times[0] - mids[0]] + mids
    highs = mids + [2 * times[-1] - mids[-1]]
    return list(zip(lows, highs))


def _motion(low: Fraction, high: Fraction, first: int, speeds: Sequence[float]) -> float:
    """Motion (px) over ``[low, high]`` (at most one frame interval long): each pair's speed times
    the time spent in its interval; time outside the window counts at the speed of the nearest pair."""
    last = len(speeds) - 1
    total = 0.0
    for k in range(min(max(math.floor(low) - first, 0), last), min(max(math.ceil(high) - first - 1, 0), last) + 1):
        lo = low if k == 0 else max(low, Fraction(first + k))
        hi = high if k == last else min(high, Fraction(first + k + 1))
        if hi > lo:
            total += speeds[k] * float(hi - lo)
    return total


def make_plan(first: int, divisions: Sequence[int], exposure: tuple[Fraction, Fraction] | None = None,
              speeds: Sequence[float] | None = None) -> Plan:
    """The samples of a window of frames ``first .. first + len(divisions)``.

    Args:
      divisions: ``d_i`` for each pair of neighbouring frames (``d_i - 1`` samples in between).
      exposure: ``(start, end)`` in frame time, inside the window; ``None``: the union of the cells
        of the whole grid (``--frames``).
      speeds: each pair's largest motion (px per frame interval), for each sample's ``motion``.
    """
    grid = _grid(first, divisions)
    cells = _cells([g[0] for g in grid])
    start, end = exposure if exposure is not None else (cells[0][0], cells[-1][1])
    if not (cells[0][0] <= start < end <= cells[-1][1]):
        raise ValueError(f"exposure {start}..{end} does not lie within the frames {first}..{first + len(divisions)}")
    known = speeds is not None and len(speeds) > 0
    samples = []
    for (_, frame, step, d), (low, high) in zip(grid, cells):
        if high <= start or low >= end:
            continue
        low, high = max(low, start), min(high, end)
        motion = _motion(low, high, first, speeds) if known else None
        samples.append(Sample(frame, step, d, (high - low) / (end - start), motion))
    return Plan(tuple(samples), end - start)


def pairs_overlapping(first: int, pairs: int, start: Fraction, end: Fraction) -> list[int]:
    """Indices ``k`` (pair from frame ``first + k``) of the pairs whose interval the exposure overlaps."""
    return [k for k in range(pairs) if first + k < end and first + k + 1 > start]
