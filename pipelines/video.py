"""``blurgen video``: sharp video in, frame-averaged blurred/sharp pairs out (the GoPro recipe), as shards.

Each window of ``--frames N`` consecutive frames (N odd), one every ``--stride S`` frames, becomes
one pair: blurred = the mean of the N frames in linear light run through the camera model of
``synth`` (the same flags, the same ``DegradeConfig``), sharp = the middle frame. A clip of F frames
gives ``floor((F - N) / S) + 1`` windows. With ``--linear none --noise none`` the blurred frame is
exactly the rounded mean of the stored frames. ``--interpolate K`` adds K frames between every
two by optical flow before averaging, against the ghosting of low frame rates.

    python -m pipelines.video --src clips/ --src 'more/*.mp4' --out /tmp/vshards --frames 7 --stride 7
    python -m pipelines.video --src GOPRO_Large_all/train --out /tmp/gopro-video --frames 11 --linear gamma

Inputs are counted in windows: ``inputs = written + rejected`` counts every window of every clip
once, and a clip that gives no window at all (unreadable, shorter than one window, a duplicate
name) once. Clips are cut into frame ranges of ``--windows-per-range`` windows, each one work
item, so several workers share a long clip; the pairs do not depend on the cut, the runner or
the number of workers. Splits go by a stable hash of the clip's name, so a clip's windows all
land in one split. Beam flags (``--runner``, ``--direct_num_workers``, ``--setup_file``) pass through.
"""
from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from blurgen import options
from pipelines import clips as cliplib
from pipelines import guard, launch
from pipelines.clips import VIDEO, Clip, FrameRange
from pipelines.frames import video_frame_count
from pipelines.interpolate import FLOWS
from pipelines.rejects import TOO_SHORT, Reject, RejectError
from pipelines.synth import degrade_config
from pipelines.windows import DEFAULT_CUT_THRESHOLD, VideoSettings, range_units

UNIT = "window"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blurgen video", description="Average windows of sharp video frames into blurred/sharp pairs in "
        "TFRecord shards. Flags not listed here go to Apache Beam (--runner, --direct_num_workers, ...).")
    add = parser.add_argument
    add("--src", action="append", required=True,
        help="video files or folders of frames: a file, a glob or a folder (searched recursively); repeatable")
    launch.add_common_flags(parser)
    add("--frames", type=int, default=7, help="frames averaged per pair, odd (default: %(default)s)")
    add("--stride", type=int, default=None, help="frames from one window's start to the next (default: --frames)")
    add("--interpolate", type=int, default=0,
        help="frames to add between every two by optical flow before averaging (default: %(default)s)")
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


def parse_cut_threshold(text: str) -> float | None:
    if text.strip().lower() in ("off", "none"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--cut-threshold must be a number of levels (0-255) or 'off', got {text!r}") from None


def settings_from(args: argparse.Namespace) -> VideoSettings:
    return VideoSettings(
        frames=args.frames, stride=args.frames if args.stride is None else args.stride, interpolate=args.interpolate,
        flow=args.flow, cut_threshold=parse_cut_threshold(args.cut_threshold), seed=args.seed,
        test_fraction=args.test_fraction, min_size=args.min_size, blurred_format=args.blurred_format,
        blurred_quality=args.blurred_quality, png_level=args.png_level, camera=degrade_config(args).camera)


def list_ranges(clips: list[Clip], s: VideoSettings, per_range: int) -> tuple[list[FrameRange], list[Reject], int]:
    """Every clip's frame ranges, the clips that give no window (as rejects), and the number of windows.

    Video files are opened here to read the frame count their header declares.
    """
    if per_range < 1:
        raise ValueError(f"--windows-per-range must be at least 1, got {per_range}")
    ranges, rejects, windows = [], [], 0
    for clip in clips:
        if clip.kind == VIDEO:
            try:
                count, fps = video_frame_count(clip.path)
            except RejectError as exc:
                rejects.append(Reject(clip.path, exc.kind, str(exc)))
                continue
        else:
            count, fps = len(clip.frames), 0.0
        planned = cliplib.plan_ranges(clip, count, fps, s.frames, s.stride, per_range)
        if not planned:
            rejects.append(Reject(clip.path, TOO_SHORT, f"{clip.path}: {count} frame(s), fewer than one window of "
                                  f"--frames {s.frames}; give a longer clip or fewer --frames"))
        ranges.extend(planned)
        windows += sum(r.windows for r in planned)
    return ranges, rejects, windows


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
    ranges, no_window, windows = list_ranges(clips, settings, args.windows_per_range)
    listing_rejects = sorted(duplicates + no_window)
    launch.LOG.info("video: %d clips, %d windows in %d frame ranges -> %s",
                    len(clips) + len(duplicates), windows, len(ranges), args.out)
    parameters = {k: v for k, v in vars(args).items() if k not in ("config", "verbose", "overwrite")}
    parameters.update(stride=settings.stride, cut_threshold=settings.cut_threshold, degrade_config_file=args.config,
                      degrade=degrade_config(args).to_dict(), unit=UNIT, clips=len(clips) + len(duplicates),
                      clips_without_windows=len(listing_rejects), windows=windows, ranges=len(ranges))
    return launch.run_dataset(args, "video", args.src, ranges, listing_rejects, FrameRange,
                              functools.partial(range_units, s=settings), _path_of, parameters, options_,
                              num_shards, units=windows)


def _run_and_explain(argv: list[str] | None) -> dict[str, Any]:
    manifest = run(argv)
    p = manifest["parameters"]
    print(f"{p['clips']} clips: {p['windows']} windows of {p['frames']} frames every {p['stride']}, and "
          f"{p['clips_without_windows']} clip(s) without a window; inputs below count windows "
          f"(a clip without a window counts as one)", flush=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    return launch.main(_run_and_explain, argv)


if __name__ == "__main__":
    sys.exit(main())
