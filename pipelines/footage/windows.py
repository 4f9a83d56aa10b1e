"""One frame range of a clip in, one pair or one reject per window out (the per-item work of ``video``).

A window is ``L`` consecutive frames (``L`` odd) and its pair is the blurred mean of its samples
(:mod:`pipelines.footage.exposure`, :mod:`pipelines.footage.average`) and its middle frame, the sharp one, stored
as it was decoded. With ``--frames N``, ``L = N``; with ``--exposure T`` (a time or a range, in
seconds) on a clip of ``fps`` frames per second, ``L = 2 ceil(E / 2) + 1`` for the longest
exposure ``E = T fps`` frame intervals: every frame bounding an interval the exposure overlaps.
Window ``w`` holds frames ``w * S`` to ``w * S + L - 1``; the stride ``S`` (default ``L``) is
thus also the distance between the sharp frames of two windows.

The frames stream through: at most the ``L`` frames of one window (their linear layers, the grey
frames the flow is estimated on, and the flows between neighbours) are held at a time, and the
flow between two frames is estimated once, when a window first needs it, for every window that
holds both. A window is rejected, with the reason, when one of its frames cannot be decoded
(``bad frame``), its frames differ in size, it is smaller than ``--min-size``, it spans a scene
cut (a jump between two neighbouring frames whose grey thumbnails, 32 px wide, differ by more
than ``--cut-threshold`` levels of 255 on average), or it would show copies instead of blur
(``ghosting``, :mod:`pipelines.footage.ghosting`). Every random draw comes from ``example_rng(seed, key)``
(the camera) and ``example_rng(seed, key, 1)`` (the exposure of a range), the key being the
clip's name and the window's first frame, so a window's pair is the same whichever range made it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterator

import numpy as np

from blurgen.config import CameraConfig
from blurgen.images import encode_image, encode_png
from blurgen.seeding import example_rng
from pipelines.footage import exposure as exposurelib
from pipelines.footage import frames as framelib
from pipelines.footage import motion as motionlib
from pipelines.footage.average import Averager
from pipelines.footage.clips import VIDEO, FrameRange
from pipelines.footage.exposure import Exposure
from pipelines.footage.ghosting import GhostSettings, Ghosting, choose
from pipelines.footage.interpolate import FLOWS
from pipelines.items.transforms import Unit, Units
from pipelines.shards.examples import Pair
from pipelines.sources.rejects import BAD_FRAME, GHOSTING, SCENE_CUT, SIZES_DIFFER, TOO_SMALL, Reject, reject_from
from pipelines.sources.splits import split_of

DEFAULT_CUT_THRESHOLD = 30.0
EXPOSURE_STREAM = 1  # the variant of example_rng that draws a window's exposure
#: The figures of each written window that the manifest summarises: (figure, name in params).
SUMMARY = (("exposure_s", "exposure"), ("exposure_frames", "exposure_frames"), ("samples", "samples"),
           ("interpolated", "interpolated"), ("max_motion_px", "max_motion"), ("motion_px_per_frame", "motion"),
           ("mismatch_percent", "mismatch"))


@dataclass(frozen=True)
class VideoSettings:
    """Everything the per-range work needs; defaults are the command line's. ``frames`` or
    ``exposure`` (not both) sets the windows; ``stride`` ``None`` is the window's length."""

    frames: int | None = 7
    exposure: Exposure | None = None
    stride: int | None = None
    ghost: GhostSettings = field(default_factory=GhostSettings)
    flow: str = "dis"
    cut_threshold: float | None = DEFAULT_CUT_THRESHOLD  # None: no cut detection
    seed: int = 0
    test_fraction: float = 0.1
    min_size: int = 16
    blurred_format: str = "png"
    blurred_quality: int = 95
    png_level: int | None = None
    camera: CameraConfig = field(default_factory=CameraConfig)

    def __post_init__(self) -> None:
        if self.frames is not None and self.exposure is not None:
            raise ValueError("give either --frames N (frames per window) or --exposure T (seconds), not both")
        if self.frames is None and self.exposure is None:
            raise ValueError("give --frames N (frames per window) or --exposure T (seconds)")
        if self.frames is not None and (self.frames < 1 or self.frames % 2 == 0):
            raise ValueError(f"--frames must be an odd number >= 1 (the sharp frame is the middle one), "
                             f"got {self.frames}")
        if self.stride is not None and self.stride < 1:
            raise ValueError(f"--stride must be at least 1, got {self.stride}")
        if self.flow not in FLOWS:
            raise ValueError(f"--flow must be one of {', '.join(FLOWS)}, got {self.flow!r}")
        if self.cut_threshold is not None and not self.cut_threshold > 0:
            raise ValueError(f"--cut-threshold must be a positive number of levels or 'off', got {self.cut_threshold}")
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        if not 0.0 <= self.test_fraction <= 1.0:
            raise ValueError(f"--test-fraction must be in [0, 1], got {self.test_fraction}")
        if self.blurred_format not in ("png", "jpeg"):
            raise ValueError(f"--blurred-format must be 'png' or 'jpeg', got {self.blurred_format!r}")

    def layout(self, fps: float) -> tuple[int, int]:
        """``(frames per window, stride)`` on a clip of ``fps`` frames per second (0: unknown)."""
        if self.frames is not None:
            length = self.frames
        else:
            if not fps > 0:
                raise ValueError("--exposure needs the clip's frame rate")
            length = 2 * exposurelib.half_span(self.exposure.longest * exposurelib.frame_rate(fps)) + 1
        return length, self.stride if self.stride is not None else length


