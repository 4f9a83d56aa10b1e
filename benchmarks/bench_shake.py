"""Speed and memory of rotation shake and of the RAW sensor pipeline, as ratios in one run.

    .venv/bin/python benchmarks/bench_shake.py                   # blur and camera ratios (a minute or two)
    .venv/bin/python benchmarks/bench_shake.py --synth --photos 12 --repeat 2
    .venv/bin/python benchmarks/bench_shake.py --memory --memory-photos 20,60
    .venv/bin/python benchmarks/bench_shake.py --accuracy --draws 3

All on 1280x720 RGB float32 (photos made from ``samples/`` as ``bench_pipeline.py`` makes them):

* **rotation blur vs a uniform kernel of the same extent**: ``Shake.render`` of a pure yaw that
  sweeps the centre ``L`` px (straight, at constant speed) against ``blurgen.camera.blur.convolve``
  with a horizontal line kernel ``L`` px long, for several ``L``; then the default hand-shake
  draws, each against a line kernel as long as its centre blur. Timed alternately
  (``_timing.paired_ratio``), so that load elsewhere hits both sides. The render takes one OpenCV
  warp per instant, and the instants are as many as keep every pixel within ``step`` px (1 by
  default) of where it was one instant before, so its cost grows with the path's length at its
  fastest pixel.
* ``--accuracy``: what the step costs in fidelity: default hand-shake draws on 3 photos rendered at
  steps of 1 px (the default) and 0.5 px, each against a render at 0.1 px (PSNR, instants).
* **RAW pipeline vs today's camera model**: ``degrade`` with ``--isp raw`` against ``--isp rgb``
  (same given 15x15 kernel, noise on), and the camera steps alone (``expose_raw`` vs ``expose``).
* ``--synth``: ``blurgen synth`` pairs per second on one in-memory worker, default recipe vs
  ``--mix rotation=1``, ``--isp raw`` and both (fastest of ``--repeat`` interleaved runs).
* ``--memory``: peak resident memory of ``blurgen synth --mix trajectory=1,rotation=1 --isp raw``
  in a fresh process per photo count (the goal: flat).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from _timing import paired_ratio  # noqa: E402
from bench_pipeline import H, W, make_photos, peak_rss_run, pipeline  # noqa: E402
from blurgen.camera.blur import convolve  # noqa: E402
from blurgen.camera import to_linear  # noqa: E402
from blurgen.config import CameraConfig, DegradeConfig, IspConfig, RotationConfig  # noqa: E402
from blurgen.degradation import degrade_with_params, expose  # noqa: E402
from blurgen.images import read_image  # noqa: E402
from blurgen.camera.isp import expose_raw  # noqa: E402
from blurgen.kernels import linear_kernel  # noqa: E402
from blurgen.pictures.preview import support_size  # noqa: E402
from blurgen.kernels.rotation import Shake  # noqa: E402
from blurgen.kernels.shake import draw_shake  # noqa: E402


def _line(length: float) -> np.ndarray:
    size = 2 * math.ceil(length / 2) + 3
    return linear_kernel(length, 0.0, size + (size % 2 == 0))


def blur_ratios(x: np.ndarray, repeats: int, draws: int) -> None:
    focal = W * 35 / 36  # a 35 mm-equivalent lens on the 1280 px side
    print(f"rotation blur of a {W}x{H} RGB float32 image vs convolve with a line kernel of the same extent "
          f"(medians of {repeats} alternated rounds)")
    print("| motion | extent (px) | instants | render ms | convolve ms | ratio |")
    print("|---|---|---|---|---|---|")
    for length in (8, 16, 32, 64):
        traj = np.zeros((2, 3))
        traj[1, 1] = math.atan(length / focal)
        shake = Shake(traj, focal, H, W)
        t_r, t_c, ratio = paired_ratio(lambda: shake.render(x), lambda: convolve(x, _line(length)), repeats)
        print(f"| yaw sweep at constant speed | {length} | {len(shake.homographies())} | {t_r * 1e3:.0f} | "
              f"{t_c * 1e3:.0f} | {ratio:.2f} |", flush=True)
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(draws):
        shake, _ = draw_shake(rng, RotationConfig(), H, W)
        k, _, _ = shake.local_kernels(3)
        extent = max(support_size(k[1, 1]))
        t_r, t_c, ratio = paired_ratio(lambda: shake.render(x), lambda: convolve(x, _line(extent)), 3)
        rows.append((extent, len(shake.homographies()), t_r, t_c, ratio))
    rows.sort(key=lambda r: r[4])
    med = rows[len(rows) // 2]
    print(f"| default hand shake, the median of {draws} draws (by ratio) | {med[0]} | {med[1]} | {med[2] * 1e3:.0f} "
          f"| {med[3] * 1e3:.0f} | {med[4]:.2f} |")
    print(f"  all {draws} draws: extents {sorted(r[0] for r in rows)}, instants {sorted(r[1] for r in rows)}, "
          f"ratios {[round(r[4], 1) for r in rows]}")
    per = np.median([r[2] / r[1] for r in rows]) * 1e3
    print(f"  render time per instant: {per:.2f} ms (median over the draws)\n")


def camera_ratios(photo: np.ndarray, repeats: int) -> None:
    kernel = _line(15)
    rgb, raw = DegradeConfig(), DegradeConfig(isp=IspConfig(mode="raw"))
    t_raw, t_rgb, ratio = paired_ratio(lambda: degrade_with_params(photo, np.random.default_rng(0), raw, kernel),
                                       lambda: degrade_with_params(photo, np.random.default_rng(0), rgb, kernel),
                                       repeats)
    print(f"RAW pipeline vs the RGB camera model on a {W}x{H} photo (medians of {repeats} alternated rounds)")
    print("| what | raw ms | rgb ms | ratio |")
    print("|---|---|---|---|")
    print(f"| degrade, 15 px line kernel, noise on | {t_raw * 1e3:.0f} | {t_rgb * 1e3:.0f} | {ratio:.2f} |")
    x = convolve(to_linear(photo, "srgb"), kernel)
    cam, isp = CameraConfig(), IspConfig(mode="raw")
    t_raw, t_rgb, ratio = paired_ratio(lambda: expose_raw(x, np.random.default_rng(0), cam, isp),
                                       lambda: expose(x, np.random.default_rng(0), cam), repeats)
    print(f"| camera steps alone (after the blur) | {t_raw * 1e3:.0f} | {t_rgb * 1e3:.0f} | {ratio:.2f} |\n")


def synth_rates(count: int, repeat: int) -> None:
    recipes = {"default recipe": [], "--mix rotation=1": ["--mix", "rotation=1"], "--isp raw": ["--isp", "raw"],
               "--mix rotation=1 --isp raw": ["--mix", "rotation=1", "--isp", "raw"]}
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "photos")
        os.makedirs(src)
        make_photos(src, count)
        times = {name: [] for name in recipes}
        for _ in range(repeat):
            for name, flags in recipes.items():
                times[name].append(pipeline(src, os.path.join(tmp, "out"), ["--direct_num_workers=1", *flags]))
    print(f"blurgen synth, {count} photos of {W}x{H}, 1 variant, DirectRunner in memory, 1 worker "
          f"(fastest of {repeat} interleaved runs)")
    print("| recipe | time s | pairs/s | of the default |")
    print("|---|---|---|---|")
    base = min(times["default recipe"])
    for name, t in times.items():
        print(f"| {name} | {min(t):.2f} | {count / min(t):.2f} | {base / min(t):.2f} |")
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")


def memory(sizes: list[int]) -> None:
    print(f"peak RSS of blurgen synth --mix trajectory=1,rotation=1 --isp raw, {W}x{H} photos, --variants 2, "
          "--num-shards 4, one fresh process per row")
    print("| photos | pairs | peak RSS MiB | wall s |")
    print("|---|---|---|---|")
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = os.path.join(tmp, f"photos{n}")
            os.makedirs(src)
            make_photos(src, n)
            cmd = [sys.executable, "-m", "pipelines.synth", "--src", src, "--out", os.path.join(tmp, f"out{n}"),
                   "--variants", "2", "--num-shards", "4", "--mix", "trajectory=1,rotation=1", "--isp", "raw"]
            peak, wall = peak_rss_run(cmd)
            peaks.append(peak)
            print(f"| {n} | {2 * n} | {peak:.1f} | {wall:.1f} |", flush=True)
    print(f"growth from {sizes[0]} to {sizes[-1]} photos: {peaks[-1] - peaks[0]:+.1f} MiB")


def accuracy(draws: int) -> None:
    """PSNR of renders at the default step (1 px) and at 0.5 px against renders at 0.1 px."""
    steps, reference = (1.0, 0.5), 0.1
    with tempfile.TemporaryDirectory() as tmp:
        photos = [read_image(p).astype(np.float32) / 255 for p in make_photos(tmp, 3)]
    print(f"default hand shake on {W}x{H} photos, {draws} draws each: PSNR (dB) against a render at {reference} px "
          "steps, and the instants rendered")
    print("| photo | draw | " + " | ".join(f"step {s} px: dB, instants" for s in steps) + " |")
    print("|---|---|" + "---|" * len(steps))
    found: dict[float, list[float]] = {s: [] for s in steps}
    for i, photo in enumerate(photos):
        for d in range(draws):
            shake, _ = draw_shake(np.random.default_rng([i, d]), RotationConfig(), H, W)
            ref = Shake(shake.trajectory, shake.focal, H, W, shake.depth, reference).render(photo)
            cells = []
            for s in steps:
                at = Shake(shake.trajectory, shake.focal, H, W, shake.depth, s)
                psnr = 10 * math.log10(1 / float(np.mean((at.render(photo) - ref) ** 2)))
                found[s].append(psnr)
                cells.append(f"{psnr:.1f}, {len(at.weights())}")
            print(f"| {i} | {d} | " + " | ".join(cells) + " |", flush=True)
    for s in steps:
        print(f"step {s} px: median {np.median(found[s]):.1f} dB, least {min(found[s]):.1f} dB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="alternated rounds per ratio (default: %(default)s)")
    p.add_argument("--draws", type=int, default=9, help="default hand-shake draws timed (default: %(default)s)")
    p.add_argument("--synth", action="store_true", help="pairs per second of synth per recipe")
    p.add_argument("--photos", type=int, default=12)
    p.add_argument("--memory", action="store_true", help="peak memory of synth against the number of photos")
    p.add_argument("--memory-photos", default="20,60")
    p.add_argument("--accuracy", action="store_true", help="fidelity of the default step against a finer one")
    args = p.parse_args()
    print(f"{os.cpu_count()} cores; load average at the start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    if args.synth:
        synth_rates(args.photos, args.repeat)
        return
    if args.memory:
        memory([int(n) for n in args.memory_photos.split(",")])
        return
    if args.accuracy:
        accuracy(args.draws)
        return
    with tempfile.TemporaryDirectory() as tmp:
        photo = read_image(make_photos(tmp, 1)[0])
    blur_ratios(to_linear(photo, "srgb"), args.repeat, args.draws)
    camera_ratios(photo, args.repeat)
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
