"""Reading a clip's frames in order, one at a time, from a video file or a folder of frames.

A worker never holds a clip: :func:`read_frames` yields the frames a frame range needs, one by
one, as RGB uint8 ``HxWx3`` arrays. A frame that cannot be had (an undecodable file in a folder,
a video whose stream ends or breaks before the frame count its header declares) is yielded as
a :class:`Frame` with an ``error`` instead of pixels, so that the windows holding it are rejected
with that reason and the others go on.

Video files are opened with OpenCV's bundled FFmpeg. A frame range that starts inside a clip
seeks to its first frame (``CAP_PROP_POS_FRAMES``: frame-accurate for constant-frame-rate files,
checked for MJPG, MPEG-4 and FFV1 files in the tests); where the decoder reports another
position after the seek, the range decodes from the clip's start instead, so frame ``i`` is always
the ``i``-th frame the decoder gives. Video files that are not local (``gs://``) are copied to a
local temporary file first, since FFmpeg reads local files.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterable, Iterator, NamedTuple

import cv2
import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from blurgen.images import ImageError, decode_image
from pipelines.sources import inputs
from pipelines.sources.rejects import EMPTY, UNREADABLE, RejectError

THUMB_WIDTH = 32  # px; scene cuts are measured on grey thumbnails this wide


class Frame(NamedTuple):
    """Frame ``index`` of a clip: RGB uint8 ``HxWx3`` pixels, or ``None`` and the ``error`` why not."""

    index: int
    image: np.ndarray | None
    error: str | None = None


@contextlib.contextmanager
def local_file(path: str) -> Iterator[str]:
    """``path`` itself when it is local, else a temporary local copy (removed afterwards)."""
    if FileSystems.get_scheme(path) is None:
        yield path
        return
    suffix = os.path.splitext(path)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as src:
            shutil.copyfileobj(src, tmp, 8 << 20)
        tmp.flush()
        yield tmp.name


def _open(local: str, path: str) -> cv2.VideoCapture:
    if os.path.getsize(local) == 0:
        raise RejectError(EMPTY, f"{path}: empty file (0 bytes); remove it or replace it with a video")
    cap = cv2.VideoCapture(local, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise RejectError(UNREADABLE, f"{path}: cannot be opened as a video by OpenCV's FFmpeg (not a video, "
                          "an unknown codec, or a broken file); check it plays, or export its frames to a folder")
    return cap


def video_frame_count(path: str) -> tuple[int, float]:
    """The number of frames a video file's header declares, and its frame rate (0 if unknown).

    Where the header has no count, the frames are counted by decoding the clip once.

    Raises:
      RejectError: the file is empty or cannot be opened as a video.
    """
    with local_file(path) as local:
        cap = _open(local, path)
        try:
            count, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            if count <= 0:
                count = 0
                while cap.grab():
                    count += 1
            return count, fps
        finally:
            cap.release()


def _seek(cap: cv2.VideoCapture, local: str, path: str, first: int) -> cv2.VideoCapture:
    """A capture whose next frame is frame ``first`` (seeking, or decoding from the start)."""
    if first == 0:
        return cap
    cap.set(cv2.CAP_PROP_POS_FRAMES, first)
    if int(cap.get(cv2.CAP_PROP_POS_FRAMES)) == first:
        return cap
    cap.release()  # the decoder lost its place: count frames from the start instead
    cap = _open(local, path)
    for _ in range(first):
        if not cap.grab():
            break
    return cap


def _broken(path: str, index: int, count: int) -> str:
    return (f"{path}: frame {index} cannot be decoded (the stream ends or breaks there, though its header "
            f"declares {count} frames); re-encode or repair the file")


def read_video(path: str, needed: list[int], count: int) -> Iterator[Frame]:
    """The frames of ``needed`` (increasing indices) of the video at ``path``, in order.

    Frames between needed ones are decoded but not converted. Once the decoder fails, every
    later needed frame is yielded with that error (its position in the stream is lost).
    """
    if not needed:
        return
    with local_file(path) as local:
        cap = _seek(_open(local, path), local, path, needed[0])
        try:
            position, failed = needed[0], None
            for index in needed:
                while failed is None and position < index:  # a gap between windows
                    failed = None if cap.grab() else position
                    position += 1
                ok, bgr = (False, None) if failed is not None else cap.read()
                if not ok:
                    failed = position if failed is None else failed
                    yield Frame(index, None, _broken(path, failed, count))
                    continue
                position += 1
                yield Frame(index, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        finally:
            cap.release()


def read_folder(frames: list[str], first: int, needed: list[int]) -> Iterator[Frame]:
    """The frames of ``needed`` from a folder's frame files; ``frames[i]`` is frame ``first + i``."""
    for index in needed:
        path = frames[index - first]
        try:
            yield Frame(index, decode_image(inputs.read_bytes(path), path))
        except ImageError as exc:
            yield Frame(index, None, str(exc))
        except OSError as exc:
            yield Frame(index, None, f"{path}: cannot be read ({exc}); check the path and permissions")


def needed_frames(starts: Iterable[int], length: int) -> list[int]:
    """The sorted frame indices that windows of ``length`` frames beginning at ``starts`` hold."""
    return sorted({i for a in starts for i in range(a, a + length)})


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A grey float32 thumbnail :data:`THUMB_WIDTH` px wide (area average), for scene-cut scores."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    th = max(1, round(h * THUMB_WIDTH / w))
    return cv2.resize(grey, (THUMB_WIDTH, th), interpolation=cv2.INTER_AREA).astype(np.float32)


def cut_score(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference (0 to 255) of two frames' thumbnails; ``inf`` when sizes differ."""
    if a.shape != b.shape:
        return float("inf")
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size
