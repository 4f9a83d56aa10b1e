"""``blurgen video``: sharp video in, blurred/sharp pairs out as shards, the blur made by integrating
an exposure over the frames (and frames interpolated between them), as GoPro and REDS were made.

Each window of frames becomes one pair: blurred = the weighted mean of its samples (in stored values
by default, in linear light with ``--linear srgb``) run through the camera model of ``synth`` (the same flags, the same ``DegradeConfig``), sharp =
its middle frame. ``--exposure T`` gives the exposure in seconds (or a range drawn per window),
which the clip's frame rate turns into frames; ``--frames N`` averages N frames. ``--interpolate
auto`` adds frames between neighbours by optical flow until the motion between two samples is
under ``--max-motion`` px, and windows that cannot be brought there are rejected as ``ghosting``
(:mod:`pipelines.footage.ghosting`). A clip of F frames in windows of L frames every S gives
``floor((F - L) / S) + 1`` windows.

    python -m pipelines.video --src clips/ --src 'more/*.mp4' --out /tmp/vshards --exposure 1/60,1/15
    python -m pipelines.video --src GOPRO_Large_all/train --out /tmp/gopro-video --frames 11 --linear gamma

Inputs are counted in windows: ``inputs = written + rejected`` counts every window of every clip
once, and a clip that gives no window at all (unreadable, shorter than one window, a duplicate
name, no frame rate for ``--exposure``) once. Clips are cut into frame ranges of
``--windows-per-range`` windows, each one work item, so several workers share a long clip; the
pairs do not depend on the cut, the runner or the number of workers. Splits go by a stable hash
of the clip's name, so a clip's windows all land in one split. Beam flags (``--runner``,
``--direct_num_workers``, ``--setup_file``) pass through.
"""
from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from blurgen.config import options
from blurgen.config.loading import load_config
from pipelines.footage import clips as cliplib
from pipelines.footage.clips import VIDEO, Clip, FrameRange
from pipelines.footage.exposure import Exposure, parse_seconds
from pipelines.footage.frames import video_frame_count
from pipelines.footage.ghosting import DEFAULT_MAX_INTERPOLATE, DEFAULT_MAX_MISMATCH, DEFAULT_MAX_MOTION, GhostSettings
from pipelines.footage.interpolate import FLOWS
from pipelines.footage.windows import DEFAULT_CUT_THRESHOLD, VideoSettings, range_units
from pipelines.runners import launch
from pipelines.shards import guard
from pipelines.sources import inputs
from pipelines.sources.rejects import MALFORMED, TOO_SHORT, Reject, RejectError

UNIT = "window"
DEFAULT_FRAMES = 7
#: How a window's samples weigh, as the manifest records it (see :mod:`pipelines.footage.exposure`).
SAMPLING = ("cells: each sample weighs the part of the exposure nearer to it than to any other sample; "
            "exposure centred on the sharp frame")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blurgen video", description="Blur sharp video by integrating an exposure over its frames (and frames "
        "interpolated between them) into blurred/sharp pairs in TFRecord shards; windows that would show copies "
        "rather than blur are rejected as ghosting. Flags not listed here go to Apache Beam (--runner, "
        "--direct_num_workers, ...).")
    add = parser.add_argument
    add("--src", action="append", required=True,
        help="video files or folders of frames: a file, a glob or a folder (searched recursively); repeatable")
    launch.add_common_flags(parser)
    add("--exposure", help="exposure time in seconds, such as 1/30, or a range SHORTEST,LONGEST such as 1/60,1/15 "
                           "drawn per window (log-uniform); the sharp frame is at its middle")
    add("--frames", type=int, default=None,
        help=f"frames averaged per pair, odd, instead of --exposure (default without --exposure: {DEFAULT_FRAMES})")
    add("--fps", help="frame rate of clips that declare none (frame folders, some video files), such as 240 or "
                      "30000/1001; needed for --exposure on them")
    add("--stride", type=int, default=None,
        help="frames from one window's sharp frame to the next (default: the window's length, so windows do not "
             "overlap)")
    add("--interpolate", default="auto",
        help="frames to add between every two by optical flow before averaging: 'auto' (as many as keep the motion "
             "between samples under --max-motion) or a number (default: %(default)s)")
    add("--max-interpolate", type=int, default=DEFAULT_MAX_INTERPOLATE,
        help="most frames --interpolate auto adds between two (default: %(default)s)")
    add("--max-motion", default=str(DEFAULT_MAX_MOTION),
        help="reject windows (as ghosting) whose samples lie more than this many px of motion apart after "
             "interpolation; 'off' keeps them (default: %(default)s)")
    add("--max-mismatch", default=str(DEFAULT_MAX_MISMATCH),
        help="reject windows (as ghosting) using two frames that, warped halfway to each other by their flow, "
             "disagree on more than this percentage of the frame; 'off' keeps them (default: %(default)s)")
    add("--flow", choices=FLOWS, default="dis", help="optical flow for --interpolate (default: %(default)s)")
    add("--cut-threshold", default=str(DEFAULT_CUT_THRESHOLD),
        help="reject windows spanning a jump of more than this mean difference (0-255) between the 32 px grey "
             "thumbnails of two neighbouring frames; 'off' keeps all (default: %(default)s)")
    add("--windows-per-range", type=int, default=32,
        help="windows per work item; workers share long clips in ranges of this many (default: %(default)s)")
    add("--seed", type=int, default=0, help="the run's seed, for the camera noise (default: %(default)s)")
    add("--test-fraction", type=float, default=0.1,
        help="fraction of clips in the test split, by a stable hash of the clip's name (default: %(default)s)")
    add("--min-size", type=int, default=16, help="reject frames with a side shorter than this (default: %(default)s)")
    add("--blurred-format", choices=("png", "jpeg"), default="png", help="storage format of the blurred frame")
    add("--blurred-quality", type=int, default=95, help="JPEG quality when --blurred-format jpeg")
    add("--png-level", type=int, default=None, help="zlib level of the PNGs, 0-9 (default: OpenCV's, the fastest)")
    camera = parser.add_argument_group("camera model (defaults: blurgen.config; the kernel settings do not apply)")
    camera.add_argument("--config", help="JSON file of a DegradeConfig (as DegradeConfig.to_dict writes it); "
                                         "its camera part is used")
    options.add_arguments(camera, parts=("camera",))  # the camera flags of `blurgen degrade` and `synth`
    return parser


