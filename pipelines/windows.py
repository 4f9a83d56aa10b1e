"""One frame range of a clip in, one pair or one reject per window out (the per-item work of ``video``).

Window ``w`` of a clip holds frames ``w * S`` to ``w * S + N - 1``; its pair is the blurred mean
of those frames (:mod:`pipelines.average`) and the middle frame, stored as it was decoded. The
frames stream through: at most the ``N`` frames of one window (and, with interpolation, their
linear layers and the ``N - 1`` in-between sums) are held at a time. A window is rejected, with
the reason, when one of its frames cannot be decoded (``bad frame``), its frames differ in size,
it is smaller than ``--min-size``, or it spans a scene cut: a jump between two neighbouring
frames whose grey thumbnails (32 px wide) differ by more than ``--cut-threshold`` levels of 255
on average. Every random draw comes from ``example_rng(seed, key)``, the key being the clip's
name and the window's first frame, so a window's pair is the same whichever range made it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from blurgen.config import CameraConfig
from blurgen.images import encode_image, encode_png
from blurgen.seeding import example_rng
from pipelines import frames as framelib
from pipelines.average import Averager
from pipelines.clips import VIDEO, FrameRange
from pipelines.examples import Pair
from pipelines.interpolate import FLOWS
from pipelines.rejects import BAD_FRAME, SCENE_CUT, SIZES_DIFFER, TOO_SMALL, Reject, reject_from
from pipelines.synthesize import split_of
from pipelines.transforms import Unit, Units

DEFAULT_CUT_THRESHOLD = 30.0


@dataclass(frozen=True)
class VideoSettings:
    """Everything the per-range work needs; defaults are the command line's."""

    frames: int = 7
    stride: int = 7
    interpolate: int = 0
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
        if self.frames < 1 or self.frames % 2 == 0:
            raise ValueError(f"--frames must be an odd number >= 1 (the sharp frame is the middle one), "
                             f"got {self.frames}")
        if self.stride < 1:
            raise ValueError(f"--stride must be at least 1, got {self.stride}")
        if self.interpolate < 0:
            raise ValueError(f"--interpolate must be >= 0, got {self.interpolate}")
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


@dataclass
class _Held:
    """A frame held in the window buffer, with its thumbnail and (with interpolation) linear layers."""

    frame: framelib.Frame
    thumb: np.ndarray | None
    layers: list[np.ndarray] | None = None


def window_key(clip: str, first: int) -> str:
    return f"{clip}#{first:06d}"


def _window_path(item: FrameRange, first: int, length: int) -> str:
    return f"{item.path}[{first}:{first + length}]"


def range_units(item: FrameRange, s: VideoSettings) -> Units:
    """The ``fn`` of ``ProcessInputs``: every window of ``item`` as a written or rejected unit."""
    return Units(_every_window(item, s))


def _every_window(item: FrameRange, s: VideoSettings) -> Iterator[Unit]:
    starts = [w * s.stride for w in range(item.first_window, item.first_window + item.windows)]
    made = 0
    try:
        for unit in _stream(item, starts, s):
            made += 1
            yield unit
    except Exception as exc:  # noqa: BLE001 - a failure costs the windows it reaches, never the count
        for first in starts[made:]:
            reject = reject_from(_window_path(item, first, s.frames), exc)
            yield Unit(window_key(item.clip, first), reject=reject)


def _read(item: FrameRange, needed: list[int]) -> Iterator[framelib.Frame]:
    if item.kind == VIDEO:
        return framelib.read_video(item.path, needed, item.count)
    return framelib.read_folder(list(item.frames), item.frame_offset, needed)


def _stream(item: FrameRange, starts: list[int], s: VideoSettings) -> Iterator[Unit]:
    averager = Averager(s.camera, s.interpolate, s.flow)
    held: deque[_Held] = deque()
    cuts: dict[int, float] = {}  # score between frames i and i + 1, keyed by i
    between: dict[int, list[np.ndarray]] = {}  # in-between sums after frame i
    pending = deque(starts)
    for frame in _read(item, framelib.needed_frames(starts, s.frames)):
        prev = held[-1] if held and held[-1].frame.index == frame.index - 1 else None
        if prev is None:
            held.clear()  # a gap between windows: no window spans it
        current = _Held(frame, None if frame.image is None else framelib.thumbnail(frame.image))
        if s.interpolate and frame.image is not None:
            current.layers = averager.layers(frame.image)
        if prev is not None and prev.thumb is not None and current.thumb is not None:
            cuts[prev.frame.index] = framelib.cut_score(prev.thumb, current.thumb)
            if (s.interpolate and prev.frame.image.shape == frame.image.shape
                    and not _is_cut(cuts[prev.frame.index], s.cut_threshold)):
                between[prev.frame.index] = averager.in_between(prev.frame.image, frame.image,
                                                                prev.layers, current.layers)
        held.append(current)
        while len(held) > s.frames:
            gone = held.popleft().frame.index
            cuts.pop(gone, None)
            between.pop(gone, None)
        while pending and pending[0] + s.frames - 1 == frame.index:
            yield _window(item, pending.popleft(), list(held), cuts, between, averager, s)


def _is_cut(score: float, threshold: float | None) -> bool:
    return threshold is not None and score > threshold


def _problem(item: FrameRange, first: int, held: list[_Held], cuts: dict[int, float], s: VideoSettings
             ) -> tuple[str, str] | None:
    """Why the window cannot be used, as ``(kind, reason)``, or ``None``."""
    where = f"{item.clip}: window of frames {first}-{first + s.frames - 1}"
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
    for i in range(first, first + s.frames - 1):
        if _is_cut(cuts.get(i, 0.0), s.cut_threshold):
            return SCENE_CUT, (f"{where} spans a scene cut between frames {i} and {i + 1} (thumbnail difference "
                               f"{cuts[i]:.1f} > --cut-threshold {s.cut_threshold:g})")
    return None


def _window(item: FrameRange, first: int, held: list[_Held], cuts: dict[int, float],
            between: dict[int, list[np.ndarray]], averager: Averager, s: VideoSettings) -> Unit:
    key = window_key(item.clip, first)
    assert len(held) == s.frames and held[0].frame.index == first, "the reader yields every frame of a window"
    problem = _problem(item, first, held, cuts, s)
    if problem is not None:
        return Unit(key, reject=Reject(_window_path(item, first, s.frames), *problem))
    images = [h.frame.image for h in held]
    layers = [h.layers for h in held] if s.interpolate else None
    in_between = [between[i] for i in range(first, first + s.frames - 1)] if s.interpolate else []
    blurred, camera = averager.blur(images, layers, in_between, example_rng(s.seed, key))
    sharp = images[s.frames // 2]
    blurred_bytes = (encode_png(blurred, s.png_level) if s.blurred_format == "png"
                     else encode_image(blurred, "jpeg", s.blurred_quality))
    params: dict[str, Any] = {
        "clip": item.clip, "first_frame": first, "frames": s.frames, "stride": s.stride,
        "interpolate": s.interpolate, "flow": s.flow if s.interpolate else None,
        "samples": averager.samples(s.frames), "fps": item.fps, "camera": camera}
    pair = Pair(key=key, blurred=blurred_bytes, sharp=encode_png(sharp, s.png_level),
                height=sharp.shape[0], width=sharp.shape[1], source=item.clip, seed=s.seed,
                blurred_format=s.blurred_format, kernel=None, params=params)
    return Unit(key, pairs=((split_of(item.clip, s.test_fraction), pair),))
