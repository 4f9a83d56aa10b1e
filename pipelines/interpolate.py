"""Frames in between two video frames by optical flow, against the ghosting of low frame rates.

Averaging a few frames of a fast motion gives separate copies of the moving thing (ghosts), not a
smear: the real exposure integrated every instant in between. REDS made its blur from 120 fps
video by first interpolating frames in between. Here the flow between the two neighbours is
estimated both ways (OpenCV's DIS at its medium preset, or Farneback; :mod:`pipelines.motion`
does it at reduced resolution), the flow from the in-between instant ``t`` to each neighbour is
approximated from them (as Jiang et al.'s Super SloMo does, for motion that is straight and
steady over one frame interval), both neighbours are warped to ``t`` (bilinear, positions to
1/32 px) and blended with weights ``1 - t`` and ``t``. There is no occlusion reasoning: where
something is uncovered, the blend of the two warps crossfades what each frame shows there.

Arrays: frames are float32 ``HxWx3`` (any linear scale; the warp and the blend are linear), flow
is estimated on grey uint8 ``HxW`` frames.
"""
from __future__ import annotations

import cv2
import numpy as np

FLOWS = ("dis", "farneback")


def optical_flow(grey0: np.ndarray, grey1: np.ndarray, method: str) -> np.ndarray:
    """Dense flow from frame 0 to frame 1, float32 ``HxWx2`` (dx, dy): ``grey0[y, x]`` is seen at
    ``(x + dx, y + dy)`` in frame 1."""
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return dis.calc(grey0, grey1, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(grey0, grey1, None, pyr_scale=0.5, levels=4, winsize=15,
                                            iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
    raise ValueError(f"--flow must be one of {', '.join(FLOWS)}, got {method!r}")


def _warp(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``image`` sampled at the positions ``maps`` (x, y): bilinear, edges repeated."""
    return cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def add_in_between(totals: list[np.ndarray], parts0: list[np.ndarray], parts1: list[np.ndarray],
                   flows: tuple[np.ndarray, np.ndarray], t: float, weight: float) -> None:
    """Add ``weight`` times the frame at instant ``t`` (0 < t < 1) between two frames to ``totals``.

    Args:
      totals: one float32 ``HxWx3`` sum per layer, added to in place.
      parts0, parts1: the two frames as one or more float32 ``HxWx3`` layers each (the linear
        frame, and its saturated part when highlights are boosted); every layer is warped by the
        same flow, so the sums stay linear in the layers.
      flows: the flows from frame 0 to frame 1 and back, float32 ``HxWx2``, full-resolution px.
    """
    f01, f10 = flows
    h, w = f01.shape[:2]
    gx = np.arange(w, dtype=np.float32)[None, :]
    gy = np.arange(h, dtype=np.float32)[:, None]
    t = np.float32(t)
    to0 = -(1 - t) * t * f01 + t * t * f10  # where the pixel at x at instant t was in frame 0
    to1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10  # and where it will be in frame 1
    maps0 = cv2.convertMaps(gx + to0[..., 0], gy + to0[..., 1], cv2.CV_16SC2)
    maps1 = cv2.convertMaps(gx + to1[..., 0], gy + to1[..., 1], cv2.CV_16SC2)
    for total, p0, p1 in zip(totals, parts0, parts1):
        total += np.float32(weight * (1 - t)) * _warp(p0, maps0)
        total += np.float32(weight * t) * _warp(p1, maps1)
