"""The motion between two neighbouring frames: optical flow at reduced resolution, its largest
speed, and how much of it can be trusted.

The flow serves twice: it measures how far things move between two frames (which decides how
many frames to interpolate between them, and whether a window ghosts), and it warps the two
frames to the instants in between (:mod:`pipelines.footage.interpolate`). It is estimated both ways on
grey frames halved until their longest side is at most :data:`FLOW_SIDE` px: motion blur is the
large-scale displacement, which the reduced frames carry, and on 768x576 frames the halved
flow costs a tenth of the full one. Vectors are returned in full-resolution pixels.

*Speed*: the largest flow length once isolated outliers are removed (a median over 5x5 flow
pixels), in full-resolution px per frame interval, the larger of the two directions, over the
pixels where the flow means something: those passing the forward-backward check (following the
flow forward and back returns within ``0.01 (|f|^2 + |b|^2) + (0.5 px)^2``, squared reduced px;
Sundaram et al., 2010) and landing inside the frame. Plain areas, where any flow fits, and
content entering the view fail it; a wrong flow there would not show in the blur either.

*Mismatch*: the fraction of the frame where the two frames, warped by the flows to the instant
halfway between them, disagree by more than :data:`MISMATCH_LEVEL` grey levels: where an
interpolated frame would crossfade two different pictures. Occluded strips beside moving things
disagree on a few percent of the frame; a flow that broke down on tens of percent
(:mod:`pipelines.footage.ghosting` has the figures).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipelines.footage.interpolate import optical_flow

#: Flows are estimated on frames halved until their longest side is at most this (px).
FLOW_SIDE = 400
#: Grey levels (of 255) by which the two warps of a pair may differ before a pixel counts as a ghost.
MISMATCH_LEVEL = 24


def flow_scale(height: int, width: int) -> float:
    """The factor (1, 1/2, 1/4, ...) that frames are resized by for the flow."""
    scale = 1.0
    while max(height, width) * scale > FLOW_SIDE:
        scale /= 2
    return scale


def flow_grey(image: np.ndarray) -> np.ndarray:
    """The grey uint8 ``hxw`` frame the flow is estimated on (RGB uint8 ``HxWx3`` in)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = flow_scale(*grey.shape)
    if scale == 1.0:
        return grey
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def _speed(flow: np.ndarray, trusted: np.ndarray) -> float:
    """The largest flow length over the ``trusted`` pixels, isolated outliers removed (reduced px)."""
    magnitude = cv2.magnitude(*cv2.split(flow))
    if min(magnitude.shape) >= 5:
        magnitude = cv2.medianBlur(magnitude, 5)
    return float(magnitude[trusted].max()) if trusted.any() else 0.0


def _consistent(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels whose forward flow, followed back by the backward flow, returns home and stays in the
    frame (bool ``hxw``): the flow means something there (not in plain areas, not where content
    enters the view)."""
    h, w = forward.shape[:2]
    x = np.arange(w, dtype=np.float32)[None, :] + forward[..., 0]
    y = np.arange(h, dtype=np.float32)[:, None] + forward[..., 1]
    back = cv2.remap(backward, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = cv2.magnitude(*cv2.split(forward + back)) ** 2
    bound = np.float32(0.01) * (cv2.magnitude(*cv2.split(forward)) ** 2 + cv2.magnitude(*cv2.split(back)) ** 2)
    bound += np.float32(0.25)
    return (error <= bound) & (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def _mismatch(grey0: np.ndarray, grey1: np.ndarray, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels where the two frames, warped to the instant halfway between them, disagree by more
    than :data:`MISMATCH_LEVEL` (bool ``hxw``): there an interpolated frame would be a crossfade of
    two different pictures, a ghost. Pixels warped from outside the frame (content entering the
    view) do not count."""
    h, w = forward.shape[:2]
    gx = np.arange(w, dtype=np.float32)[None, :]
    gy = np.arange(h, dtype=np.float32)[:, None]
    to0 = np.float32(0.25) * (backward - forward)  # the halfway instant, as interpolate.add_in_between
    to1 = -to0
    x0, y0, x1, y1 = gx + to0[..., 0], gy + to0[..., 1], gx + to1[..., 0], gy + to1[..., 1]
    w0 = cv2.remap(grey0, x0, y0, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    w1 = cv2.remap(grey1, x1, y1, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (np.minimum(x0, x1) >= 0) & (np.maximum(x0, x1) <= w - 1) & (np.minimum(y0, y1) >= 0) \
        & (np.maximum(y0, y1) <= h - 1)
    return (cv2.absdiff(w0, w1) > MISMATCH_LEVEL) & inside


@dataclass(frozen=True)
class PairMotion:
    """The motion between frame ``index`` and the next one.

    ``forward``/``backward``: float32 ``hxwx2`` flows at the reduced size, in reduced px;
    ``scale``: reduced size / full size; ``speed``: largest motion, full-resolution px per frame
    interval; ``unreliable``: the mismatch, a fraction of the frame (0 to 1).
    """

    index: int
    forward: np.ndarray
    backward: np.ndarray
    scale: float
    speed: float
    unreliable: float


def measure(index: int, grey0: np.ndarray, grey1: np.ndarray, full_shape: tuple[int, int], method: str) -> PairMotion:
    """The motion between two frames from their :func:`flow_grey` versions (``full_shape``: the
    frames' ``(height, width)``)."""
    forward = optical_flow(grey0, grey1, method)
    backward = optical_flow(grey1, grey0, method)
    scale = grey0.shape[1] / full_shape[1]
    forth, back = _consistent(forward, backward), _consistent(backward, forward)
    speed = max(_speed(forward, forth), _speed(backward, back)) / scale
    unreliable = float(_mismatch(grey0, grey1, forward, backward).mean())
    return PairMotion(index, forward, backward, scale, speed, unreliable)
