"""Published colour data of real cameras, for the RAW sensor pipeline (:mod:`blurgen.camera.isp`).

A camera records light through its own red, green and blue filters ("camera RGB"). Its raw
converter maps camera RGB to a standard space with a colour matrix. Adobe's DNG converter
publishes, for each camera, the matrix from CIE XYZ (D65) to that camera's RGB; dcraw carries the
same numbers in its ``adobe_coeff`` table, as whole numbers scaled by 10,000. The four below are
that table's entries for the named cameras (the Canon EOS 5D Mark II is the camera Koehler et
al. 2012 played their recorded camera shake back on).

Combined with the sRGB primaries (IEC 61966-2-1, D65 white), each gives the matrix from linear
sRGB to camera RGB; its rows are scaled to sum to 1 so that sRGB white gives equal camera
values, and the white balance gains then set the colour of the light (Brooks et al. 2019,
"Unprocessing images for learned raw denoising", do the same).
"""
from __future__ import annotations

import numpy as np

# dcraw adobe_coeff: XYZ (D65) -> camera RGB, x 10,000, row-major.
XYZ_TO_CAMERA = {
    "canon-eos-5d-mark-ii": (4716, 603, -830, -7798, 15474, 2480, -1496, 1937, 6651),
    "nikon-d700": (8139, -2171, -663, -8747, 16541, 2295, -1925, 2008, 8093),
    "sony-ilce-7": (5271, -712, -347, -6153, 13653, 2763, -1601, 2366, 7242),
    "canon-eos-7d": (6844, -996, -856, -3876, 11761, 2396, -593, 1772, 6198),
}
CAMERAS = tuple(XYZ_TO_CAMERA)

# Linear sRGB -> CIE XYZ, D65 white (IEC 61966-2-1).
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])


def camera_from_srgb(name: str) -> np.ndarray:
    """The 3x3 float64 matrix from linear sRGB to the camera RGB of ``name`` (before white
    balance), rows summing to 1 so that sRGB white maps to (1, 1, 1).

    Raises:
      ValueError: an unknown camera, naming the known ones.
    """
    if name not in XYZ_TO_CAMERA:
        raise ValueError(f"unknown camera {name!r}; use one of {', '.join(CAMERAS)}")
    m = np.asarray(XYZ_TO_CAMERA[name], dtype=np.float64).reshape(3, 3) / 10_000 @ SRGB_TO_XYZ
    return m / m.sum(axis=1, keepdims=True)
