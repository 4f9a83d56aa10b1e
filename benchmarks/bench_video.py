"""Throughput and memory of ``blurgen video`` against a bare decode + mean + PNG-encode loop, and
the cost and accuracy of interpolation at ordinary frame rates.

    .venv/bin/python benchmarks/bench_video.py [--frames-total 448] [--size 1280x720] [--repeat 2]
        [--memory-lengths 100,400,1600] [--memory-size 640x360] [--interpolation-size 640x360]
        [--cost-size 768x576] [--cost-frames 43]

Renders one clip (a pan over an upscaled sample photo with a pasted object moving across it),
encodes it with ``cv2.VideoWriter`` as MPEG-4 (``mp4v``), then measures on it, in this run:

* the floor: a plain loop that decodes every frame (OpenCV's FFmpeg, BGR to RGB), sums each window
  of ``--frames`` frames, rounds the mean, and PNG-encodes the mean and the middle frame;
* ``video`` on the DirectRunner with one worker, camera off (``--linear none --noise none``: the
  same work as the floor, plus Beam, Examples, cut detection and shards), and with the default
  camera (the mean of stored values, shot and read noise);
* peak RSS against clip length, each length in a fresh process: (a) one worker's work, all of a
  clip's windows streamed through one range and dropped as made; (b) the whole pipeline on the
  in-memory DirectRunner, which holds every output record until the shards are written;
* the cost of interpolation per window, as a ratio to plain averaging of the same windows (aim:
  at most 3), on 10 fps MPEG-4 clips of ``--cost-size`` (default 768x576, like OpenCV's
  ``vtest.avi``): people-sized patches walking at 2 to 7 px per frame over a still photo, and the
  same over a camera panning 4 px per frame (everything moves). Both runs are one worker's work
  (:func:`pipelines.footage.windows.range_units`: decode, flow, samples, camera, PNG), the default camera;
  plain is ``--interpolate 0 --max-motion off --max-mismatch off`` (the mean of the frames the
  exposure covers, no flow), interpolated is the default ``--interpolate auto``;
* the accuracy of ``--exposure`` with ``--interpolate auto`` on clips whose answer is known:
  rendered at 8x the rate, every 8th frame kept, compared with the mean of the rendered frames
  over the exposure (camera off).

Prints frames per second for each, the ratio of ``video`` to the floor (aim: at least 0.7), the
interpolation ratios and PSNRs, and the peak RSS per length (with interpolation on). Wall-clock
figures on a shared machine vary; each is the fastest of ``--repeat``, plain and interpolated runs
interleaved.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from blurgen.images import encode_png, read_image  # noqa: E402


def render_clip(path: str, count: int, width: int, height: int) -> str:
    """A pan (3 px right, 1 px down per frame) over a sample photo, with a small patch moving 9 px per frame."""
    sample = sorted(glob.glob(os.path.join(REPO, "samples", "*.png")))[0]
    photo = read_image(sample)
    scale = max((width + 3 * count) / photo.shape[1], (height + count) / photo.shape[0]) * 1.05
    big = cv2.resize(photo, (int(photo.shape[1] * scale), int(photo.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    thing = cv2.resize(photo, (width // 8, height // 8), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 240.0, (width, height))
    for i in range(count):
        frame = big[i:i + height, 3 * i:3 * i + width].copy()
        x = (9 * i) % (width - thing.shape[1])
        frame[height // 3:height // 3 + thing.shape[0], x:x + thing.shape[1]] = thing
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def floor(path: str, length: int) -> tuple[float, int]:
    """Seconds and windows of the bare loop: decode, sum each window, round the mean, PNG-encode mean and middle."""
    start = time.perf_counter()
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    windows, held, total = 0, [], None
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if total is None:
            total = np.zeros(frame.shape, np.float32)
        cv2.accumulate(frame, total)
        held.append(frame)
        if len(held) == length:
            mean = cv2.multiply(total, 1.0 / length, dtype=cv2.CV_8U)
            encode_png(mean)
            encode_png(held[length // 2])
            windows, held, total = windows + 1, [], None
    cap.release()
    return time.perf_counter() - start, windows


PLAIN = ["--interpolate", "0", "--max-motion", "off", "--max-mismatch", "off"]  # the mean of the frames, no flow


def pipeline(path: str, out: str, length: int, camera: list[str]) -> float:
    from pipelines import video

    start = time.perf_counter()
    manifest = video.run(["--src", path, "--out", out, "--overwrite", "--frames", str(length), "--num-shards", "1",
                          "--runner=DirectRunner", "--direct_num_workers=1", *PLAIN, *camera])
    elapsed = time.perf_counter() - start
    assert manifest["balanced"] and manifest["rejected"] == 0, manifest
    return elapsed


def child_memory(mode: str, path: str, out: str, length: int) -> None:
    """Run one memory measurement in this (fresh) process and print its peak RSS as JSON."""
    if mode == "worker":
        from pipelines.footage.clips import VIDEO, Clip, plan_ranges
        from pipelines.footage.frames import video_frame_count
        from pipelines.footage.windows import VideoSettings, range_units

        count, fps = video_frame_count(path)
        (item,) = plan_ranges(Clip("c", path, VIDEO), count, fps, length, length, 10**9)  # one range: the whole clip
        made = sum(1 for _ in range_units(item, VideoSettings(frames=length, stride=length)).units)  # auto
    else:
        from pipelines import video

        made = video.run(["--src", path, "--out", out, "--frames", str(length), "--num-shards", "1",
                          "--max-reject-fraction", "1", "--runner=DirectRunner", "--direct_num_workers=1"])["written"]
    print(json.dumps({"windows": made, "peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM). Not ``getrusage``: Linux carries its maximum
    over from the parent across fork and exec, so a child would report at least the parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024  # pragma: no cover - not Linux


def memory(tmp: str, lengths: list[int], size: tuple[int, int], length: int) -> None:
    print(f"peak RSS against clip length ({size[0]}x{size[1]} mp4v, --frames {length}), each in a fresh process:")
    for count in lengths:
        path = render_clip(os.path.join(tmp, f"mem{count}.mp4"), count, *size)
        row = []
        for mode in ("worker", "pipeline"):
            child = [sys.executable, __file__, "--child", mode, path, os.path.join(tmp, f"m{count}{mode}"), str(length)]
            proc = subprocess.run(child, capture_output=True, text=True, check=True)
            row.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"  {count:6d} frames: one worker streaming the clip {row[0]['peak_rss_mib']:7.1f} MiB; "
              f"whole pipeline (in-memory DirectRunner) {row[1]['peak_rss_mib']:7.1f} MiB ({row[1]['windows']} pairs)")


def walkers_clip(path: str, count: int, width: int, height: int, pan: float) -> str:
    """A 10 fps MPEG-4 clip: six people-sized patches (1/16 x 1/5 of the frame) walking at 2 to 7 px
    per frame, left or right, over a photo the camera pans across at ``pan`` px per frame."""
    photos = sorted(glob.glob(os.path.join(REPO, "samples", "*.png")))
    big = cv2.resize(read_image(photos[2]), (width + int(pan * count) + 8, height), interpolation=cv2.INTER_CUBIC)
    walker = cv2.resize(read_image(photos[0]), (width // 16, height // 5), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (width, height))
    for i in range(count):
        frame = cv2.warpAffine(big, np.float32([[1, 0, -pan * i], [0, 1, 0]]), (width, height), flags=cv2.INTER_LINEAR)
        for k, speed in enumerate((2, 3, 4, 5, 6, 7)):
            span = width - walker.shape[1]
            x = int((40 + 97 * k + speed * i * (1 if k % 2 else -1)) % span)
            y = height // 8 + k * height // 9
            frame[y:y + walker.shape[0], x:x + walker.shape[1]] = walker
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def worker_seconds(path: str, flags: dict) -> tuple[float, int, int, float]:
    """One worker's time for every window of a clip: seconds, windows, pairs written, mean samples."""
    from pipelines.footage.clips import VIDEO, Clip, plan_ranges
    from pipelines.footage.frames import video_frame_count
    from pipelines.footage.windows import VideoSettings, range_units

    s = VideoSettings(**flags)
    count, fps = video_frame_count(path)
    length, stride = s.layout(fps)
    (item,) = plan_ranges(Clip("c", path, VIDEO), count, fps, length, stride, 10**9)
    start = time.perf_counter()
    made = list(range_units(item, s).units)
    elapsed = time.perf_counter() - start
    pairs = [u.pairs[0][1] for u in made if u.pairs]
    return elapsed, len(made), len(pairs), float(np.mean([p.params["samples"] for p in pairs])) if pairs else 0.0


