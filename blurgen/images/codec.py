"""Image decoding and encoding: any common format in, RGB (or grey) uint8 out.

Arrays are HxWx3 RGB uint8 (or HxW uint8 for grey) throughout blurgen. OpenCV works in BGR,
so every conversion to and from OpenCV happens here and nowhere else.

A file that cannot be used raises :class:`ImageError` (a ``ValueError``) whose message names
the file and says what is wrong, so that a pipeline can report it and move on.
"""
from __future__ import annotations

import os

import cv2
import numpy as np

from blurgen.outputs.atomic import write_atomic

_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"IEND"


#: File extensions read as images when a folder is listed (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def is_image_name(path: str) -> bool:
    """Whether a file name has one of :data:`IMAGE_EXTENSIONS`."""
    return path.lower().endswith(IMAGE_EXTENSIONS)


class ImageError(ValueError):
    """An input image that cannot be used; the message names it and says why."""


def _sniff(data: bytes) -> str:
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(_JPEG_SOI):
        return "jpeg"
    return "other"


def _png_has_iend(data: bytes) -> bool:
    """Walk the chunk list from the signature; a complete PNG reaches its IEND chunk (data
    appended after it, as some tools do, is allowed)."""
    pos = len(_PNG_MAGIC)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == _PNG_IEND:
            return True
        pos += 12 + length  # length, type, data, CRC
    return False


def _jpeg_has_eoi(data: bytes) -> bool:
    """Walk the marker segments to the main image's first scan, then look for the end-of-image
    marker after it. Walking (rather than searching) skips an EXIF thumbnail's own markers, and
    data appended after the end marker (phones' motion-photo trailers) is allowed. Inside
    entropy-coded data a 0xFF byte is always stuffed, so FFD9 there is the real end marker."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # start of scan
            return data.find(_JPEG_EOI, pos + 2 + length) != -1
        pos += 2 + length
    return False


def _check_complete(data: bytes, name: str) -> None:
    """Reject truncated PNG and JPEG files, which OpenCV would otherwise decode in part
    (libjpeg fills the missing rows with grey and only prints a warning)."""
    kind = _sniff(data)
    if kind == "png" and not _png_has_iend(data):
        raise ImageError(f"{name}: truncated PNG (it ends before its IEND chunk); re-export or re-download the file")
    if kind == "jpeg" and not _jpeg_has_eoi(data):
        raise ImageError(f"{name}: truncated JPEG (no end-of-image marker after its image data); "
                         "re-export or re-download the file")


def decode_image(data: bytes, name: str = "<bytes>", mode: str = "rgb", orientation: bool = True) -> np.ndarray:
    """Decode encoded image bytes to uint8 pixels.

    Args:
      data: the file's bytes (PNG, JPEG, WebP, TIFF, BMP, ... whatever OpenCV reads).
      name: how to name the input in error messages (usually its path).
      mode: ``"rgb"`` for HxWx3 RGB (grey is expanded, alpha dropped) or ``"grey"`` for HxW.
      orientation: apply the EXIF orientation, as a photo viewer shows the image; ``False`` gives
        the pixels as stored (see :mod:`blurgen.images.orientation` for reading and applying the tag).

    Returns:
      uint8 array, HxWx3 RGB or HxW grey. 16-bit images are reduced to 8 bits by rounding.

    Raises:
      ImageError: empty, truncated, or not an image.
    """
    if mode not in ("rgb", "grey"):
        raise ValueError(f"mode must be 'rgb' or 'grey', not {mode!r}")
    if not data:
        raise ImageError(f"{name}: empty file (0 bytes); remove it or replace it with a valid image")
    _check_complete(data, name)
    flags = cv2.IMREAD_ANYDEPTH | (cv2.IMREAD_COLOR if mode == "rgb" else cv2.IMREAD_GRAYSCALE)
    if not orientation:
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error as exc:  # pragma: no cover - OpenCV raises only for exotic inputs
        raise ImageError(f"{name}: cannot be decoded as an image ({exc}); check the file") from exc
    if img is None or img.size == 0:
        raise ImageError(f"{name}: not a readable image (unknown format or corrupt data); check the file")
    img = _to_uint8(img, name)
    if mode == "rgb":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(img)


def _to_uint8(img: np.ndarray, name: str) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if img.dtype in (np.float32, np.float64):
        # Float images (TIFF, EXR) are taken as values in [0, 1].
        return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    raise ImageError(f"{name}: unsupported pixel type {img.dtype}; convert it to 8- or 16-bit")


def read_image(path: str | os.PathLike, mode: str = "rgb") -> np.ndarray:
    """Read an image file from the local disk; see :func:`decode_image` for the result."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror}); check the path and permissions") from exc
    return decode_image(data, path, mode)


def _to_bgr(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {img.dtype}")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return img
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    raise ValueError(f"expected HxW or HxWx3 uint8, got shape {img.shape}")


def encode_png(img: np.ndarray, level: int | None = None) -> bytes:
    """Encode an RGB (HxWx3) or grey (HxW) uint8 image as lossless PNG bytes.

    ``level`` is zlib's compression level (0 to 9); ``None`` keeps OpenCV's own settings, which
    on 1280x720 photos are 2 to 3 times faster than an explicit level 1 or 3 and no larger. The
    pixels are the same at every level, and so are the bytes for given settings and OpenCV build.
    """
    params = [] if level is None else [cv2.IMWRITE_PNG_COMPRESSION, int(level)]
    ok, buf = cv2.imencode(".png", _to_bgr(img), params)
    if not ok:  # pragma: no cover
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def encode_jpeg(img: np.ndarray, quality: int = 95) -> bytes:
    """Encode an RGB (HxWx3) or grey (HxW) uint8 image as baseline JPEG at ``quality`` (1 to 100)."""
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
    ok, buf = cv2.imencode(".jpg", _to_bgr(img), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def encode_image(img: np.ndarray, fmt: str = "png", quality: int = 95) -> bytes:
    """Encode as ``fmt`` (``"png"`` or ``"jpeg"``)."""
    if fmt == "png":
        return encode_png(img)
    if fmt in ("jpeg", "jpg"):
        return encode_jpeg(img, quality)
    raise ValueError(f"image format must be 'png' or 'jpeg', not {fmt!r}")


def write_image(path: str | os.PathLike, img: np.ndarray, quality: int = 95) -> None:
    """Write an image to the local disk, the format taken from the file's extension, whole or not
    at all (:func:`blurgen.outputs.atomic.write_atomic`: an interrupted write leaves the previous
    file as it was)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    fmt = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}.get(ext)
    if fmt is None:
        raise ValueError(f"{path}: unsupported output extension {ext!r}; use .png, .jpg or .jpeg")
    write_atomic(path, encode_image(img, fmt, quality))