def _number_or_off(text: str, flag: str, what: str) -> float | None:
    if text.strip().lower() in ("off", "none"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{flag} must be {what} or 'off', got {text!r}") from None


def parse_cut_threshold(text: str) -> float | None:
    return _number_or_off(text, "--cut-threshold", "a number of levels (0-255)")


def parse_interpolate(text: str) -> int | None:
    """``auto`` is ``None``; else a whole number of frames."""
    if text.strip().lower() == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"--interpolate must be 'auto' or a number of frames, got {text!r}") from None


def settings_from(args: argparse.Namespace) -> VideoSettings:
    if args.exposure is not None and args.frames is not None:
        raise ValueError("give either --frames N or --exposure T, not both")
    ghost = GhostSettings(parse_interpolate(args.interpolate), args.max_interpolate,
                          _number_or_off(args.max_motion, "--max-motion", "a number of pixels"),
                          _number_or_off(args.max_mismatch, "--max-mismatch", "a percentage"))
    exposure = None if args.exposure is None else Exposure.parse(args.exposure)
    frames = None if exposure is not None else (DEFAULT_FRAMES if args.frames is None else args.frames)
    return VideoSettings(
        frames=frames, exposure=exposure, stride=args.stride, ghost=ghost,
        flow=args.flow, cut_threshold=parse_cut_threshold(args.cut_threshold), seed=args.seed,
        test_fraction=args.test_fraction, min_size=args.min_size, blurred_format=args.blurred_format,
        blurred_quality=args.blurred_quality, png_level=args.png_level,
        camera=load_config(args.config, vars(args), read=inputs.read_user_file).camera)


def check_frame_rates(clips: list[Clip], s: VideoSettings, fps: float) -> None:
    """Refuse ``--exposure`` on frame folders without ``--fps`` before any work starts.

    Raises:
      ValueError: naming the first such folder and the fix.
    """
    folders = [c for c in clips if c.kind != VIDEO]
    if s.exposure is not None and folders and not fps > 0:
        raise ValueError(f"--exposure needs a frame rate, and the frame folder {folders[0].path} (one of "
                         f"{len(folders)}) has none: pass --fps, such as --fps 240, or use --frames N")


