"""Blur models: what the camera's motion (or its focus) does to a point of light.

* ``families.py``: the kernels of one blur for the whole image, on one common canvas:
  Boracchi and Foi's random camera-shake trajectories, linear motion, defocus, and the random
  mix of them (:func:`draw_kernels`); with the canvas helpers (splatting, centring, cropping).
* ``rotation.py``: blur from a turning camera, rendered exactly (no single kernel: it differs
  across the image); ``shake.py`` draws the random hand-shake trajectories it renders.
* ``realshake.py``: how large recorded real camera shake is (published kernels' extents).

A new kernel family is a function in ``families.py`` (or a module here, for a large one) that
returns float32 kernels summing to 1 with their centroid on the centre pixel, a name in
``blurgen.config.KERNEL_FAMILIES`` and its settings, and its branch in :func:`draw_kernels`.
This room imports the settings only (:mod:`blurgen.config`).
"""
from __future__ import annotations

from blurgen.kernels.families import (centroid, choose_families, crop_to_support, defocus_kernel, draw_kernels,
                                      exposure_weights, linear_kernel, memory_needed, sample_kernels,
                                      sample_trajectories, splat, trajectory_kernels)

__all__ = ["centroid", "choose_families", "crop_to_support", "defocus_kernel", "draw_kernels", "exposure_weights",
           "linear_kernel", "memory_needed", "sample_kernels", "sample_trajectories", "splat", "trajectory_kernels"]
