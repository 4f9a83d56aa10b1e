"""Blur kernels: camera-shake trajectories, linear motion, defocus, and a random mix of them.

Every kernel is float32, non-negative, sums to 1, and has its centroid on its centre pixel
``(k // 2, k // 2)``, which is the origin of the convolution in :mod:`blurgen.camera.blur`; so a blurred
image is never shifted against its sharp image. (DeblurGAN's generator neither normalises nor
centres its kernels: its blurred images are shifted by a median 2.7 px against their pairs.)

Camera shake follows the random-trajectory model of Boracchi and Foi (2012), with DeblurGAN's
defaults: a 2-D walk of ``num_samples`` steps of equal length (so the path is exactly
``max_length`` px long) whose velocity is pulled towards the origin (centripetal), perturbed by
Gaussian shake, and, rarely, reversed by a big shake. A kernel integrates the first fraction
(the exposure) of the path: the path's points are splatted bilinearly onto the canvas, which puts
mass at sub-pixel positions exactly and keeps the kernel's centroid equal to the points' mean.

Randomness comes only from the ``np.random.Generator`` passed in.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from blurgen.config import KERNEL_FAMILIES, ROTATION, DegradeConfig, KernelConfig, TrajectoryConfig

# Below this many trajectories a plain Python loop over complex scalars beats numpy's per-call
# overhead (0.6 ms against 30 ms for one 2000-step path); above it the vectorised walk wins.
_SCALAR_BELOW = 16


def _walk_scalar(v0: np.ndarray, push: np.ndarray, turn: np.ndarray, pull: np.ndarray,
                 step: float) -> np.ndarray:
    steps, n = push.shape
    out = np.zeros((n, steps + 1), dtype=np.complex128)
    for i in range(n):
        v, x, c = complex(v0[i]), 0j, float(pull[i])
        a, b = push[:, i].tolist(), turn[:, i].tolist()
        xs = [0j] * (steps + 1)
        for t in range(steps):
            v = v * b[t] + a[t] - c * x
            v *= step / abs(v)
            x += v
            xs[t + 1] = x
        out[i] = xs
    return out


def _walk_vector(v0: np.ndarray, push: np.ndarray, turn: np.ndarray, pull: np.ndarray,
                 step: float) -> np.ndarray:
    steps, n = push.shape
    out = np.zeros((steps + 1, n), dtype=np.complex128)
    v, x = v0.astype(np.complex128), np.zeros(n, dtype=np.complex128)
    for t in range(steps):
        v = v * turn[t] + push[t] - pull * x
        v *= step / np.abs(v)
        x = x + v
        out[t + 1] = x
    return out.T


def sample_trajectories(n: int, rng: np.random.Generator,
                        config: TrajectoryConfig | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw ``n`` camera-shake paths.

    Returns:
      ``(paths, params)``: ``paths`` is complex128 (n, num_samples), x in the real part and y in
      the imaginary part, in pixels, starting at 0; ``params`` holds the per-path ``anxiety``,
      ``centripetal``, ``gaussian_shake``, ``big_shake_prob`` and ``big_shakes`` (a count).
    """
    cfg = config or TrajectoryConfig()
    steps = cfg.num_samples - 1
    step = cfg.max_length / steps
    if cfg.anxiety is not None:
        anxiety = np.full(n, float(cfg.anxiety))
    else:
        anxiety = np.asarray(cfg.anxiety_choices, dtype=np.float64)[rng.integers(len(cfg.anxiety_choices), size=n)]
    centripetal = cfg.centripetal_max * rng.random(n)
    big_prob = cfg.big_shake_prob_max * rng.random(n)
    shake = cfg.gaussian_shake_max * rng.random(n)
    v0 = np.exp(2j * np.pi * rng.random(n)) * step
    # The state-free parts of each step, drawn at once: the Gaussian push, and the rare big
    # shake, which adds twice the current velocity turned by about 180 degrees.
    # Arrays are time-major (steps, n): the walk reads one row per step.
    push = rng.standard_normal((steps, n, 2)).view(np.complex128)[..., 0]
    push *= anxiety * shake * step
    big = rng.random((steps, n)) < big_prob * anxiety
    turn = np.ones((steps, n), dtype=np.complex128)
    turn[big] += 2.0 * np.exp(1j * (np.pi + rng.random(int(big.sum())) - 0.5))
    pull = anxiety * centripetal * step
    walk = _walk_scalar if n < _SCALAR_BELOW else _walk_vector
    paths = walk(v0, push, turn, pull, step)
    params = {"anxiety": anxiety, "centripetal": centripetal, "gaussian_shake": shake,
              "big_shake_prob": big_prob, "big_shakes": big.sum(axis=0)}
    return paths, params


