"""Does a model trained with blurgen deblur photos it never saw? Prints a table and draws a curve.

    python benchmarks/bench_learning.py                    # make learn: everything, about 30 minutes on 2 cores
    python benchmarks/bench_learning.py --preset smoke     # another preset, same data and sets
    python benchmarks/bench_learning.py --fit-args "--epochs 10"   # extra flags for training.fit

Steps (each skipped when its output is already in ``--work``; ``--fresh`` starts over):

1. Photos: 40 photographs from Debian's desktop-background packages (``learning_photos.py``),
   none of them blurgen's samples nor in ``../shared``; 32 for training, 8 held out.
2. Training data: ``blurgen synth`` with the project's default degradation, 8 blurred versions
   of each training photo, 4 aligned 256 px patches of each, a tenth of the photos (by the
   pipeline's stable hash) in a validation split for the learning curve.
3. Test sets, never trained on: (a) the 8 held-out photos blurred with DeblurGAN's own kernels
   (60 px paths, exposures 1/10, 1/2, 1), 3 versions each, whole images; (b) Levin et al.'s 32
   blurred images with their sharp originals; (c) Koehler et al.'s 16 real camera-shake photos
   with the sharp frame of each scene (both from ``../shared/data/real-blur``; skipped without it).
4. ``python -m training.fit --preset cpu`` (or ``--preset``) on the training data, timed.
5. ``python -m training.score`` of the model and of the blurry input on each set (PSNR, SSIM).
6. The table, and ``learning-curve.png``: PSNR of the fixed validation crops against the step,
   beside the blurry input's PSNR on the same crops.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cv2  # noqa: E402

import learning_photos  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real-blur"
DEBLURGAN_KERNELS = ["--max-length", "60", "--canvas", "64", "--exposures", "0.1,0.5,1"]
SETS = {"a": "held-out photos, DeblurGAN's kernels", "b": "Levin et al. (recorded shake)",
        "c": "Koehler et al. (real shake)"}


def run(cmd: list[str], log: pathlib.Path) -> None:
    """Run a command, its output to ``log``; stop with its last lines if it fails."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        f.flush()
        code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT).returncode
    if code:
        tail = "".join(open(log).readlines()[-15:])
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{tail}")


def blurgen_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "blurgen.cli", *args]


def pair_folders(dest: pathlib.Path, pairs: list[tuple[pathlib.Path, pathlib.Path, str]]) -> None:
    """``dest/blurred/NAME`` and ``dest/sharp/NAME`` (copies) for ``pairs`` of (blurred, sharp, NAME)."""
    for side in ("blurred", "sharp"):
        (dest / side).mkdir(parents=True, exist_ok=True)
    for blurred, sharp, name in pairs:
        shutil.copyfile(blurred, dest / "blurred" / name)
        shutil.copyfile(sharp, dest / "sharp" / name)


def real_sets(work: pathlib.Path) -> dict[str, pathlib.Path]:
    """Folders of Levin's and Koehler's pairs, laid out for ``blurgen pairs --layout folders``."""
    if not REAL.is_dir():
        return {}
    out = {}
    levin = work / "real" / "levin"
    if not levin.exists():
        pair_folders(levin, [(p, REAL / "levin" / (p.name.split("_ker")[0] + ".png"), p.name)
                             for p in sorted((REAL / "levin" / "blurred").glob("im_*_ker_*.png"))])
    out["b"] = levin
    koehler = work / "real" / "koehler"
    if not koehler.exists():
        pair_folders(koehler, [(p, REAL / "koehler" / f"GroundTruth{p.stem[6]}.jpg", p.name)
                               for p in sorted((REAL / "koehler").glob("Blurry*_*.jpg"))])
    out["c"] = koehler
    return out


def build_data(work: pathlib.Path, log: pathlib.Path) -> dict[str, str]:
    """Shards for training and for each test set; returns the globs by name."""
    train_photos, held = learning_photos.prepare(work / "photos")
    globs = {"train": str(work / "data" / "train" / "*-train.tfrecord-*"),
             "val": str(work / "data" / "train" / "*-test.tfrecord-*"),
             "a": str(work / "data" / "a" / "*.tfrecord-*")}
    if not (work / "data" / "train" / "manifest.json").exists():
        run(blurgen_cmd("synth", "--src", str(train_photos), "--out", str(work / "data" / "train"), "--variants", "8",
                        "--patch", "256", "--patches-per-image", "4", "--test-fraction", "0.1", "--seed", "1",
                        "--overwrite"), log)
    if not (work / "data" / "a" / "manifest.json").exists():
        run(blurgen_cmd("synth", "--src", str(held), "--out", str(work / "data" / "a"), "--variants", "3",
                        "--test-fraction", "1", "--seed", "2", "--overwrite", *DEBLURGAN_KERNELS), log)
    for name, folder in real_sets(work).items():
        out = work / "data" / name
        if not (out / "manifest.json").exists():
            run(blurgen_cmd("pairs", "--layout", "folders", "--blurred", str(folder / "blurred"), "--sharp",
                            str(folder / "sharp"), "--out", str(out), "--overwrite"), log)
        globs[name] = str(out / "*.tfrecord-*")
    return globs


