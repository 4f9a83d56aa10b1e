"""One window of frames to one blurred frame: the mean in linear light, then the camera model.

A camera's exposure integrates the light of every instant; so the mean is taken in linear light
(the stored values' sRGB curve, or a gamma, undone by ``blurgen.camera.decode_lut``), over the
window's ``N`` frames and the ``K`` frames interpolated between each neighbouring two (``N +
(N - 1) K`` samples, always odd). Then the same camera model as ``synth`` runs on the mean
(``blurgen.degradation.expose``: shot and read noise, tone curve, clipping, JPEG), drawn from the
window's own generator. Saturated highlights are boosted frame by frame before averaging, as
``synth`` boosts them before its blur.

The sums are taken on values scaled to 0..255 in float32, frame after frame in a fixed order, so
a window's result does not depend on which worker or frame range made it; with ``--linear none``
the sums of stored values are exact integers, and with the noise off the blurred frame is exactly
the rounded mean of the stored frames (there are no ties: the number of samples is odd).
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from blurgen.camera import boost_highlights, decode_lut
from blurgen.config import CameraConfig
from blurgen.degradation import draw_highlight_boost, expose
from pipelines import interpolate


class Averager:
    """Averages windows for one camera setting, ``interpolate`` in-between frames and a flow method."""

    def __init__(self, camera: CameraConfig, interpolate_count: int = 0, flow: str = "dis"):
        self.camera = camera
        self.interpolate = interpolate_count
        self.flow = flow
        # On the 0..255 scale; the identity is written out so that its sums stay exact integers.
        self.lut = (np.arange(256, dtype=np.float32) if camera.linear == "none"
                    else decode_lut(camera.linear, camera.gamma) * np.float32(255.0))
        self.exact = camera.linear == "none"  # the table is the identity: add the stored values directly
        self.boosted = tuple(camera.highlight_boost) != (1.0, 1.0)
        self.saturation = np.float32(camera.saturation * 255.0)

    def samples(self, frames: int) -> int:
        """Frames averaged for a window of ``frames`` stored frames."""
        return frames + (frames - 1) * self.interpolate

    def layers(self, image: np.ndarray) -> list[np.ndarray]:
        """A stored RGB uint8 frame as float32 linear layers on a 0..255 scale: the frame, and (when
        highlights are boosted) its saturated part, which the boost scales."""
        linear = cv2.LUT(image, self.lut)
        if not self.boosted:
            return [linear]
        return [linear, boost_highlights(linear, 2.0, self.saturation) - linear]

    def in_between(self, image0: np.ndarray, image1: np.ndarray, layers0: list[np.ndarray],
                   layers1: list[np.ndarray]) -> list[np.ndarray]:
        """Sums of the interpolated frames between two neighbours, per layer (see :meth:`layers`)."""
        grey0 = cv2.cvtColor(image0, cv2.COLOR_RGB2GRAY)
        grey1 = cv2.cvtColor(image1, cv2.COLOR_RGB2GRAY)
        return interpolate.in_between_sums(layers0, layers1, grey0, grey1, self.interpolate, self.flow)

    def sums(self, images: list[np.ndarray], layers: list[list[np.ndarray]] | None,
             between: list[list[np.ndarray]]) -> list[np.ndarray]:
        """The window's sums per layer: its frames, then the in-between sums, in frame order.

        ``layers`` are the frames' :meth:`layers` where already made (with interpolation), else ``None``.
        """
        if layers is None and self.exact and not self.boosted:
            total = np.zeros(images[0].shape, np.float32)
            for image in images:
                cv2.accumulate(image, total)  # uint8 into float32 in one pass, exact
            totals = [total]
        else:
            totals = None
            for i, image in enumerate(images):
                parts = layers[i] if layers is not None else self.layers(image)
                if totals is None:
                    totals = [p.copy() for p in parts]
                    continue
                for total, part in zip(totals, parts):
                    total += part
        for parts in between:
            for total, part in zip(totals, parts):
                total += part
        return totals

    def blur(self, images: list[np.ndarray], layers: list[list[np.ndarray]] | None,
             between: list[list[np.ndarray]], rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        """The blurred frame (RGB uint8, the frames' shape) and the camera parameters drawn.

        ``rng`` draws, in this order, the highlight boost, then what ``expose`` draws.
        """
        totals = self.sums(images, layers, between)
        boost = draw_highlight_boost(rng, self.camera)
        total = totals[0]
        if self.boosted:
            total = total + np.float32(boost - 1.0) * totals[1]
        scale = np.float32(1.0 / (255.0 * self.samples(len(images))))
        blurred, sensor = expose(total * scale, rng, self.camera)
        return blurred, {"linear": self.camera.linear, "highlight_boost": boost, **sensor}
