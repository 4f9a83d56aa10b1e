"""Blur from a turning camera, rendered exactly: the mean of the sharp image seen from every pose.

A camera that turns by the rotation ``R`` (and shifts by ``t`` before a plane at depth ``d``)
sees the sharp image warped by the homography ``H = K (R + t n^T / d) K^-1``, ``n = (0, 0, 1)``:
the point at pixel ``p`` of the sharp image is at ``H p`` (homogeneous). ``K`` has the focal length
``f`` px and the principal point at the image centre ``((W - 1) / 2, (H - 1) / 2)``; camera axes
are x right, y down, z forward (the optical axis). ``R = exp([w]x)`` for the rotation vector
``w = (pitch, yaw, roll)`` in radians, so a pure yaw ``a`` moves the centre by ``f tan(a)`` px
along x and a pure roll turns the image about its centre.

The blurred image is the mean, in the light the camera model gives it (``CameraConfig.linear``:
stored values by default, linear light with ``srgb``), of the warped images at evenly spaced instants
of the exposure (each warp: ``cv2.warpPerspective``, bilinear, borders reflected as
:mod:`blurgen.camera.blur` reflects them). A trajectory is given as ``T`` poses at evenly spaced
instants, the first and last at the ends of the exposure; between two poses the parameters
(angles, shifts) move linearly, and each interval is cut into the fewest equal steps that keep
every pixel within ``step`` px (1 by default) of where it was one instant before (measured at
17 x 17 points over the image, corners and edges included): bilinear warps one pixel apart sum
to the continuous sweep, as their tents add up to one between the ends. Each instant weighs the share of the
exposure it stands for. So a trajectory already that dense is rendered as exactly the mean of its
``T`` warps, and two poses give a uniform sweep from one to the other.

A local kernel is the blur of one point: the projections ``H_i p`` of a point ``p`` at every
instant, splatted bilinearly onto a canvas whose centre pixel is ``p``, each with weight
``1 / N`` (the convention of :mod:`blurgen.kernels`: ``blurred = sharp * kernel`` near ``p``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from blurgen.kernels.families import splat

# The most instants one render may take: about a minute of work on a 1280x720 photo.
MAX_INSTANTS = 20_000
_MARGIN = 0.98  # probes 1/16 of the image apart can miss the largest step by a little
BAND = 32  # rows rendered at a time (about 0.5 MB of RGB float32 at 1280 px wide, which cache holds)
_PROBES = 17  # probe points per side where displacements are measured (corners and edges included)


def rotation_matrices(angles: np.ndarray) -> np.ndarray:
    """(N, 3, 3) float64 rotations ``exp([w]x)`` of the rotation vectors ``angles`` (N, 3), radians."""
    w = np.asarray(angles, dtype=np.float64).reshape(-1, 3)
    theta = np.linalg.norm(w, axis=1)
    small = theta < 1e-8
    # sin(t)/t and (1 - cos(t))/t^2 by their series below 1e-8, where the quotients lose digits.
    a = np.where(small, 1.0 - theta ** 2 / 6, np.sin(theta) / np.where(small, 1.0, theta))
    b = np.where(small, 0.5 - theta ** 2 / 24, (1 - np.cos(theta)) / np.where(small, 1.0, theta) ** 2)
    cross = np.zeros((len(w), 3, 3))
    cross[:, 0, 1], cross[:, 0, 2], cross[:, 1, 2] = -w[:, 2], w[:, 1], -w[:, 0]
    cross -= cross.transpose(0, 2, 1)
    return np.eye(3) + a[:, None, None] * cross + b[:, None, None] * (cross @ cross)


def intrinsics(focal: float, height: int, width: int) -> np.ndarray:
    """The 3x3 camera matrix: focal length ``focal`` px, principal point at the image centre."""
    return np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])


def homographies(trajectory: np.ndarray, focal: float, height: int, width: int,
                 depth: float | None = None) -> np.ndarray:
    """(N, 3, 3) float64 homographies of the poses ``trajectory`` (N, 3) or (N, 6): pitch, yaw,
    roll in radians, then x, y, z shifts in metres (which need ``depth``, the scene plane's in m)."""
    traj = np.asarray(trajectory, dtype=np.float64)
    motion = rotation_matrices(traj[:, :3])
    if traj.shape[1] == 6:
        if not depth or depth <= 0:
            raise ValueError("a trajectory with shifts (6 columns) needs a scene depth > 0 m")
        motion[:, :, 2] += traj[:, 3:] / depth  # R + t n^T / d with n = (0, 0, 1)
    k = intrinsics(focal, height, width)
    return k @ motion @ np.linalg.inv(k)


def project(homs: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Where the points (P, 2) (x, y px) are under each homography: (N, P, 2)."""
    p = np.concatenate([points, np.ones((len(points), 1))], axis=1)
    q = np.einsum("nij,pj->npi", homs, p)
    return q[..., :2] / q[..., 2:]


def probe_points(height: int, width: int, n: int = _PROBES) -> np.ndarray:
    """An n x n grid of (x, y) points spanning the image, corners and edges included: (n * n, 2)."""
    xs, ys = np.meshgrid(np.linspace(0, width - 1, n), np.linspace(0, height - 1, n))
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def largest_step(trajectory: np.ndarray, focal: float, height: int, width: int,
                 depth: float | None = None) -> float:
    """The most any probe point moves, in px, from one pose of ``trajectory`` to the next."""
    if len(trajectory) < 2:
        return 0.0
    return float(_steps(np.asarray(trajectory, dtype=np.float64), focal, height, width, depth).max())


def _steps(traj: np.ndarray, focal: float, height: int, width: int, depth: float | None) -> np.ndarray:
    """The most any probe point moves from each pose of ``traj`` to the next: (T - 1,) px."""
    q = project(homographies(traj, focal, height, width, depth), probe_points(height, width))
    return np.linalg.norm(np.diff(q, axis=0), axis=2).max(axis=1)


def _subdivide(traj: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``traj`` (T, C) with interval k cut into ``cuts[k]`` equal steps, linearly; returns the poses
    and their times (in units of the given poses' spacing)."""
    k = np.repeat(np.arange(len(cuts)), cuts)
    frac = (np.arange(len(k)) - np.repeat(np.cumsum(cuts) - cuts, cuts)) / np.repeat(cuts, cuts)
    poses = traj[k] + frac[:, None] * (traj[k + 1] - traj[k])
    return np.concatenate([poses, traj[-1:]]), np.concatenate([k + frac, [len(cuts)]])


def instant_weights(times: np.ndarray) -> np.ndarray:
    """The share of the exposure each instant stands for: half the time to each neighbour, the
    first and last a whole step (so that evenly spaced instants weigh the same, 1 / N: the mean
    of the warps); (N,) float64 summing to 1."""
    if len(times) == 1:
        return np.ones(1)
    gaps = np.diff(times)
    w = np.concatenate([[gaps[0]], (gaps[:-1] + gaps[1:]) / 2, [gaps[-1]]])
    return w / w.sum()


def instants(trajectory: np.ndarray, focal: float, height: int, width: int, step: float = 1.0,
             depth: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The poses to render and their weights: each interval of ``trajectory`` (T, C) cut into the
    fewest equal steps (parameters linear in time) with no probe point moving more than ``step``
    px per step; weights by :func:`instant_weights`. A trajectory that dense already comes back
    as it is, with equal weights.

    Returns:
      ``(poses, weights)``: (N, C) float64 and (N,) float64.
    Raises:
      ValueError: the render would need more than :data:`MAX_INSTANTS` instants.
    """
    traj = np.asarray(trajectory, dtype=np.float64)
    if len(traj) == 1:
        return traj, np.ones(1)
    moved = _steps(traj, focal, height, width, depth)
    cuts = np.maximum(1, np.ceil(moved / step - 1e-9)).astype(np.int64)
    while True:
        if cuts.sum() + 1 > MAX_INSTANTS:
            raise ValueError(f"the trajectory moves a pixel up to {moved.max():.0f} px between two of its {len(traj)} "
                             f"poses at a focal length of {focal:.0f} px: rendering it would take {cuts.sum() + 1:,} "
                             f"or more instants (at most {MAX_INSTANTS:,}); use smaller angles or a shorter "
                             "focal length")
        poses, times = _subdivide(traj, cuts)
        if np.all(cuts == 1):
            return traj, instant_weights(times)
        # Points move a little unevenly within an interval (angles are linear in time, positions
        # are not quite): check the steps themselves, with a margin for the probes' spacing.
        sub = _steps(poses, focal, height, width, depth)
        long = np.zeros(len(cuts), bool)
        np.logical_or.at(long, np.floor(times[:-1]).astype(np.int64), sub > step * _MARGIN)
        if not long.any():
            return poses, instant_weights(times)
        cuts[long] += np.maximum(1, cuts[long] // 16)


def _margin(homs: np.ndarray, height: int, width: int) -> int:
    """How far outside the image (px, rounded up, plus 2 for the bilinear taps) any output pixel
    of the instants ``homs`` samples the sharp image."""
    probes = probe_points(height, width)
    back = project(np.linalg.inv(homs), probes)
    outside = np.maximum(np.maximum(-back, back - [width - 1, height - 1]), 0.0)
    return int(math.ceil(float(outside.max(initial=0.0)))) + 2


def render(image: np.ndarray, homs: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The mean of ``image`` warped by each homography (``dst(H p) = src(p)``), reflected borders,
    each warp weighted by ``weights`` (N,) summing to 1 (``None``: equal weights).

    How, for speed (every figure is one OpenCV warp per instant): the image is reflected once
    into a margin wide enough for every instant (as ``cv2.BORDER_REFLECT_101``, so the result is
    that of reflected borders), because OpenCV warps 3-channel float images with SIMD code only
    for constant or replicated borders; and the output is made in bands of :data:`BAND` rows, each
    band warped at every instant and summed while it stays in the CPU's cache.

    Args:
      image: float32 HxW or HxWx3 (linear light; any range).
      homs: (N, 3, 3) homographies, one per instant.
      weights: (N,) shares of the exposure, or ``None``.
    Returns:
      float32 array of the image's shape.
    """
    x = np.asarray(image, dtype=np.float32)
    h, w = x.shape[:2]
    if weights is not None and np.all(weights == weights[0]):
        weights = None  # equal shares: sum, then divide once
    if weights is None and np.all(homs == homs[:1]):  # a still camera: one warp, no rounding from the mean
        homs = homs[:1]
    m = _margin(homs, h, w)
    src = cv2.copyMakeBorder(x, m, m, m, m, cv2.BORDER_REFLECT_101)
    into_padded = np.array([[1.0, 0.0, m], [0.0, 1.0, m], [0.0, 0.0, 1.0]])
    homs = homs @ np.linalg.inv(into_padded)  # padded source pixels -> output pixels
    acc = np.zeros_like(x)
    warped = np.empty((min(BAND, h),) + x.shape[1:], np.float32)
    for top in range(0, h, BAND):
        rows = min(BAND, h - top)
        band, out = acc[top:top + rows], warped[:rows]
        for i, hom in enumerate(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -top], [0.0, 0.0, 1.0]]) @ homs):
            cv2.warpPerspective(src, hom, (w, rows), dst=out, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
            if weights is None:
                cv2.add(band, out, dst=band)
            else:
                cv2.scaleAdd(out, float(weights[i]), band, dst=band)
    if weights is None and len(homs) > 1:
        acc *= np.float32(1.0 / len(homs))
    return acc


def grid_points(height: int, width: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole-pixel centres of an n x n grid of equal cells: (ys (n,), xs (n,)) int64."""
    ys = np.floor((np.arange(n) + 0.5) * height / n).astype(np.int64)
    xs = np.floor((np.arange(n) + 0.5) * width / n).astype(np.int64)
    return ys, xs


def point_kernels(homs: np.ndarray, points: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The blur of each point (P, 2) (x, y px) under the instants ``homs`` (weighted by
    ``weights``, equal if ``None``): (P, k, k) float32 on one odd canvas, origin at the centre
    pixel, each summing to 1."""
    moves = project(homs, points) - points[None]  # (N, P, 2)
    half = math.ceil(float(np.abs(moves).max(initial=0.0)))
    size = 2 * half + 3
    c = (size - 1) / 2
    pts = (c + moves[..., 0].T) + 1j * (c + moves[..., 1].T)  # (P, N) canvas positions
    psf = splat(pts, np.full(len(homs), 1.0 / len(homs)) if weights is None else weights, size)
    return (psf / psf.sum(axis=(1, 2), keepdims=True)).astype(np.float32)


@dataclass(frozen=True, eq=False)
class Shake:
    """One camera motion over the exposure, ready to render on an image of ``height`` x ``width``.

    ``trajectory``: (T, 3) or (T, 6) poses (see the module docstring); ``focal`` px; ``depth`` m
    (for shifts); ``step``: the most a pixel may move between two rendered instants, px.
    """

    trajectory: np.ndarray
    focal: float
    height: int
    width: int
    depth: float | None = None
    step: float = 1.0

    @cached_property
    def _instants(self) -> tuple[np.ndarray, np.ndarray]:
        poses, weights = instants(self.trajectory, self.focal, self.height, self.width, self.step, self.depth)
        return homographies(poses, self.focal, self.height, self.width, self.depth), weights

    def homographies(self) -> np.ndarray:
        """(N, 3, 3) homographies of the rendered instants."""
        return self._instants[0]

    def weights(self) -> np.ndarray:
        """(N,) the share of the exposure of each rendered instant."""
        return self._instants[1]

    def render(self, image: np.ndarray) -> np.ndarray:
        """The blurred image (float32, the image's shape) of a float32 linear-light image."""
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(f"this shake was set up for {self.width}x{self.height} px, not {image.shape[1]}x"
                             f"{image.shape[0]}")
        return render(image, *self._instants)

    def local_kernels(self, n: int, box: tuple[int, int, int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The n x n local kernels of the image, or of the crop ``box`` = (top, left, height, width).

        Returns:
          ``(kernels, ys, xs)``: float32 (n, n, k, k), kernel [i, j] the blur of the point at row
          ``ys[i]``, column ``xs[j]`` (int64, in the crop's pixels when ``box`` is given).
        """
        top, left, h, w = box if box is not None else (0, 0, self.height, self.width)
        ys, xs = grid_points(h, w, n)
        yy, xx = np.meshgrid(ys + top, xs + left, indexing="ij")
        points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64)
        homs, weights = self._instants
        k = point_kernels(homs, points, weights)
        return k.reshape(n, n, *k.shape[1:]), ys, xs
