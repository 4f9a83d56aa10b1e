"""Images in and out: any common format to RGB (or grey) uint8 arrays, and back.

* ``codec.py``: decoding and encoding (PNG, JPEG, ...), reading and writing files, the list of
  image extensions; its functions are this package's names.
* ``orientation.py``: the EXIF orientation tag, read from the encoded bytes and applied.

Arrays are HxWx3 RGB uint8 (or HxW uint8 for grey) throughout blurgen. This room imports only
the atomic writer of :mod:`blurgen.outputs` (a written image appears whole or not at all).
"""
from __future__ import annotations

from blurgen.images.codec import (IMAGE_EXTENSIONS, ImageError, decode_image, encode_image, encode_jpeg, encode_png,
                                  is_image_name, read_image, write_image)

__all__ = ["IMAGE_EXTENSIONS", "ImageError", "decode_image", "encode_image", "encode_jpeg", "encode_png",
           "is_image_name", "read_image", "write_image"]
