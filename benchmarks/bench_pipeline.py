"""Throughput, memory and listing cost of ``blurgen synth`` on Beam's local runner.

    .venv/bin/python benchmarks/bench_pipeline.py [--photos 16] [--workers 2]
    .venv/bin/python benchmarks/bench_pipeline.py --memory [--memory-photos 30,120]
    .venv/bin/python benchmarks/bench_pipeline.py --listing 100000
    .venv/bin/python benchmarks/bench_pipeline.py --runners --photos 16

Makes ``--photos`` 1280x720 JPEG photos from ``samples/`` (upscaled and cropped), then measures,
in this one run and on these cores:

* the floor: a plain Python loop that reads, decodes, ``blurgen.degrade``-s and PNG-encodes both
  images of each photo, writing nothing;
* ``synth`` (the whole pipeline: listing, the same work, encoding Examples, sharding, writing
  shards and metadata) on the DirectRunner in memory with one worker, and in
  ``multi_processing`` mode with ``--workers`` processes.

Prints pairs per second for each, the ratio of one worker to the floor, and the gain of
``--workers`` processes over one. Wall-clock times include the pipeline's start-up (about 0.6 s
in memory, about 4 s for multi-process workers). Records are spooled to files by the worker that
makes them, so only small index entries cross between processes.

``--memory`` runs ``blurgen synth`` (the default local runner, 1280x720 photos, 2 variants,
4 shards) in a fresh process per size and prints its peak resident memory (``ru_maxrss`` of that
process) against the number of photos: the goal is a flat line (the largest within 256 MiB of
the smallest). ``--listing N`` times the launcher's listing of N empty ``.png`` files in a local
folder tree (what ``--src DIR`` costs before the pipeline starts). ``--runners`` makes one dataset
on each runner that can run here (Beam's Python job service is started by the script; Flink and
Spark when ``make engines`` fetched their job servers) and checks the shards are identical.
"""
from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
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
    if not any(f.startswith("--runner") for f in beam_flags):
        beam_flags = ["--runner=DirectRunner", *beam_flags]
    manifest = synth.run(["--src", src, "--out", out, "--overwrite", *beam_flags])
    elapsed = time.perf_counter() - start
    assert manifest["balanced"] and manifest["rejected"] == 0, manifest
    return elapsed


def peak_rss_run(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` in a fresh process; return (its peak resident memory in MiB, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024, elapsed  # ru_maxrss is in KiB on Linux


def memory(sizes: list[int], variants: int, shards: int) -> None:
    """Peak RSS of ``synth`` against the number of photos (one fresh process per size)."""
    print(f"blurgen synth, default local runner, {W}x{H} photos, --variants {variants}, --num-shards {shards}; "
          f"peak RSS of the process (ru_maxrss)")
    print(f"  {'photos':>6} {'pairs':>6} {'shards MiB':>10} {'peak RSS MiB':>12} {'wall s':>7}")
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = os.path.join(tmp, f"photos{n}")
            os.makedirs(src)
            make_photos(src, n)
            out = os.path.join(tmp, f"out{n}")
            cmd = [sys.executable, "-m", "pipelines.synth", "--src", src, "--out", out,
                   "--variants", str(variants), "--num-shards", str(shards)]
            peak, wall = peak_rss_run(cmd)
            size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "*.tfrecord-*"))) / 2**20
            print(f"  {n:>6} {n * variants:>6} {size:>10.1f} {peak:>12.1f} {wall:>7.1f}", flush=True)
            peaks.append(peak)
    print(f"growth from {sizes[0]} to {sizes[-1]} photos: {peaks[-1] - peaks[0]:+.1f} MiB (goal: within 256 MiB)")


def listing(count: int) -> None:
    """Seconds the launcher takes to list ``count`` local files under one ``--src`` folder."""
    from pipelines.sources import inputs

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            folder = os.path.join(tmp, f"d{i // 1000:04d}")
            if i % 1000 == 0:
                os.makedirs(folder)
            open(os.path.join(folder, f"f{i:07d}.png"), "wb").close()
        start = time.perf_counter()
        found, rejects = inputs.merge_sources([tmp])
        elapsed = time.perf_counter() - start
    assert len(found) == count and not rejects
    print(f"listing {count} local files (1000 per folder) with --src DIR: {elapsed:.2f} s, "
          f"{1e6 * elapsed / count:.1f} us per file; at that rate 1,000,000 files take {elapsed * 1e6 / count:.0f} s")


def _job_service() -> tuple[subprocess.Popen, int]:
    """Beam's Python job service on a free local port (the caller stops it)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        with socket.socket() as sock:
            if sock.connect_ex(("localhost", port)) == 0:
                return proc, port
        time.sleep(0.1)
    raise RuntimeError("the job service did not start")


def runners(count: int) -> None:
    """Wall time of one dataset per runner, and whether its shards equal the DirectRunner's."""
    from pipelines.runners import engines

    service, port = _job_service()
    configs = [("DirectRunner, in memory", ["--runner=DirectRunner"]),
               ("DirectRunner, multi_processing, 2 workers",
                ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"]),
               ("PortableRunner, Python job service, LOOPBACK",
                ["--runner=PortableRunner", f"--job_endpoint=localhost:{port}", "--environment_type=LOOPBACK"])]
    for kind in ("Flink", "Spark"):
        why = engines.missing_reason(kind.lower())
        if why is None:
            configs.append((f"{kind}Runner, embedded, LOOPBACK", [f"--runner={kind}Runner", "--environment_type=LOOPBACK"]))
        else:
            print(f"  {kind}Runner: not run ({why}; benchmarks/bench_engines.py runs clusters)")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "photos")
            os.makedirs(src)
            make_photos(src, count)
            print(f"{count} photos of {W}x{H}, --variants 2 --num-shards 2; wall time of `blurgen synth` in this process")
            first = None
            for label, flags in configs:
                out = os.path.join(tmp, label.split(",")[0] + str(len(flags)))
                elapsed = pipeline(src, out, ["--variants=2", "--num-shards=2", *flags])
                shards = {p: open(p, "rb").read() for p in sorted(glob.glob(os.path.join(out, "*.tfrecord-*")))}
                shards = {os.path.basename(p): b for p, b in shards.items()}
                first = first or shards
                print(f"  {label:<48} {elapsed:6.1f} s  shards identical to the first: {shards == first}", flush=True)
    finally:
        service.terminate()
        service.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="take the fastest of this many runs of each")
    parser.add_argument("--num-shards", default="auto", help="passed to synth (default: %(default)s)")
    parser.add_argument("--memory", action="store_true", help="measure peak memory against the number of photos")
    parser.add_argument("--memory-photos", default="30,120", help="photo counts for --memory (default: %(default)s)")
    parser.add_argument("--listing", type=int, default=0, help="time listing this many local files")
    parser.add_argument("--runners", action="store_true", help="time one dataset of --photos on each runner")
    args = parser.parse_args()
    if args.runners:
        runners(args.photos)
        return
    if args.memory:
        memory([int(n) for n in args.memory_photos.split(",")], variants=2, shards=4)
        return
    if args.listing:
        listing(args.listing)
        return
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
