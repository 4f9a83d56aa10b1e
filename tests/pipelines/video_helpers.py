"""Clips whose answer is known, for the ``video`` pipeline's tests: pans, zooms, a moving object
pasted on a background, scene cuts; written as frame folders and as encoded video.

A uniquely named module (not ``conftest``), so that it imports the same way whatever other test
folders run in the same pytest process."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline_helpers import SAMPLES, small_copy, write_rgb


def photo(index: int, longest: int = 160) -> np.ndarray:
    """Sample photo ``index`` (0-4) scaled so its longest side is ``longest`` px, RGB uint8."""
    return small_copy(SAMPLES[index % len(SAMPLES)], longest)


def pan(image: np.ndarray, count: int, step: tuple[int, int], size: tuple[int, int] = (40, 56)) -> list[np.ndarray]:
    """``count`` crops of ``size`` (h, w) moving by ``step`` (dy, dx) whole pixels per frame."""
    h, w = size
    dy, dx = step
    y0 = 0 if dy >= 0 else image.shape[0] - h
    x0 = 0 if dx >= 0 else image.shape[1] - w
    frames = [image[y0 + i * dy:y0 + i * dy + h, x0 + i * dx:x0 + i * dx + w].copy() for i in range(count)]
    assert all(f.shape[:2] == size for f in frames), "the pan leaves the photo: use a smaller step or count"
    return frames


def zoom(image: np.ndarray, count: int, rate: float = 1.03, size: tuple[int, int] = (40, 56)) -> list[np.ndarray]:
    """``count`` frames zooming into the photo's centre by ``rate`` per frame."""
    h, w = size
    cy, cx = image.shape[0] / 2, image.shape[1] / 2
    frames = []
    for i in range(count):
        s = rate ** i
        m = np.float32([[s, 0, w / 2 - s * cx], [0, s, h / 2 - s * cy]])
        frames.append(cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return frames


def moving_object(background: np.ndarray, thing: np.ndarray, count: int, step: tuple[int, int] = (1, 3),
                  size: tuple[int, int] = (40, 56)) -> list[np.ndarray]:
    """A still background with ``thing`` pasted at a position moving by ``step`` (dy, dx) per frame."""
    h, w = size
    base = background[:h, :w]
    frames = []
    for i in range(count):
        frame = base.copy()
        y, x = 2 + i * step[0], 2 + i * step[1]
        th, tw = thing.shape[:2]
        frame[y:y + th, x:x + tw] = thing[:max(0, min(th, h - y)), :max(0, min(tw, w - x))]
        frames.append(frame)
    return frames


def write_folder(frames: list[np.ndarray], folder: Path, pattern: str = "f{i}.png") -> Path:
    """Frames as image files named by ``pattern`` (unpadded by default, to need natural sorting)."""
    for i, frame in enumerate(frames):
        write_rgb(folder / pattern.format(i=i), frame)
    return folder


def write_video(frames: list[np.ndarray], path: Path, fourcc: str = "FFV1", fps: float = 240.0) -> Path:
    """Frames encoded with ``cv2.VideoWriter`` (FFV1 is lossless; MJPG and mp4v are not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} into {path.suffix}"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def decode_video(path: Path) -> list[np.ndarray]:
    """Every frame as OpenCV's FFmpeg decodes it, RGB uint8 (what a lossy file really stores)."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def rounded_mean(frames: list[np.ndarray]) -> np.ndarray:
    """The mean of the frames rounded to the nearest integer, in exact integer arithmetic."""
    total = np.sum([f.astype(np.int64) for f in frames], axis=0)
    n = len(frames)
    return ((2 * total + n) // (2 * n)).astype(np.uint8)


def expected_windows(frames: list[np.ndarray], length: int, stride: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``{first frame: (rounded mean, middle frame)}`` of every window of the clip."""
    out = {}
    for first in range(0, len(frames) - length + 1, stride):
        window = frames[first:first + length]
        out[first] = (rounded_mean(window), window[length // 2])
    return out
