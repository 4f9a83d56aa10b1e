"""Throughput of ``blurgen synth`` on Beam's local runner against the bare per-image floor.

    .venv/bin/python benchmarks/bench_pipeline.py [--photos 16] [--workers 2]

Makes ``--photos`` 1280x720 JPEG photos from ``samples/`` (upscaled and cropped), then measures,
in this one run and on these cores:

* the floor: a plain Python loop that reads, decodes, ``blurgen.degrade``-s and PNG-encodes both
  images of each photo, writing nothing;
* ``synth`` (the whole pipeline: listing, the same work, encoding Examples, sharding, writing
  shards and metadata) on the DirectRunner in memory with one worker, and in
  ``multi_processing`` mode with ``--workers`` processes.

Prints pairs per second for each, the ratio of one worker to the floor, and the gain of
``--workers`` processes over one. Wall-clock times include the pipeline's start-up (about 0.6 s
in memory, about 4 s for multi-process workers). In multi-process mode every pair (about 2.7 MB
of PNG at 1280x720) crosses between processes through Beam's gRPC data plane on its way to the
shard writer, so two workers on two cores gain little or lose on small runs.
"""
from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time

import cv2
import numpy as np

from blurgen import degrade
from blurgen.images import decode_image, encode_jpeg, encode_png, read_image
from blurgen.seeding import example_rng

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W, H = 1280, 720


def make_photos(folder: str, count: int) -> list[str]:
    """``count`` distinct 1280x720 photos: each sample upscaled to cover 1280x720, cropped at a shifted box."""
    samples = sorted(glob.glob(os.path.join(REPO, "samples", "*.png")) + glob.glob(os.path.join(REPO, "samples", "*.jpg")))
    paths = []
    for i in range(count):
        img = read_image(samples[i % len(samples)])
        h, w = img.shape[:2]
        scale = max(W / w, H / h) * (1.0 + 0.1 * (i // len(samples)))
        big = cv2.resize(img, (int(np.ceil(w * scale)), int(np.ceil(h * scale))), interpolation=cv2.INTER_CUBIC)
        y = (big.shape[0] - H) * (i % 3) // 2
        x = (big.shape[1] - W) * (i % 2)
        path = os.path.join(folder, f"photo{i:03d}.jpg")
        with open(path, "wb") as f:
            f.write(encode_jpeg(big[y:y + H, x:x + W], 95))
        paths.append(path)
    return paths


def floor(paths: list[str], seed: int = 0) -> float:
    """Seconds for the bare per-image work in a plain loop."""
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as f:
            sharp = decode_image(f.read(), path)
        blurred, _ = degrade(sharp, example_rng(seed, os.path.basename(path), 0))
        encode_png(blurred)
        encode_png(sharp)
    return time.perf_counter() - start


def pipeline(src: str, out: str, beam_flags: list[str]) -> float:
    from pipelines import synth

    start = time.perf_counter()
    manifest = synth.run(["--src", src, "--out", out, "--overwrite", "--runner=DirectRunner", *beam_flags])
    elapsed = time.perf_counter() - start
    assert manifest["balanced"] and manifest["rejected"] == 0, manifest
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="take the fastest of this many runs of each")
    parser.add_argument("--num-shards", default="auto", help="passed to synth (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "photos")
        os.makedirs(src)
        paths = make_photos(src, args.photos)
        n = len(paths)
        print(f"{n} photos of {W}x{H} (JPEG q95), {os.cpu_count()} cores, --num-shards {args.num_shards}; "
              f"fastest of {args.repeat} wall-clock runs each")
        floor(paths[:2])  # warm caches and imports
        shards = [f"--num-shards={args.num_shards}"]
        runs = {"floor": [], "one": [], "many": []}
        for _ in range(args.repeat):  # interleaved, so that a burst of load elsewhere hits all three
            runs["floor"].append(floor(paths))
            runs["one"].append(pipeline(src, os.path.join(tmp, "one"), ["--direct_num_workers=1", *shards]))
            runs["many"].append(pipeline(src, os.path.join(tmp, "many"), [
                "--direct_running_mode=multi_processing", f"--direct_num_workers={args.workers}", *shards]))
        t_floor, t_one, t_many = (min(runs[k]) for k in ("floor", "one", "many"))
        rows = [("floor: plain loop (decode, degrade, PNG x2)", t_floor),
                ("synth, DirectRunner in memory, 1 worker", t_one),
                (f"synth, DirectRunner multi_processing, {args.workers} workers", t_many)]
        for label, t in rows:
            print(f"  {label:<58} {t:7.2f} s  {n / t:6.2f} pairs/s")
        print(f"ratio of 1-worker synth to the floor: {t_floor / t_one:.2f}  (aim: >= 0.7)")
        print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"(other processes on these cores slow the 2-worker run most)")
        print(f"gain of {args.workers} workers over 1: {t_one / t_many:.2f}x")


if __name__ == "__main__":
    main()