def exposure_weights(num_samples: int, fraction: float | np.ndarray) -> np.ndarray:
    """Weight of each path sample in a kernel that integrates the first ``fraction`` of the
    exposure: 1 for samples fully inside, a partial weight for the one on the boundary.
    ``fraction`` may be an array of n fractions, giving (n, num_samples)."""
    t = np.arange(num_samples, dtype=np.float64)
    return np.clip(np.asarray(fraction, dtype=np.float64)[..., None] * num_samples - t, 0.0, 1.0)


def splat(points: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Render weighted points onto ``size`` x ``size`` canvases by bilinear splatting.

    Args:
      points: complex (n, m) positions (x + iy) in pixel coordinates of the canvas; every point
        of positive weight must lie inside [0, size - 1] on both axes (points of zero weight,
        past the end of a short exposure, are skipped wherever they are).
      weights: float (n, m) or (m,) non-negative weights.
    Returns:
      float64 (n, size, size); each canvas holds the sum of its points' weights, and its first
      moment equals the weighted mean of its points exactly (bilinear splatting preserves both).
    """
    n, m = points.shape
    weights = np.broadcast_to(weights, (n, m))
    used = weights > 0
    row = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], (n, m))[used]
    pts, w = points[used], weights[used]
    x, y = pts.real, pts.imag
    if x.size and (min(x.min(), y.min()) < 0 or max(x.max(), y.max()) > size - 1):
        raise AssertionError("splat: points outside the canvas")  # the callers size the canvas
    x0 = np.minimum(x.astype(np.int64), size - 2)  # x >= 0, so truncation is floor
    y0 = np.minimum(y.astype(np.int64), size - 2)
    fx, fy = x - x0, y - y0
    base = row * (size * size) + y0 * size + x0
    wy0, wy1 = w * (1 - fy), w * fy
    idx = np.concatenate([base, base + 1, base + size, base + size + 1])
    val = np.concatenate([wy0 * (1 - fx), wy0 * fx, wy1 * (1 - fx), wy1 * fx])
    return np.bincount(idx, weights=val, minlength=n * size * size).reshape(n, size, size)


def _centred(points: np.ndarray, weights: np.ndarray, size: int, centre: str = "centroid") -> np.ndarray:
    """Move each row of points so that its weighted mean (``centre="centroid"``) or the middle of
    the bounding box of its points of positive weight (``"box"``) lands on the canvas centre."""
    weights = np.broadcast_to(weights, points.shape)
    if centre == "box":
        live = np.where(weights > 0, points, points[:, :1])  # the first point always has weight
        mean = ((live.real.min(axis=1) + live.real.max(axis=1)) / 2
                + 1j * (live.imag.min(axis=1) + live.imag.max(axis=1)) / 2)
    else:
        mean = (points * weights).sum(axis=1) / weights.sum(axis=1)
    c = (size - 1) / 2
    return points - mean[:, None] + complex(c, c)


def _normalised(psf: np.ndarray) -> np.ndarray:
    return (psf / psf.sum(axis=(1, 2), keepdims=True)).astype(np.float32)


def trajectory_kernels(n: int, rng: np.random.Generator,
                       config: TrajectoryConfig | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` camera-shake kernels (float32, (n, size, size)), each at an exposure drawn from
    ``config.exposures``; returns ``(kernels, params)``."""
    cfg = config or TrajectoryConfig()
    paths, params = sample_trajectories(n, rng, cfg)
    exposure = np.asarray(cfg.exposures, dtype=np.float64)[rng.integers(len(cfg.exposures), size=n)]
    weights = exposure_weights(cfg.num_samples, exposure)
    psf = splat(_centred(paths, weights, cfg.size, cfg.centre), weights, cfg.size)
    params["exposure"] = exposure
    return _normalised(psf), params


def linear_kernel(length: float, angle: float, size: int) -> np.ndarray:
    """A straight motion of ``length`` px at ``angle`` radians (counter-clockwise from +x, with
    y pointing down the rows), centred on an odd ``size`` canvas; float32, sums to 1."""
    if size % 2 == 0 or length > size - 3:
        raise ValueError(f"linear_kernel: need an odd size >= length + 3, got size {size}, length {length}")
    m = max(2, int(np.ceil(length * 8)))
    s = np.linspace(-length / 2, length / 2, m)
    c = (size - 1) / 2
    pts = (c + s * np.cos(angle)) + 1j * (c - s * np.sin(angle))
    return _normalised(splat(pts[None], np.ones(m), size))[0]


def defocus_kernel(radius: float, size: int, supersample: int = 8) -> np.ndarray:
    """A uniform disc of ``radius`` px (out-of-focus blur) with anti-aliased edges, centred on an
    odd ``size`` canvas; float32, sums to 1."""
    if size % 2 == 0 or 2 * radius + 1 > size:
        raise ValueError(f"defocus_kernel: need an odd size >= 2 * radius + 1, got size {size}, radius {radius}")
    c = (size - 1) / 2
    sub = (np.arange(size * supersample) + 0.5) / supersample - 0.5 - c
    inside = (sub[:, None] ** 2 + sub[None, :] ** 2) <= radius ** 2
    cover = inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return _normalised(cover[None])[0]


def choose_families(n: int, rng: np.random.Generator, config: KernelConfig) -> np.ndarray:
    """The family (an index into :data:`KERNEL_FAMILIES`) of ``n`` draws, by ``config.weights``."""
    p = np.asarray(config.weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def draw_kernels(n: int, rng: np.random.Generator, config: KernelConfig | DegradeConfig | None = None,
                 families: np.ndarray | list[int] | None = None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """``n`` kernels from the configured mix of families (or of the given ``families``, indices
    into :data:`KERNEL_FAMILIES`), on one common odd canvas.

    Returns ``(kernels, params)``: float32 (n, k, k) and one JSON-ready dict per kernel with its
    family and the parameters drawn for it.

    Raises:
      ValueError: a rotation is drawn: camera rotation blurs each part of an image differently
        and has no single kernel (``blurgen.degrade`` renders it).
    """
    cfg = _kernel_config(config)
    size = cfg.trajectory.size
    family = choose_families(n, rng, cfg) if families is None else np.asarray(families, dtype=np.int64)
    if np.any(family == ROTATION):
        raise ValueError(f"the {KERNEL_FAMILIES[ROTATION]} family has no single kernel: a turning camera blurs "
                         "each part of the image differently; render it on an image (blurgen degrade, synth)")
    kernels = np.zeros((n, size, size), dtype=np.float32)
    params: list[dict[str, Any]] = [{} for _ in range(n)]

    idx = np.flatnonzero(family == 0)
    if idx.size:
        k, tp = trajectory_kernels(idx.size, rng, cfg.trajectory)
        kernels[idx] = k
        for j, i in enumerate(idx):
            params[i] = {"family": "trajectory", **{name: v[j].item() for name, v in tp.items()}}
    for i in np.flatnonzero(family == 1):
        length, angle = rng.uniform(*cfg.linear_length), rng.uniform(0.0, np.pi)
        kernels[i] = linear_kernel(length, angle, size)
        params[i] = {"family": "linear", "length": length, "angle": angle}
    for i in np.flatnonzero(family == 2):
        radius = rng.uniform(*cfg.defocus_radius)
        kernels[i] = defocus_kernel(radius, size)
        params[i] = {"family": "defocus", "radius": radius}
    return kernels, params


def memory_needed(n: int, config: KernelConfig | DegradeConfig | None = None) -> int:
    """About the peak bytes :func:`draw_kernels` takes for ``n`` kernels (never less).

    Measured with ``tracemalloc`` on 200 to 800 kernels: each trajectory kernel takes about
    100 bytes per path sample (the walk's complex128 arrays) and 21 per canvas pixel (the float64
    splat and the float32 result); 261 KB for the default 2000 samples on 65x65. Kernels of the
    other families keep only the float32 result and their parameters.
    """
    cfg = _kernel_config(config)
    pixels = cfg.trajectory.size ** 2
    per_kernel = 4 * pixels + 1024
    if cfg.weights[0] > 0:
        per_kernel = 100 * cfg.trajectory.num_samples + 21 * pixels
    return int(n) * per_kernel


def sample_kernels(n: int, rng: np.random.Generator,
                   config: KernelConfig | DegradeConfig | None = None) -> np.ndarray:
    """``n`` random kernels, float32 (n, k, k) on one common odd canvas (k = 65 by default);
    each non-negative, summing to 1, with its centroid on the centre pixel."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return draw_kernels(n, rng, config)[0]


def _kernel_config(config: KernelConfig | DegradeConfig | None) -> KernelConfig:
    if config is None:
        return KernelConfig()
    if isinstance(config, DegradeConfig):
        return config.kernel
    if isinstance(config, KernelConfig):
        return config
    raise TypeError(f"config must be a KernelConfig or DegradeConfig, not {type(config).__name__}")


def crop_to_support(kernel: np.ndarray) -> np.ndarray:
    """Crop a centred odd square kernel to the smallest odd square around its non-zero support
    that keeps the same centre pixel (so the convolution it gives is unchanged)."""
    k = kernel.shape[0]
    c = k // 2
    rows, cols = np.nonzero(kernel)
    if rows.size == 0:
        raise ValueError("kernel is all zeros")
    half = int(max(np.abs(rows - c).max(), np.abs(cols - c).max()))
    return np.ascontiguousarray(kernel[c - half:c + half + 1, c - half:c + half + 1])


def centroid(kernel: np.ndarray) -> tuple[float, float]:
    """The (row, column) centroid of a kernel."""
    k = np.asarray(kernel, dtype=np.float64)
    total = k.sum()
    r, c = np.indices(k.shape)
    return float((r * k).sum() / total), float((c * k).sum() / total)