@dataclass
class _Held:
    """A frame held in the window buffer, with what is made from it once: its thumbnail (for
    cuts), its linear layers and its grey flow frame (when a window first needs them)."""

    frame: framelib.Frame
    thumb: np.ndarray | None
    layers: list[np.ndarray] | None = None
    grey: np.ndarray | None = None


def window_key(clip: str, first: int) -> str:
    return f"{clip}#{first:06d}"


def _window_path(item: FrameRange, first: int, length: int) -> str:
    return f"{item.path}[{first}:{first + length}]"


def range_units(item: FrameRange, s: VideoSettings) -> Units:
    """The ``fn`` of ``ProcessInputs``: every window of ``item`` as a written or rejected unit."""
    return Units(_every_window(item, s))


def _every_window(item: FrameRange, s: VideoSettings) -> Iterator[Unit]:
    length, stride = s.layout(item.fps)
    starts = [w * stride for w in range(item.first_window, item.first_window + item.windows)]
    made = 0
    try:
        for unit in _Stream(item, s, length).run(starts):
            made += 1
            yield unit
    except Exception as exc:  # noqa: BLE001 - a failure costs the windows it reaches, never the count
        for first in starts[made:]:
            reject = reject_from(_window_path(item, first, length), exc)
            yield Unit(window_key(item.clip, first), reject=reject)


def _read(item: FrameRange, needed: list[int]) -> Iterator[framelib.Frame]:
    if item.kind == VIDEO:
        return framelib.read_video(item.path, needed, item.count)
    return framelib.read_folder(list(item.frames), item.frame_offset, needed)


def _is_cut(score: float, threshold: float | None) -> bool:
    return threshold is not None and score > threshold


