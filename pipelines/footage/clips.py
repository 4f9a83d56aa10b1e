"""Finding clips: video files and folders of frames, given as files, globs or folders (``--src``).

A *clip* is either a video file (whatever OpenCV's bundled FFmpeg decodes, found by its extension
in a folder) or a folder of frames (the image files directly inside one folder, in natural name
order, so ``f2.png`` comes before ``f10.png``; zero-padded GoPro names sort the same either way).
A folder source is searched recursively: every video file in it is a clip, and so is every folder
in it that holds image files. A glob's matches are taken the same way (its image files grouped by
folder), a video file given by name is a clip. Each clip is named by its path relative to its
source's root (the root's own name when the root itself holds the frames), as ``synth`` names
photos, so a dataset does not change when its folder moves. Several sources are merged by name.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from blurgen import images
from pipelines.sources import inputs
from pipelines.sources.rejects import Reject

VIDEO = "video"
FRAMES = "frames"
#: File extensions listed as video clips when a folder is searched (lower case).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv",
                    ".3gp", ".ts", ".mts", ".m2ts", ".ogv", ".mxf")
_GLOB = re.compile(r"[*?\[]")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, order=True)
class Clip:
    """One clip: ``name`` relative to its source's root; ``path`` of the video file or the frame
    folder; ``kind`` :data:`VIDEO` or :data:`FRAMES`; ``frames``: the frame files in order (empty for video)."""

    name: str
    path: str
    kind: str
    frames: tuple[str, ...] = ()


def is_video_name(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def natural_key(path: str) -> list:
    """Sort key comparing runs of digits by value: ``f2.png`` < ``f10.png``."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name)] + [path]


def _parent(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[0] if "/" in path.replace("\\", "/") else ""


def _name(path: str, root: str) -> str:
    """``path`` relative to ``root``; the root's own base name when they are the same folder."""
    root = root.rstrip("/\\")
    if path.rstrip("/\\") == root:
        return os.path.basename(root) or root
    rel = path[len(root):] if root and path.startswith(root) else os.path.basename(path)
    return rel.lstrip("/\\").replace("\\", "/")


def _group(paths: list[str], root: str, keep_images: bool = True) -> list[Clip]:
    """Clips from a list of files: each video file one, the image files of each folder one."""
    clips = [Clip(_name(p, root), p, VIDEO) for p in paths if is_video_name(p)]
    folders: dict[str, list[str]] = {}
    for p in paths:
        if keep_images and images.is_image_name(p):
            folders.setdefault(_parent(p), []).append(p)
    for folder, frames in folders.items():
        clips.append(Clip(_name(folder, root), folder, FRAMES, tuple(sorted(frames, key=natural_key))))
    return clips


def expand_source(src: str) -> list[Clip]:
    """The clips of one ``--src``, sorted by name.

    Raises:
      ValueError: nothing matches ``src``, or it names a single image (a frame is not a clip).
    """
    if _GLOB.search(src):
        root = src[:_GLOB.search(src).start()]
        root = root[:max(root.rfind("/"), 0)]
        found = [m.path for m in FileSystems.match([src])[0].metadata_list]
        if not found:  # a glob of folders (GOPRO_Large/*/*/sharp) matches no file itself
            found = [m.path for m in FileSystems.match([src.rstrip("/") + "/*"])[0].metadata_list]
        clips = _group(found, root)
    elif inputs.exists(src) and not src.endswith("/") and not _is_local_dir(src):
        if images.is_image_name(src):
            raise ValueError(f"--src {src}: a single frame is not a clip; give the folder of frames "
                             f"({os.path.dirname(src) or '.'}) or a video file")
        clips = [Clip(_name(src, os.path.dirname(src)), src, VIDEO)]
    else:
        root = src.rstrip("/\\")
        found = [m.path for m in FileSystems.match([FileSystems.join(root, "**") if root else "**"])[0].metadata_list]
        clips = _group(found, root)
    if not clips:
        raise ValueError(f"--src {src}: no clips found; give video files ({', '.join(VIDEO_EXTENSIONS[:5])}, ...) "
                         f"or folders of frames ({', '.join(images.IMAGE_EXTENSIONS)}), as files, globs or folders")
    return sorted(clips)


def _is_local_dir(src: str) -> bool:
    return FileSystems.get_scheme(src) is None and os.path.isdir(src)


def merge_sources(srcs: list[str]) -> tuple[list[Clip], list[Reject]]:
    """The clips of all sources, one per name, sorted; a ``DUPLICATE`` reject for each other clip.

    The same clip found twice (``--src d --src d/a.mp4``) is one clip; a second clip whose name is
    already taken is rejected, not dropped (its pairs would have the same keys). The earlier
    ``--src`` keeps the name.

    Raises:
      ValueError: a source matches nothing.
    """
    return inputs.merge_named(srcs, expand_source, "clip name")


@dataclass(frozen=True)
class FrameRange:
    """One work item: ``windows`` consecutive windows of a clip, from window ``first_window`` on.

    ``count`` is the clip's number of frames (as its header declares, for video) and ``fps`` its
    frame rate (0 where unknown or for frame folders). For a frame folder, ``frames`` are the frame
    files from frame ``frame_offset`` on that the windows hold; for video it is empty.
    """

    clip: str
    path: str
    kind: str
    count: int
    fps: float
    first_window: int
    windows: int
    frame_offset: int = 0
    frames: tuple[str, ...] = ()


def window_count(frames: int, length: int, stride: int) -> int:
    """Windows of ``length`` frames every ``stride`` frames in a clip of ``frames``:
    ``floor((frames - length) / stride) + 1``, or 0 when the clip is shorter than one window."""
    return 0 if frames < length else (frames - length) // stride + 1


def plan_ranges(clip: Clip, count: int, fps: float, length: int, stride: int, per_range: int) -> list[FrameRange]:
    """The clip's windows cut into ranges of ``per_range`` windows (the last may hold fewer).

    The cut depends only on these numbers, never on the runner or the number of workers.
    """
    total = window_count(count, length, stride)
    ranges = []
    for first in range(0, total, per_range):
        n = min(per_range, total - first)
        start, stop = first * stride, (first + n - 1) * stride + length
        frames = clip.frames[start:stop] if clip.kind == FRAMES else ()
        ranges.append(FrameRange(clip.name, clip.path, clip.kind, count, fps, first, n, start, tuple(frames)))
    return ranges
