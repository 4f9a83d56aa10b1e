"""Recorded camera shake: how large published real blur kernels are, shipped as numbers.

A kernel's **extent** is the side of the bounding box of its values above 1 % of its peak, in
pixels (the larger of the box's height and width): the measure ``benchmarks/kernel_stats.py`` and
the README's kernel tables use. Dataset cards (``blurgen inspect --card``) draw the extents of a
dataset's kernels against the recorded ones below, so that a user sees whether the synthetic blur
is as large as real camera shake.

The numbers were computed once from the published kernels by ``benchmarks/recorded_extents.py``
(which prints them and checks them against this table); the kernels themselves are research data
and do not ship with the package. Koehler et al.'s kernels are JPEG crops: their background level
(the median) is subtracted before the extent is taken.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXTENT_LEVEL = 0.01  # a value counts towards the extent when it is above 1 % of the kernel's peak


@dataclass(frozen=True)
class RecordedShake:
    """The extents (px) of one published set of recorded camera-shake kernels."""

    name: str  # short name for legends: "Levin et al. 2009"
    source: str  # the publication the kernels come from
    kernels: tuple[tuple[str, int], ...]  # (the kernel's name in the published set, extent in px)

    @property
    def extents(self) -> tuple[int, ...]:
        return tuple(e for _, e in self.kernels)


RECORDED: tuple[RecordedShake, ...] = (
    RecordedShake("Levin et al. 2009",
                  "A. Levin, Y. Weiss, F. Durand, W. T. Freeman, \"Understanding and evaluating blind "
                  "deconvolution algorithms\", CVPR 2009: 8 kernels recorded from camera shake",
                  (("k1", 13), ("k2", 13), ("k3", 9), ("k4", 22), ("k5", 9), ("k6", 17), ("k7", 18), ("k8", 18))),
    RecordedShake("Koehler et al. 2012",
                  "R. Koehler, M. Hirsch, B. Mohler, B. Schoelkopf, S. Harmeling, \"Recording and playback of "
                  "camera shake\", ECCV 2012: 4 of its recorded shakes",
                  (("Kernel1_1", 27), ("Kernel2_2", 24), ("Kernel3_3", 32), ("Kernel4_4", 24))),
    RecordedShake("Lai et al. 2016",
                  "W.-S. Lai, J.-B. Huang, Z. Hu, N. Ahuja, M.-H. Yang, \"A comparative study for single image "
                  "blind deblurring\", CVPR 2016: its 4 large recorded kernels",
                  (("kernel_01", 21), ("kernel_02", 41), ("kernel_03", 45), ("kernel_04", 65))),
)


def extent(kernel: np.ndarray, level: float = EXTENT_LEVEL) -> int:
    """The extent of a 2-D kernel in px: the larger side of the bounding box of its values above
    ``level`` times its peak; 0 for an empty kernel or one without a positive value."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.size == 0 or not np.isfinite(k).all():
        return 0
    peak = float(k.max())
    if peak <= 0:
        return 0
    ys, xs = np.nonzero(k > level * peak)
    return int(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))
