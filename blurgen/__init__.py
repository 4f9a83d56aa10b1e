"""blurgen: realistic, reproducible motion-blur training data.

The public surface:

* :func:`sample_kernels` ``(n, rng, config=None) -> float32 (n, k, k)``: random blur kernels on
  one common odd canvas, each non-negative, summing to 1, centroid on the centre pixel.
* :func:`degrade` ``(image, rng, config=None, kernel=None) -> (blurred uint8, kernel float32)``:
  blur an RGB or grey uint8 image through the camera model; ``kernel=None`` draws one.
* :func:`degrade_with_params`: the same, also returning the parameters that were drawn.
* :mod:`blurgen.config` (settings), :mod:`blurgen.images` (I/O), :mod:`blurgen.shards.schema`
  (shard field names), :mod:`blurgen.seeding` (per-example randomness).

Names are imported on first use, so ``import blurgen.shards.schema`` stays cheap for the trainer. No
submodule shares a name with a public function (importing a submodule binds its name on the
package, which would hide the function).
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "sample_kernels": "blurgen.kernels",
    "degrade": "blurgen.degradation",
    "degrade_with_params": "blurgen.degradation",
    "Degraded": "blurgen.degradation",
    "DegradeConfig": "blurgen.config",
    "KernelConfig": "blurgen.config",
    "TrajectoryConfig": "blurgen.config",
    "CameraConfig": "blurgen.config",
    "RotationConfig": "blurgen.config",
    "IspConfig": "blurgen.config",
    "ImageError": "blurgen.images",
    "read_image": "blurgen.images",
    "decode_image": "blurgen.images",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'blurgen' has no attribute {name!r}")
