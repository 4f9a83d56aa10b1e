"""Frames in between two video frames by optical flow, against the ghosting of low frame rates.

Averaging a few frames of a fast motion gives separate copies of the moving thing (ghosts), not a
smear: the real exposure integrated every instant in between. REDS made its blur from 120 fps
video by first interpolating frames in between. Here the flow between the two neighbours is
estimated both ways (OpenCV's DIS at its medium preset with two refinement passes, or Farneback; :mod:`pipelines.footage.motion`
does it at reduced resolution), the flow from the in-between instant ``t`` to each neighbour is
approximated from them (as Jiang et al.'s Super SloMo does, for motion that is straight and
steady over one frame interval), and the nearer neighbour is warped to ``t`` (bilinear, positions
to 1/32 px; at ``t = 1/2`` both, half each). There is no occlusion reasoning: where something is
uncovered, the warp repeats what the nearer frame shows there.

Arrays: frames are float32 ``HxWx3`` (any linear scale; the warp is linear) or the stored uint8
frames, flow is estimated on grey uint8 ``HxW`` frames.
"""
from __future__ import annotations

import cv2
import numpy as np

FLOWS = ("dis", "farneback")
#: Flow (px per frame interval) below which a pixel counts as still and is blended without warping:
#: a quarter of the default --max-motion, above the flow's noise on compressed video.
STILL = 0.25
TILE = 16  # reduced px; the still/moving decision is made per tile


