"""Encoded images carrying an EXIF orientation tag, built byte by byte (no EXIF library needed)."""
from __future__ import annotations

import struct
import zlib

import numpy as np

from blurgen.images import encode_jpeg, encode_png


def tiff_block(orientation: int, order: str = "MM") -> bytes:
    """A TIFF structure whose IFD0 holds one entry: Orientation (0x0112, SHORT) = ``orientation``."""
    o = ">" if order == "MM" else "<"
    return (order.encode() + struct.pack(o + "HI", 42, 8) + struct.pack(o + "H", 1)
            + struct.pack(o + "HHI", 0x0112, 3, 1) + struct.pack(o + "H", orientation) + b"\0\0"
            + struct.pack(o + "I", 0))


def jpeg_with_orientation(img: np.ndarray, orientation: int, order: str = "MM", quality: int = 95) -> bytes:
    """``img`` (RGB uint8) as a JPEG with an APP1 Exif segment right after its start marker."""
    data = encode_jpeg(img, quality)
    payload = b"Exif\0\0" + tiff_block(orientation, order)
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def png_with_orientation(img: np.ndarray, orientation: int) -> bytes:
    """``img`` (RGB uint8) as a PNG with an eXIf chunk after IHDR."""
    data = encode_png(img)
    block = tiff_block(orientation)
    chunk = struct.pack(">I", len(block)) + b"eXIf" + block + struct.pack(">I", zlib.crc32(b"eXIf" + block))
    return data[:33] + chunk + data[33:]  # 8-byte signature + 25-byte IHDR chunk