def interpolation_cost(tmp: str, size: tuple[int, int], count: int, repeat: int) -> None:
    from pipelines.footage.exposure import Exposure
    from pipelines.footage.ghosting import GhostSettings

    plain = GhostSettings(interpolate=0, max_motion=None, max_mismatch=None)
    windows = {"--frames 7": {"frames": 7}, "--exposure 1/10": {"frames": None, "exposure": Exposure.parse("1/10")},
               "--exposure 1/30": {"frames": None, "exposure": Exposure.parse("1/30")},
               "--exposure 1/60,1/15": {"frames": None, "exposure": Exposure.parse("1/60,1/15")}}
    print(f"interpolation cost per window, {size[0]}x{size[1]} at 10 fps, {count} frames, one worker, default camera "
          f"(fastest of {repeat}; ratio = interpolated / plain, aim <= 3):")
    for scene, pan in (("walkers, still camera", 0.0), ("walkers, camera panning 4 px/frame", 4.0)):
        path = walkers_clip(os.path.join(tmp, f"walkers{pan:g}.mp4"), count, *size, pan)
        for label, window in windows.items():
            runs: dict[str, list] = {"plain": [], "auto": []}
            for _ in range(repeat):
                runs["plain"].append(worker_seconds(path, {**window, "ghost": plain}))
                runs["auto"].append(worker_seconds(path, window))
            (tp, n, _, sp), (ta, _, wa, sa) = (min(runs[k]) for k in ("plain", "auto"))
            print(f"  {scene:<36} {label:<21} plain {1000 * tp / n:6.1f} ms ({sp:4.1f} samples)  "
                  f"auto {1000 * ta / n:6.1f} ms ({sa:5.1f} samples, {n - wa} of {n} ghosting)  ratio {ta / tp:4.2f}")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def fine_frames(count: int, speed: float, width: int, height: int) -> list[np.ndarray]:
    """A clip rendered at a high rate: a sub-pixel pan of ``speed`` px per frame (and 0.4 of it
    down) over a sample photo, with a patch moving three times as fast across it."""
    photo = read_image(sorted(glob.glob(os.path.join(REPO, "samples", "*.png")))[1])
    big = cv2.resize(photo, (width * 2, height * 2), interpolation=cv2.INTER_CUBIC)
    thing = cv2.resize(photo, (width // 6, height // 6), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(count):
        m = np.float32([[1, 0, -20 - speed * i], [0, 1, -20 - 0.4 * speed * i]])
        frame = cv2.warpAffine(big, m, (width, height), flags=cv2.INTER_LINEAR)
        mt = np.float32([[1, 0, 10 + 3 * speed * i], [0, 1, height / 3]])
        moved = cv2.warpAffine(thing, mt, (width, height), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(np.ones(thing.shape[:2], np.float32), mt, (width, height), flags=cv2.INTER_LINEAR)
        frame = (frame * (1 - mask[..., None]) + moved * mask[..., None]).round().astype(np.uint8)
        frames.append(frame)
    return frames


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))


def interpolation(size: tuple[int, int], rate: int = 8) -> None:
    """Render at ``rate`` x the clip's frame rate, keep every ``rate``-th frame, blur one exposure
    of one and of three frame intervals, and compare with the mean of the rendered frames over it."""
    from fractions import Fraction

    from blurgen.config import CameraConfig
    from pipelines.footage import motion
    from pipelines.footage.average import Averager
    from pipelines.footage.ghosting import GhostSettings, Ghosting, choose

    av = Averager(CameraConfig(linear="none", noise="none"))
    print(f"--exposure on a known clip ({size[0]}x{size[1]}, rendered at {rate}x the rate and decimated, camera off; "
          f"PSNR against the mean of the rendered frames over the exposure; border of 16 px left out):")
    inner = (slice(16, -16), slice(16, -16))
    for speed in (0.25, 1.0, 2.0):
        fine = fine_frames(4 * rate + 1, speed, *size)
        coarse = fine[::rate]
        greys = [motion.flow_grey(f) for f in coarse]
        pairs = {i: motion.measure(i, greys[i], greys[i + 1], size[::-1], "dis") for i in range(4)}
        for exposure in (1, 3):
            lo, hi = 2 * rate - exposure * rate // 2, 2 * rate + exposure * rate // 2  # trapezoid over [lo, hi]
            truth = (np.mean(fine[lo:hi], axis=0) + np.mean(fine[lo + 1:hi + 1], axis=0)) / 2
            row = f"  motion {speed * rate:4.1f} px/frame (patch {3 * speed * rate:4.1f}), exposure {exposure} interval(s):"
            span = (Fraction(2) - Fraction(exposure, 2), Fraction(2) + Fraction(exposure, 2))
            for name, ghost in (("plain", GhostSettings(0, max_motion=None, max_mismatch=None)), ("auto", GhostSettings())):
                try:
                    plan, _ = choose(0, 4, span, pairs.__getitem__, ghost, None, "bench")
                except Ghosting:
                    row += f"  {name}: ghosting"
                    continue
                start = time.perf_counter()
                blurred, _ = av.blur(plan, dict(enumerate(coarse)), lambda i: av.layers(coarse[i]), pairs,
                                     np.random.default_rng(0))
                ms = 1000 * (time.perf_counter() - start)
                row += f"  {name}: {psnr(blurred[inner], truth[inner]):5.2f} dB ({len(plan.samples)} samples, {ms:5.0f} ms)"
            print(row + f"  sharp frame {psnr(coarse[2][inner], truth[inner]):5.2f} dB")


def throughput(tmp: str, args: argparse.Namespace) -> None:
    """The floor against ``video`` with the camera off and with the default camera."""
    width, height = (int(v) for v in args.size.split("x"))
    path = render_clip(os.path.join(tmp, "clip.mp4"), args.frames_total, width, height)
    n = args.frames_total
    print(f"clip: {n} frames of {width}x{height}, mp4v; windows of {args.frames} every {args.frames}, plain means "
          f"(--interpolate 0 --max-motion off --max-mismatch off); {os.cpu_count()} cores; fastest of {args.repeat}")
    floor(path, args.frames)  # warm caches and imports
    runs: dict[str, list[float]] = {"floor": [], "off": [], "camera": []}
    for _ in range(args.repeat):  # interleaved, so that a burst of load elsewhere hits all three
        runs["floor"].append(floor(path, args.frames)[0])
        runs["off"].append(pipeline(path, os.path.join(tmp, "off"), args.frames, ["--linear", "none", "--noise", "none"]))
        runs["camera"].append(pipeline(path, os.path.join(tmp, "cam"), args.frames, []))
    t_floor, t_off, t_cam = (min(runs[k]) for k in ("floor", "off", "camera"))
    for label, t in (("floor: decode, mean, PNG-encode mean and middle", t_floor),
                     ("video, camera off (--linear none --noise none)", t_off),
                     ("video, default camera (stored values, noise)", t_cam)):
        print(f"  {label:<52} {t:7.2f} s  {n / t:7.1f} frames/s")
    print(f"ratio of video (camera off) to the floor: {t_floor / t_off:.2f}  (aim: >= 0.7); "
          f"default camera: {t_floor / t_cam:.2f}")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames-total", type=int, default=448, help="frames in the throughput clip (0 skips)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=7, help="frames per window (--frames of video)")
    parser.add_argument("--repeat", type=int, default=2, help="take the fastest of this many runs of each")
    parser.add_argument("--memory-lengths", default="100,400,1600", help="clip lengths for peak RSS ('' skips)")
    parser.add_argument("--memory-size", default="640x360")
    parser.add_argument("--interpolation-size", default="640x360",
                        help="frame size of the interpolation accuracy check ('' skips)")
    parser.add_argument("--cost-size", default="768x576", help="frame size of the interpolation cost check ('' skips)")
    parser.add_argument("--cost-frames", type=int, default=43, help="frames of the interpolation cost clips")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, out, length = args.child
        child_memory(mode, path, out, int(length))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.frames_total:
            throughput(tmp, args)
        if args.cost_size:
            cw, ch = (int(v) for v in args.cost_size.split("x"))
            interpolation_cost(tmp, (cw, ch), args.cost_frames, args.repeat)
        if args.interpolation_size:
            iw, ih = (int(v) for v in args.interpolation_size.split("x"))
            interpolation((iw, ih))
        if args.memory_lengths:
            mw, mh = (int(v) for v in args.memory_size.split("x"))
            memory(tmp, [int(v) for v in args.memory_lengths.split(",")], (mw, mh), args.frames)


if __name__ == "__main__":
    main()