def optical_flow(grey0: np.ndarray, grey1: np.ndarray, method: str) -> np.ndarray:
    """Dense flow from frame 0 to frame 1, float32 ``HxWx2`` (dx, dy): ``grey0[y, x]`` is seen at
    ``(x + dx, y + dy)`` in frame 1."""
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        # Two refinement passes instead of the preset's five: 55 % of the time, the same blur
        # (benchmarks/bench_video.py's known clips: within 0.3 dB, or better).
        dis.setVariationalRefinementIterations(2)
        return dis.calc(grey0, grey1, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(grey0, grey1, None, pyr_scale=0.5, levels=4, winsize=15,
                                            iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
    raise ValueError(f"--flow must be one of {', '.join(FLOWS)}, got {method!r}")


def _warp(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``image`` sampled at the positions ``maps`` (x, y): bilinear, edges repeated."""
    return cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _moving_runs(flows: tuple[np.ndarray, np.ndarray], scale: float, tile: int, height: int, width: int
                 ) -> list[tuple[slice, slice]]:
    """Full-resolution boxes (rows, columns) covering every pixel whose flow, either way, may be
    longer than :data:`STILL` px: runs of moving tiles of ``tile`` reduced px along each tile row.

    ``flows`` are at the reduced size (``scale``: reduced / full), in reduced px."""
    f01, f10 = flows
    h, w = f01.shape[:2]
    length = cv2.max(cv2.magnitude(*cv2.split(f01)), cv2.magnitude(*cv2.split(f10)))
    # A 3x3 maximum: the upsampled flow at a full-resolution pixel mixes its reduced neighbours.
    moving = cv2.dilate(length, np.ones((3, 3), np.uint8)) > STILL * scale
    rows, cols = -(-h // tile), -(-w // tile)
    padded = np.zeros((rows * tile, cols * tile), bool)
    padded[:h, :w] = moving
    tiles = padded.reshape(rows, tile, cols, tile).any(axis=(1, 3))
    boxes = []
    for r in range(rows):
        c = 0
        while c < cols:
            if not tiles[r, c]:
                c += 1
                continue
            end = c
            while end + 1 < cols and tiles[r, end + 1]:
                end += 1
            bottom = height if (r + 1) * tile >= h else round((r + 1) * tile / scale)
            right = width if (end + 1) * tile >= w else round((end + 1) * tile / scale)
            boxes.append((slice(round(r * tile / scale), bottom), slice(round(c * tile / scale), right)))
            c = end + 1
    return boxes


def _add(view: np.ndarray, part: np.ndarray, weight: float) -> None:
    """``view += weight * part`` in float32 (``part`` float32 or uint8)."""
    if weight == 0.0:
        return
    if weight == 1.0:
        view += part
    else:
        view += np.float32(weight) * part


def add_pair_samples(totals: list[np.ndarray], parts0: list[np.ndarray], parts1: list[np.ndarray],
                     flows: tuple[np.ndarray, np.ndarray], scale: float, samples: list[tuple[float, float]]) -> None:
    """Add the weighted frames at instants between two frames to ``totals``, warping only where
    things move.

    The frame at instant ``t`` is the nearer of the two frames warped to ``t``: frame 0 for
    ``t < 1/2``, frame 1 for ``t > 1/2``, and at ``t = 1/2`` half of each. Each warp then moves a
    picture by at most half the motion between the frames, and one warp is made per sample
    instead of two (a blend of both warps with weights ``1 - t`` and ``t`` was 0.4 to 0.9 dB closer
    to the truth on ``benchmarks/bench_video.py``'s known clips, for twice the warps). Where the flow is
    shorter than :data:`STILL` px both ways, a warp would move the picture by less than that, and
    the two frames average without visible copies anyway, so there the frames are added unwarped,
    all samples at once; the boxes where things move are warped sample by sample.

    Args:
      totals: one float32 ``HxWx3`` sum per layer, added to in place.
      parts0, parts1: the two frames as one or more ``HxWx3`` layers each, float32 or uint8 (the
        stored frame itself, when the mean is taken in stored values: uint8 warps are the
        faster); every layer is warped by the same flow, so the sums stay linear in the layers.
      flows: the flows from frame 0 to frame 1 and back at the reduced size, float32 ``hxwx2``,
        reduced px; ``scale``: reduced size / full size.
      samples: ``(t, weight)`` for each instant, ``0 < t < 1``.
    """
    def share(t: float) -> tuple[float, float]:  # of a sample's weight: from frame 0, from frame 1
        return (1.0, 0.0) if t < 0.5 else (0.0, 1.0) if t > 0.5 else (0.5, 0.5)

    shares = [share(t) for t, _ in samples]
    a = float(sum(w * s0 for (_, w), (s0, _) in zip(samples, shares)))
    b = float(sum(w * s1 for (_, w), (_, s1) in zip(samples, shares)))
    height, width = totals[0].shape[:2]
    boxes = _moving_runs(flows, scale, TILE, height, width)
    full = [cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR) * np.float32(1 / scale)
            if scale != 1.0 else f for f in flows] if boxes else []
    for total, p0, p1 in zip(totals, parts0, parts1):
        _add(total, p0, a)
        _add(total, p1, b)
    for rows, cols in boxes:
        f01, f10 = full[0][rows, cols], full[1][rows, cols]
        grid = np.dstack(np.meshgrid(np.arange(cols.start, cols.stop, dtype=np.float32),
                                     np.arange(rows.start, rows.stop, dtype=np.float32)))
        for total, p0, p1 in zip(totals, parts0, parts1):
            view = total[rows, cols]
            _add(view, p0[rows, cols], -a)
            _add(view, p1[rows, cols], -b)
        for (t, w), (from0, from1) in zip(samples, shares):
            # Where the pixel at x at instant t was in frame 0, and where it will be in frame 1.
            if from0:
                to0 = cv2.addWeighted(f01, -(1 - t) * t, f10, t * t, 0.0)
                maps0 = cv2.convertMaps(cv2.add(grid, to0), None, cv2.CV_16SC2)
                for total, p0 in zip(totals, parts0):
                    _add(total[rows, cols], _warp(p0, maps0), w * from0)
            if from1:
                to1 = cv2.addWeighted(f01, (1 - t) * (1 - t), f10, -t * (1 - t), 0.0)
                maps1 = cv2.convertMaps(cv2.add(grid, to1), None, cv2.CV_16SC2)
                for total, p1 in zip(totals, parts1):
                    _add(total[rows, cols], _warp(p1, maps1), w * from1)
