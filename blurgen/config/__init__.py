"""Settings: every degradation setting, its default, its range, its flag and its file.

Where a setting goes:

* ``settings.py``: the frozen dataclasses (:class:`DegradeConfig` and its parts), one field per
  setting with its default, and the names of the choices (kernel families, noise modes, ...).
* ``limits.py``: the physical range of every field, declared with the field and checked in one
  place, so the flags, ``--config`` files and the library refuse a value with one message.
* ``options.py``: the command-line flag of every field (click and argparse spell them the same).
* ``loading.py``: ``--config FILE`` read, then the flags applied over it
  (:func:`~blurgen.config.loading.load_config`), for every command that blurs.

A new setting is a field in ``settings.py`` declared with its range, and a row in
``options.py``'s flag table. Imported by the kernels and the camera, it imports neither.
"""
from __future__ import annotations

from blurgen.config.settings import (BAYER_PATTERNS, DEMOSAIC_METHODS, ISP_MODES, KERNEL_CENTRES,
                                     KERNEL_FAMILIES, LINEAR_MODES, MAX_CANVAS, NOISE_MODES, ROTATION,
                                     CameraConfig, DegradeConfig, IspConfig, KernelConfig, RotationConfig,
                                     TrajectoryConfig)

__all__ = ["BAYER_PATTERNS", "DEMOSAIC_METHODS", "ISP_MODES", "KERNEL_CENTRES", "KERNEL_FAMILIES", "LINEAR_MODES",
           "MAX_CANVAS", "NOISE_MODES", "ROTATION", "CameraConfig", "DegradeConfig", "IspConfig", "KernelConfig",
           "RotationConfig", "TrajectoryConfig"]
