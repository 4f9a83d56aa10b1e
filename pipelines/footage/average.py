"""One window of frames to one blurred frame: the weighted mean of its samples in linear light,
then the camera model.

A camera's exposure integrates the light of every instant; so the mean is taken in linear light
(the stored values' sRGB curve, or a gamma, undone by ``blurgen.camera.decode_lut``), over the
samples of the window's :class:`pipelines.footage.exposure.Plan`: its frames, and the frames interpolated
between neighbours by optical flow, each with its weight. Then the same camera model as
``synth`` runs on the mean (``blurgen.degradation.expose``: shot and read noise, tone curve,
clipping, JPEG), drawn from the window's own generator. Saturated highlights are boosted frame
by frame before averaging, as ``synth`` boosts them before its blur.

The sums are taken on values scaled to 0..255 in float32, sample after sample in a fixed order
(frames, then in-between samples in time order), so a window's result does not depend on which
worker or frame range made it. Where all samples weigh the same, they are added unweighted and
the total divided by their number: with ``--linear none`` the sums of stored values are then
exact integers, and with the noise off the blurred frame is exactly the rounded mean of the
stored frames (an odd number of them: there are no ties).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import cv2
import numpy as np

from blurgen.camera import boost_highlights, decode_lut
from blurgen.config import CameraConfig
from blurgen.degradation import draw_highlight_boost, expose
from pipelines.footage import interpolate
from pipelines.footage.exposure import Plan
from pipelines.footage.motion import PairMotion

#: A frame's linear layers by its index (see :meth:`Averager.layers`).
Layers = Callable[[int], list[np.ndarray]]


class Averager:
    """Averages windows for one camera setting."""

    def __init__(self, camera: CameraConfig):
        self.camera = camera
        # On the 0..255 scale; the identity is written out so that its sums stay exact integers.
        self.lut = (np.arange(256, dtype=np.float32) if camera.linear == "none"
                    else decode_lut(camera.linear, camera.gamma) * np.float32(255.0))
        self.boosted = tuple(camera.highlight_boost) != (1.0, 1.0)
        self.saturation = np.float32(camera.saturation * 255.0)
        # The table is the identity and there is no boost: the only layer is the stored frame itself,
        # so sums and warps take the uint8 frames directly (and sums of them are exact).
        self.stored = camera.linear == "none" and not self.boosted

    def layers(self, image: np.ndarray) -> list[np.ndarray]:
        """A stored RGB uint8 frame as float32 linear layers on a 0..255 scale: the frame, and (when
        highlights are boosted) its saturated part, which the boost scales."""
        linear = cv2.LUT(image, self.lut)
        if not self.boosted:
            return [linear]
        return [linear, boost_highlights(linear, 2.0, self.saturation) - linear]

    def _frame_sums(self, plan: Plan, images: Mapping[int, np.ndarray], layers: Layers, equal: bool
                    ) -> list[np.ndarray]:
        frames = [s for s in plan.samples if not s.step]
        if self.stored:
            total = np.zeros(images[frames[0].frame].shape, np.float32)
            for s in frames:
                if equal:
                    cv2.accumulate(images[s.frame], total)  # uint8 into float32 in one pass, exact
                else:
                    total += np.float32(s.weight) * images[s.frame]
            return [total]
        totals = [np.zeros_like(part) for part in layers(frames[0].frame)]
        for s in frames:
            for total, part in zip(totals, layers(s.frame)):
                if equal:
                    total += part  # unweighted: exact sums of stored values with --linear none
                else:
                    cv2.scaleAdd(part, float(s.weight), total, dst=total)
        return totals

    def sums(self, plan: Plan, images: Mapping[int, np.ndarray], layers: Layers,
             motions: Mapping[int, PairMotion]) -> tuple[list[np.ndarray], float]:
        """The plan's weighted sums per layer (see :meth:`layers`) and the factor that makes them
        the mean on a 0..1 scale.

        Args:
          images: the window's stored frames by index (RGB uint8 ``HxWx3``).
          layers: a frame's :meth:`layers` by index (made once per frame by the caller).
          motions: the motion between frame ``i`` and ``i + 1`` by ``i``, for every pair the plan
            samples in between.
        """
        equal = plan.equal_weights
        totals = self._frame_sums(plan, images, layers, equal)
        between: dict[int, list[tuple[float, float]]] = {}  # (t, weight) of the samples after frame i
        for x in plan.samples:
            if x.step:
                between.setdefault(x.frame, []).append((x.step / x.divisions, 1.0 if equal else float(x.weight)))
        for i, samples in between.items():
            m = motions[i]
            parts0, parts1 = ([images[i]], [images[i + 1]]) if self.stored else (layers(i), layers(i + 1))
            interpolate.add_pair_samples(totals, parts0, parts1, (m.forward, m.backward), m.scale, samples)
        scale = 1.0 / (255.0 * len(plan.samples)) if equal else 1.0 / 255.0
        return totals, scale

    def blur(self, plan: Plan, images: Mapping[int, np.ndarray], layers: Layers,
             motions: Mapping[int, PairMotion], rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        """The blurred frame (RGB uint8, the frames' shape) and the camera parameters drawn.

        ``rng`` draws, in this order, the highlight boost, then what ``expose`` draws.
        """
        totals, scale = self.sums(plan, images, layers, motions)
        boost = draw_highlight_boost(rng, self.camera)
        total = totals[0]
        if self.boosted:
            total = total + np.float32(boost - 1.0) * totals[1]
        blurred, sensor = expose(total * np.float32(scale), rng, self.camera)
        return blurred, {"linear": self.camera.linear, "highlight_boost": boost, **sensor}
