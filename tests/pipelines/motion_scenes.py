"""An analytic scene for the video tests: a textured rectangle translating at constant speed over a
plain background, rendered at any instant by evaluating its texture and the area its edges cover
in each pixel, so that its true motion blur (the mean of its pictures over every instant of an
exposure) is computed here independently of the pipeline's frames, flow and interpolation.

A uniquely named module (not ``conftest``), so that it imports the same way whatever other test
folders run in the same pytest process."""
from __future__ import annotations

import numpy as np

BACKGROUND = (0.25, 0.30, 0.35)  # plain, linear 0..1 values of the stored frames (the camera is off)


def _texture(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Detail at several scales (periods of 4 to 20 px), values in about 0.1..0.9."""
    return (0.5 + 0.2 * np.sin(0.9 * u) * np.cos(0.7 * v) + 0.15 * np.sin(0.31 * u + 0.53 * v)
            + 0.1 * np.cos(1.7 * u - 0.2 * v))


def _coverage(x: np.ndarray, left: float, width: float) -> np.ndarray:
    """The part of each pixel ``[x - 1/2, x + 1/2]`` inside ``[left, left + width]``."""
    return np.clip(np.minimum(x + 0.5, left + width) - np.maximum(x - 0.5, left), 0.0, 1.0)


class TranslatingObject:
    """An ``obj`` (h, w) textured rectangle whose top-left corner is at ``start + velocity * t``
    (px; ``t`` in frame intervals) on a ``size`` (h, w) canvas."""

    def __init__(self, size=(96, 160), obj=(36, 48), start=(20.0, 28.0), velocity=(7.0, 1.0)):
        self.size, self.obj, self.start, self.velocity = size, obj, start, velocity
        h, w = size
        self.y, self.x = np.mgrid[0:h, 0:w].astype(np.float64)

    def render(self, t: float, supersample: int = 2) -> np.ndarray:
        """The picture at instant ``t``, float64 ``HxWx3`` on a 0..255 scale (area-sampled texture)."""
        left = self.start[0] + self.velocity[0] * t
        top = self.start[1] + self.velocity[1] * t
        cover = _coverage(self.x, left, self.obj[1]) * _coverage(self.y, top, self.obj[0])
        offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
        texture = np.mean([_texture(self.x + dx - left, self.y + dy - top) for dx in offsets for dy in offsets], axis=0)
        out = np.empty(self.size + (3,))
        for c in range(3):
            out[..., c] = BACKGROUND[c] * (1 - cover) + np.clip(texture * (0.8 + 0.2 * c), 0, 1) * cover
        return out * 255.0

    def frames(self, count: int) -> list[np.ndarray]:
        """Frames ``0 .. count - 1`` (frame ``i`` shows instant ``i``), RGB uint8."""
        return [np.rint(self.render(i)).astype(np.uint8) for i in range(count)]

    def motion_blur(self, centre: float, exposure: float, steps: int = 96) -> np.ndarray:
        """The mean picture over ``[centre - exposure/2, centre + exposure/2]`` (frame intervals), by
        the midpoint rule over ``steps`` instants (at 8 px per interval: 1/12 px apart), 0..255."""
        instants = centre - exposure / 2 + (np.arange(steps) + 0.5) * exposure / steps
        return np.mean([self.render(t) for t in instants], axis=0)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two pictures on a 0..255 scale."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))
