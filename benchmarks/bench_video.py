"""Throughput and memory of ``blurgen video`` against a bare decode + mean + PNG-encode loop.

    .venv/bin/python benchmarks/bench_video.py [--frames-total 448] [--size 1280x720] [--repeat 2]
        [--memory-lengths 100,400,1600] [--memory-size 640x360] [--interpolation-size 640x360]

Renders one clip (a pan over an upscaled sample photo with a pasted object moving across it),
encodes it with ``cv2.VideoWriter`` as MPEG-4 (``mp4v``), then measures on it, in this run:

* the floor: a plain loop that decodes every frame (OpenCV's FFmpeg, BGR to RGB), sums each window
  of ``--frames`` frames, rounds the mean, and PNG-encodes the mean and the middle frame;
* ``video`` on the DirectRunner with one worker, camera off (``--linear none --noise none``: the
  same work as the floor, plus Beam, Examples, cut detection and shards), and with the default
  camera (the mean in linear light, shot and read noise);
* peak RSS against clip length, each length in a fresh process: (a) one worker's work, all of a
  clip's windows streamed through one range and dropped as made; (b) the whole pipeline on the
  in-memory DirectRunner, which holds every output record until the shards are written;
* ``--interpolate``'s cost and gain on a clip whose answer is known: rendered at 4x the rate,
  decimated, interpolated back, compared with the mean of every rendered frame.

Prints frames per second for each, the ratio of ``video`` to the floor (aim: at least 0.7), and the
peak RSS per length. Wall-clock figures on a shared machine vary; each is the fastest of ``--repeat``.
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


def pipeline(path: str, out: str, length: int, camera: list[str]) -> float:
    from pipelines import video

    start = time.perf_counter()
    manifest = video.run(["--src", path, "--out", out, "--overwrite", "--frames", str(length), "--num-shards", "1",
                          "--runner=DirectRunner", "--direct_num_workers=1", *camera])
    elapsed = time.perf_counter() - start
    assert manifest["balanced"] and manifest["rejected"] == 0, manifest
    return elapsed


def child_memory(mode: str, path: str, out: str, length: int) -> None:
    """Run one memory measurement in this (fresh) process and print its peak RSS as JSON."""
    if mode == "worker":
        from pipelines.clips import VIDEO, Clip, plan_ranges
        from pipelines.frames import video_frame_count
        from pipelines.windows import VideoSettings, range_units

        count, fps = video_frame_count(path)
        (item,) = plan_ranges(Clip("c", path, VIDEO), count, fps, length, length, 10**9)  # one range: the whole clip
        made = sum(1 for _ in range_units(item, VideoSettings(frames=length, stride=length)).units)
    else:
        from pipelines import video

        made = video.run(["--src", path, "--out", out, "--frames", str(length), "--num-shards", "1",
                          "--runner=DirectRunner", "--direct_num_workers=1"])["written"]
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


def interpolation(size: tuple[int, int], length: int, rate: int = 4) -> None:
    """Render at ``rate`` x the clip's frame rate, keep every ``rate``-th frame, average a window
    with K frames interpolated back, and compare with the mean of all rendered frames."""
    from blurgen.config import CameraConfig
    from pipelines.average import Averager

    cam = CameraConfig(linear="none", noise="none")
    print(f"interpolation on a known clip ({size[0]}x{size[1]}, rendered at {rate}x the rate, decimated, "
          f"--frames {length}, camera off; PSNR of the blurred frame against the mean of all rendered frames):")
    for speed in (0.25, 2.0):
        fine = fine_frames((length - 1) * rate + 1, speed, *size)
        truth = np.rint(np.mean([f.astype(np.float64) for f in fine], axis=0)).astype(np.uint8)
        coarse = fine[::rate]
        for k, flow in ((0, "-"), (1, "dis"), (3, "dis"), (3, "farneback")):
            av = Averager(cam, k, flow if k else "dis")
            start = time.perf_counter()
            layers = [av.layers(f) for f in coarse] if k else None
            between = [av.in_between(coarse[i], coarse[i + 1], layers[i], layers[i + 1])
                       for i in range(length - 1)] if k else []
            blurred, _ = av.blur(coarse, layers, between, np.random.default_rng(0))
            ms = (time.perf_counter() - start) * 1000
            print(f"  motion {speed * rate:4.1f} px/frame (object {3 * speed * rate:4.1f}), K={k} {flow:<9} "
                  f"PSNR {psnr(blurred, truth):5.2f} dB   {ms:7.1f} ms per window")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames-total", type=int, default=448, help="frames in the throughput clip")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=7, help="frames per window (--frames of video)")
    parser.add_argument("--repeat", type=int, default=2, help="take the fastest of this many runs of each")
    parser.add_argument("--memory-lengths", default="100,400,1600", help="clip lengths for peak RSS ('' skips)")
    parser.add_argument("--memory-size", default="640x360")
    parser.add_argument("--interpolation-size", default="640x360",
                        help="frame size of the interpolation check ('' skips)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, out, length = args.child
        child_memory(mode, path, out, int(length))
        return
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = render_clip(os.path.join(tmp, "clip.mp4"), args.frames_total, width, height)
        n = args.frames_total
        print(f"clip: {n} frames of {width}x{height}, mp4v; windows of {args.frames} every {args.frames}; "
              f"{os.cpu_count()} cores; fastest of {args.repeat} runs each")
        floor(path, args.frames)  # warm caches and imports
        runs = {"floor": [], "off": [], "camera": []}
        for _ in range(args.repeat):  # interleaved, so that a burst of load elsewhere hits all three
            runs["floor"].append(floor(path, args.frames)[0])
            off = ["--linear", "none", "--noise", "none"]
            runs["off"].append(pipeline(path, os.path.join(tmp, "off"), args.frames, off))
            runs["camera"].append(pipeline(path, os.path.join(tmp, "cam"), args.frames, []))
        t_floor, t_off, t_cam = (min(runs[k]) for k in ("floor", "off", "camera"))
        for label, t in (("floor: decode, mean, PNG-encode mean and middle", t_floor),
                         ("video, camera off (--linear none --noise none)", t_off),
                         ("video, default camera (linear light, noise)", t_cam)):
            print(f"  {label:<52} {t:7.2f} s  {n / t:7.1f} frames/s")
        print(f"ratio of video (camera off) to the floor: {t_floor / t_off:.2f}  (aim: >= 0.7); "
              f"default camera: {t_floor / t_cam:.2f}")
        print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if args.interpolation_size:
            iw, ih = (int(v) for v in args.interpolation_size.split("x"))
            interpolation((iw, ih), args.frames)
        if args.memory_lengths:
            mw, mh = (int(v) for v in args.memory_size.split("x"))
            memory(tmp, [int(v) for v in args.memory_lengths.split(",")], (mw, mh), args.frames)


if __name__ == "__main__":
    main()