class _Stream:
    """The frames of one range in order, the windows they complete, and what windows share."""

    def __init__(self, item: FrameRange, s: VideoSettings, length: int):
        self.item, self.s, self.length = item, s, length
        self.fps = exposurelib.frame_rate(item.fps) if item.fps > 0 else None
        self.averager = Averager(s.camera)
        self.held: deque[_Held] = deque()
        self.cuts: dict[int, float] = {}  # score between frames i and i + 1, keyed by i
        self.motions: dict[int, motionlib.PairMotion] = {}  # motion between frames i and i + 1

    def run(self, starts: list[int]) -> Iterator[Unit]:
        pending = deque(starts)
        for frame in _read(self.item, framelib.needed_frames(starts, self.length)):
            prev = self.held[-1] if self.held and self.held[-1].frame.index == frame.index - 1 else None
            if prev is None:
                self.held.clear()  # a gap between windows: no window spans it
            current = _Held(frame, None if frame.image is None else framelib.thumbnail(frame.image))
            if prev is not None and prev.thumb is not None and current.thumb is not None:
                self.cuts[prev.frame.index] = framelib.cut_score(prev.thumb, current.thumb)
            self.held.append(current)
            while len(self.held) > self.length:
                gone = self.held.popleft().frame.index
                self.cuts.pop(gone, None)
                self.motions.pop(gone, None)
            while pending and pending[0] + self.length - 1 == frame.index:
                yield self._window(pending.popleft())

    def _at(self, index: int) -> _Held:
        return self.held[index - self.held[0].frame.index]

    def layers(self, index: int) -> list[np.ndarray]:
        h = self._at(index)
        if h.layers is None:
            h.layers = self.averager.layers(h.frame.image)
        return h.layers

    def motion(self, index: int) -> motionlib.PairMotion:
        if index not in self.motions:
            a, b = self._at(index), self._at(index + 1)
            for h in (a, b):
                if h.grey is None:
                    h.grey = motionlib.flow_grey(h.frame.image)
            self.motions[index] = motionlib.measure(index, a.grey, b.grey, a.frame.image.shape[:2], self.s.flow)
        return self.motions[index]

    def _problem(self, first: int) -> tuple[str, str] | None:
        """Why the window cannot be used, as ``(kind, reason)``, or ``None``."""
        s, where = self.s, f"{self.item.clip}: window of frames {first}-{first + self.length - 1}"
        held = list(self.held)
        for h in held:
            if h.frame.error is not None:
                return BAD_FRAME, f"{where} holds frame {h.frame.index}, which cannot be used: {h.frame.error}"
        shapes = {h.frame.image.shape for h in held}
        if len(shapes) > 1:
            return SIZES_DIFFER, f"{where}: its frames differ in size ({', '.join(map(str, sorted(shapes)))}); " \
                                 "give a clip whose frames are all one size"
        height, width = held[0].frame.image.shape[:2]
        if min(height, width) < s.min_size:
            return TOO_SMALL, f"{where}: frames of {width}x{height} px are smaller than --min-size {s.min_size}"
        for i in range(first, first + self.length - 1):
            if _is_cut(self.cuts.get(i, 0.0), s.cut_threshold):
                return SCENE_CUT, (f"{where} spans a scene cut between frames {i} and {i + 1} (thumbnail difference "
                                   f"{self.cuts[i]:.1f} > --cut-threshold {s.cut_threshold:g})")
        return None

    def _window(self, first: int) -> Unit:
        s, item, key = self.s, self.item, window_key(self.item.clip, first)
        assert len(self.held) == self.length and self.held[0].frame.index == first, "the reader yields every frame"
        path = _window_path(item, first, self.length)
        problem = self._problem(first)
        if problem is not None:
            return Unit(key, reject=Reject(path, *problem))
        sharp = first + self.length // 2
        span, seconds = None, None
        if s.exposure is not None:
            seconds = s.exposure.draw(example_rng(s.seed, key, EXPOSURE_STREAM))
            half = seconds * self.fps / 2
            span = (sharp - half, sharp + half)
        where = f"{item.clip}: window of frames {first}-{first + self.length - 1} (sharp frame {sharp})"
        try:
            plan, motions = choose(first, self.length - 1, span, self.motion if s.ghost.needs_flow else None,
                                   s.ghost, self.fps, where)
        except Ghosting as exc:
            return Unit(key, reject=Reject(path, GHOSTING, str(exc)))
        images = {h.frame.index: h.frame.image for h in self.held}
        blurred, camera = self.averager.blur(plan, images, self.layers, self.motions, example_rng(s.seed, key))
        blurred_bytes = (encode_png(blurred, s.png_level) if s.blurred_format == "png"
                         else encode_image(blurred, "jpeg", s.blurred_quality))
        params = self._params(first, sharp, plan, motions, seconds)
        params["camera"] = camera
        pair = Pair(key=key, blurred=blurred_bytes, sharp=encode_png(images[sharp], s.png_level),
                    height=blurred.shape[0], width=blurred.shape[1], source=item.clip, seed=s.seed,
                    blurred_format=s.blurred_format, kernel=None, params=params)
        stats = tuple((figure, params[name]) for figure, name in SUMMARY if params[name] is not None)
        return Unit(key, pairs=((split_of(item.clip, s.test_fraction), pair),), stats=stats)

    def _params(self, first: int, sharp: int, plan: exposurelib.Plan, motions: list, seconds: Fraction | None
                ) -> dict[str, Any]:
        s = self.s
        if seconds is None and self.fps:
            seconds = plan.exposure / self.fps
        largest = plan.max_motion
        in_between = max((x.divisions - 1 for x in plan.samples), default=0)
        return {
            "clip": self.item.clip, "first_frame": first, "sharp_frame": sharp, "frames": self.length,
            "stride": s.layout(self.item.fps)[1], "fps": self.item.fps,
            "exposure": None if seconds is None else round(float(seconds), 9),
            "exposure_frames": round(float(plan.exposure), 6),
            "interpolate": "auto" if s.ghost.interpolate is None else s.ghost.interpolate,
            "in_between": in_between, "flow": s.flow if s.ghost.needs_flow else None,
            "samples": len(plan.samples), "interpolated": plan.interpolated,
            "max_motion": None if largest is None else round(largest, 3),
            "motion": round(max((m.speed for m in motions), default=0.0), 3) if motions else None,
            "mismatch": round(100 * max(m.unreliable for m in motions), 3) if motions else None,
        }