def list_ranges(clips: list[Clip], s: VideoSettings, per_range: int, fps: float = 0.0
                ) -> tuple[list[FrameRange], list[Reject], int]:
    """Every clip's frame ranges, the clips that give no window (as rejects), and the number of windows.

    Video files are opened here to read the frame count and rate their header declares; ``fps``
    (``--fps``, 0 for none) is the rate of clips that declare none.
    """
    if per_range < 1:
        raise ValueError(f"--windows-per-range must be at least 1, got {per_range}")
    ranges, rejects, windows = [], [], 0
    for clip in clips:
        if clip.kind == VIDEO:
            try:
                count, rate = video_frame_count(clip.path)
            except RejectError as exc:
                rejects.append(Reject(clip.path, exc.kind, str(exc)))
                continue
        else:
            count, rate = len(clip.frames), 0.0
        rate = rate if rate > 0 else fps
        if s.exposure is not None and not rate > 0:
            rejects.append(Reject(clip.path, MALFORMED, f"{clip.path}: its header declares no frame rate, which "
                                  "--exposure needs; pass --fps with its rate, or use --frames N"))
            continue
        length, stride = s.layout(rate)
        planned = cliplib.plan_ranges(clip, count, rate, length, stride, per_range)
        if not planned:
            setting = f"--frames {s.frames}" if s.frames else f"--exposure {s.exposure.text()} at {rate:g} fps"
            rejects.append(Reject(clip.path, TOO_SHORT, f"{clip.path}: {count} frame(s), fewer than one window of "
                                  f"{length} ({setting}); give a longer clip or a shorter window"))
        ranges.extend(planned)
        windows += sum(r.windows for r in planned)
    return ranges, rejects, windows


def _rates(ranges: list[FrameRange]) -> dict[str, int]:
    """How many clips (with windows) run at each frame rate, ``{"29.97": 3, ...}``."""
    seen: dict[str, set[str]] = {}
    for r in ranges:
        seen.setdefault(f"{r.fps:g}", set()).add(r.clip)
    return {rate: len(clips) for rate, clips in sorted(seen.items())}


def _path_of(item: FrameRange) -> str:
    return f"{item.path}[windows {item.first_window}-{item.first_window + item.windows - 1}]"


@launch.locks_out(build_parser)
def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the pipeline and return the manifest it wrote (plus Beam's counters under ``counters``)."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    launch.configure_logging(args.verbose)
    settings = settings_from(args)
    num_shards = launch.parse_num_shards(args.num_shards)
    options_ = launch.beam_options(beam_args, parser)
    clips, duplicates = cliplib.merge_sources(args.src)
    guard.check_dataset_inputs(args.out, args.name, [(f, "input") for c in clips for f in (c.path, *c.frames)]
                               + [(r.path, "input") for r in duplicates] + [(args.config, "--config")])
    fps = 0.0 if args.fps is None else float(parse_seconds(args.fps, "--fps", "240 or 30000/1001"))
    check_frame_rates(clips, settings, fps)
    ranges, no_window, windows = list_ranges(clips, settings, args.windows_per_range, fps)
    listing_rejects = sorted(duplicates + no_window)
    launch.LOG.info("video: %d clips, %d windows in %d frame ranges -> %s",
                    len(clips) + len(duplicates), windows, len(ranges), args.out)
    parameters = {k: v for k, v in vars(args).items() if k not in ("config", "verbose", "overwrite")}
    parameters.update(frames=settings.frames, exposure=None if settings.exposure is None else settings.exposure.text(),
                      fps=fps or None, stride=settings.stride or "window", interpolate=settings.ghost.interpolate if settings.ghost.interpolate is not None else "auto",
                      max_interpolate=settings.ghost.max_interpolate,
                      max_motion=settings.ghost.max_motion, max_mismatch=settings.ghost.max_mismatch,
                      clip_rates=_rates(ranges), sampling=SAMPLING,
                      cut_threshold=settings.cut_threshold, degrade_config_file=args.config,
                      degrade=load_config(args.config, vars(args), read=inputs.read_user_file).to_dict(),
                      unit=UNIT, clips=len(clips) + len(duplicates),
                      clips_without_windows=len(listing_rejects), windows=windows, ranges=len(ranges))
    return launch.run_dataset(args, "video", args.src, ranges, listing_rejects, FrameRange,
                              functools.partial(range_units, s=settings), _path_of, parameters, options_,
                              num_shards, units=windows)


def _run_and_explain(argv: list[str] | None) -> dict[str, Any]:
    manifest = run(argv)
    p = manifest["parameters"]
    if p["frames"]:
        what = f"{p['frames']} frames every {p['frames'] if p['stride'] == 'window' else p['stride']}"
    else:
        what = f"exposure {p['exposure']} s every {'window length in' if p['stride'] == 'window' else p['stride']} frames"
    print(f"{p['clips']} clips: {p['windows']} windows of {what}, and "
          f"{p['clips_without_windows']} clip(s) without a window; inputs below count windows "
          f"(a clip without a window counts as one)", flush=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    return launch.main(_run_and_explain, argv)


if __name__ == "__main__":
    sys.exit(main())
