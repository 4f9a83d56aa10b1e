"""The camera: the blur itself and what a camera does to the light after it.

* ``blur.py``: the convolution of an image with a kernel (by FFT, reflected borders).
* ``sensor.py``: the camera model of stored images: tone curves, highlight boost and clipping,
  shot and read noise, JPEG (its functions are this package's names).
* ``isp.py``: a RAW sensor pipeline instead: full well, Bayer mosaic, noise on the mosaic,
  demosaicing, white balance, colour matrix, tone curve.
* ``profiles.py``: published colour data of real cameras, for ``isp.py``.

A new camera step is a function here taking and returning float32 linear values (or uint8 at
the end), with its setting in :class:`blurgen.config.CameraConfig` (or ``IspConfig``), called in
order from :mod:`blurgen.degradation`. This room imports the settings and the image codecs only.
"""
from __future__ import annotations

from blurgen.camera.sensor import (add_noise, boost_highlights, decode_lut, from_linear, jpeg_roundtrip,
                                   linear_to_srgb, noise_levels, quantize, srgb_to_linear, store, to_linear)

__all__ = ["add_noise", "boost_highlights", "decode_lut", "from_linear", "jpeg_roundtrip", "linear_to_srgb",
           "noise_levels", "quantize", "srgb_to_linear", "store", "to_linear"]