def score(model: str, data: str, out: pathlib.Path, log: pathlib.Path) -> dict:
    if not out.exists():
        run([sys.executable, "-m", "training.score", "--model", model, "--data", data, "--out", str(out),
             "--metrics", "psnr,ssim"], log)
    return json.loads(out.read_text())["mean"]


def curve(run_dir: pathlib.Path, out: pathlib.Path, title: str) -> list[dict]:
    """The learning curve from the run's metrics.csv: validation PSNR and the blurry input's."""
    from training import curves  # TensorFlow is imported here only for tf.io.gfile
    rows = curves.read_rows(str(run_dir / curves.METRICS_CSV))
    series = [(label, [r["step"] for r in rows if key in r], [r[key] for r in rows if key in r])
              for key, label in (("val_psnr", "restored"), ("val_identity_psnr", "blurred input"))]
    image = curves.line_chart(series, title, ylabel="dB", size=(900, 480))
    cv2.imwrite(str(out), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="learn-out", help="working folder (default: %(default)s)")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--name", default=None, help="run name (default: the preset's)")
    p.add_argument("--fit-args", default="", help="more flags for python -m training.fit")
    p.add_argument("--fresh", action="store_true", help="delete this run's folder first")
    args = p.parse_args(argv)
    work = pathlib.Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench_learning.log"
    name = args.name or args.preset
    run_dir = work / "runs" / name
    if args.fresh:
        shutil.rmtree(run_dir, ignore_errors=True)
    t0 = time.monotonic()
    globs = build_data(work, log)
    print(f"data ready in {time.monotonic() - t0:.0f} s ({log})", flush=True)

    timing = run_dir / "fit-seconds.txt"
    if not (run_dir / "generator.keras").exists():
        t = time.monotonic()
        run([sys.executable, "-m", "training.fit", "--preset", args.preset, "--train", globs["train"],
             "--val", globs["val"], "--out", str(run_dir), "--verbose", "0", *shlex.split(args.fit_args)], log)
        timing.write_text(f"{time.monotonic() - t:.1f}\n")
    minutes = float(timing.read_text()) / 60 if timing.exists() else float("nan")

    print(f"\n{name}: trained {minutes:.1f} min (python -m training.fit --preset {args.preset} {args.fit_args})")
    print("| set | images | blurry PSNR / SSIM | restored PSNR / SSIM | gain (dB) |")
    print("|---|---|---|---|---|")
    results = {}
    for key, title in SETS.items():
        if key not in globs:
            print(f"| ({key}) {title} | skipped: {REAL} is absent | | | |")
            continue
        mean = score(str(run_dir), globs[key], run_dir / f"score-{key}.json", log)
        count = json.loads((run_dir / f"score-{key}.json").read_text())["count"]
        b, r = mean["blurry"], mean["restored"]
        results[key] = {"count": count, "blurry": b, "restored": r}
        print(f"| ({key}) {title} | {count} | {b['psnr']:.2f} / {b['ssim']:.3f} | {r['psnr']:.2f} / {r['ssim']:.3f} "
              f"| {r['psnr'] - b['psnr']:+.2f} |")
    rows = curve(run_dir, run_dir / "learning-curve.png", f"{name}: PSNR of the validation crops")
    if rows:
        val = [r.get("val_psnr", float("nan")) for r in rows]
        print("\nvalidation crops, PSNR against step: "
              + ", ".join(f"{int(r['step'])}: {v:.2f}" for r, v in zip(rows, val))
              + f" (the blurred crops: {rows[-1].get('val_identity_psnr', float('nan')):.2f})")
    (run_dir / "bench-learning.json").write_text(json.dumps({"minutes": minutes, "sets": results}, indent=2))
    print(f"\ncurve: {run_dir / 'learning-curve.png'}; reports: {run_dir}/score-*.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
