"""The EXIF orientation tag: read it from encoded image bytes, and turn pixels as it says.

A camera often stores the pixels as the sensor read them and records in the tag how a viewer
should turn them. Two images that must stay pixel-aligned (a blurred/sharp pair) have to be
turned by one rule: a tag on one side only would rotate one image against the other. So the
pairs pipeline decodes both sides as stored, reads both tags with :func:`read_orientation`, and
turns both with :func:`apply_orientation` only when the tags agree (see
``pipelines.items.realpairs``).

The tag is read from the places the common formats keep it: a JPEG's APP1 ``Exif`` segment,
a PNG's ``eXIf`` chunk, a WebP's ``EXIF`` chunk and a TIFF's first IFD. Where there is no
tag, or it cannot be parsed, the orientation is 1 (as stored).
"""
from __future__ import annotations

import struct

import numpy as np

ORIENTATION_TAG = 0x0112
MEANINGS = {1: "as stored", 2: "mirrored left-right", 3: "rotated 180 degrees", 4: "mirrored top-bottom",
            5: "transposed", 6: "rotated 90 degrees clockwise", 7: "transversed",
            8: "rotated 90 degrees counter-clockwise"}


def _from_tiff(tiff: bytes) -> int:
    """The orientation in a TIFF structure (EXIF's own layout): IFD0's tag 0x0112, a SHORT."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    if struct.unpack(order + "H", tiff[2:4])[0] != 42:
        return 1
    ifd = struct.unpack(order + "I", tiff[4:8])[0]
    if ifd + 2 > len(tiff):
        return 1
    count = struct.unpack(order + "H", tiff[ifd:ifd + 2])[0]
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i: ifd + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == ORIENTATION_TAG and kind == 3:  # SHORT, stored in the first 2 bytes of the value
            value = struct.unpack(order + "H", entry[8:10])[0]
            return value if value in MEANINGS else 1
    return 1


def _exif_payload(data: bytes) -> bytes:
    """The TIFF-structured EXIF block, less any ``Exif\\0\\0`` header."""
    return data[6:] if data.startswith(b"Exif\x00\x00") else data


def _from_jpeg(data: bytes) -> int:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after here
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            return _from_tiff(segment[6:])
        pos += 2 + length
    return 1


def _from_png(data: bytes) -> int:
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"eXIf":
            return _from_tiff(_exif_payload(data[pos + 8:pos + 8 + length]))
        if kind == b"IEND":
            break
        pos += 12 + length
    return 1


def _from_webp(data: bytes) -> int:
    pos = 12
    while pos + 8 <= len(data):
        kind, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if kind == b"EXIF":
            return _from_tiff(_exif_payload(data[pos + 8:pos + 8 + length]))
        pos += 8 + length + (length & 1)
    return 1


def read_orientation(data: bytes) -> int:
    """The EXIF orientation (1 to 8) of an encoded image; 1 where there is none or it is unreadable."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _from_jpeg(data)
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _from_png(data)
        if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            return _from_webp(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _from_tiff(data)
    except struct.error:  # a block cut short: treat as no tag, as viewers do
        return 1
    return 1


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels (HxW or HxWxC) the way a viewer shows an image with this tag."""
    turns = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    if orientation not in turns:
        raise ValueError(f"EXIF orientation must be 1 to 8, got {orientation}")
    return np.ascontiguousarray(turns[orientation](img))


def describe(orientation: int) -> str:
    """``"6 (rotated 90 degrees clockwise)"``."""
    return f"{orientation} ({MEANINGS.get(orientation, 'unknown')})"
