"""Does a model trained with blurgen deblur photos it never saw? Prints a table and draws a curve.

    python benchmarks/bench_learning.py                    # make learn: everything, about 30 minutes on 2 cores
    python benchmarks/bench_learning.py --preset smoke     # another preset, same data and sets
    python benchmarks/bench_learning.py --fit-args "--seed 1"   # extra flags for training.fit
    python benchmarks/bench_learning.py --src photos/      # your own training photos instead
    python benchmarks/bench_learning.py --photo-subset 2/2 --fit-args "--seed 3" --name cpu-b-s3   # half the photos

Steps (each skipped when its output is already in ``--work``; ``--fresh`` starts over):

1. Photos: 40 photographs from Debian's desktop-background packages (``learning_photos.py``),
   none of them blurgen's samples nor in ``../shared``; 32 for training, 8 held out.
2. Training data: ``blurgen synth`` with the project's default degradation, 8 blurred versions
   of each training photo, 4 aligned 256 px patches of each, a tenth of the photos (by the
   pipeline's stable hash) in a validation split.
3. The test sets of :mod:`realsets`, never trained on: held-out photos with blurgen's default
   blur, Levin et al.'s and Koehler et al.'s real blur, and held-out photos with Lai et al.'s
   large recorded kernels.
4. ``python -m training.fit --preset cpu`` (or ``--preset``) on the training data, timed.
5. ``python -m training.score`` of the model and of the blurry input on each set.
6. The table, and ``learning-curve.png``: PSNR of the fixed validation crops against the step,
   beside the blurry input's PSNR on the same crops.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import shutil
import sys
import time

import realsets  # sets up sys.path


def curve(run_dir: pathlib.Path, out: pathlib.Path, title: str) -> list[dict]:
    """The learning curve from the run's metrics.csv (validation PSNR and the blurry input's),
    drawn to ``out``; returns the rows."""
    rows = realsets.metrics_rows(run_dir)
    series = [(label, [r["step"] for r in rows if key in r], [r[key] for r in rows if key in r])
              for key, label in (("val_psnr", "restored"), ("val_identity_psnr", "blurred input"))]
    realsets.line_chart(series, title, out)
    return rows


def table(sets: dict[str, dict]) -> str:
    lines = ["| set | images | blurry PSNR / SSIM | restored PSNR / SSIM | gain (dB) | images that gain "
             "| aligned gain (dB), images | own brightness shift (mean, largest) |", "|---|---|---|---|---|---|---|---|"]
    for name, v in sets.items():
        aligned = (f"{v['aligned_psnr_gain']:+.2f}, {v['aligned_gaining']} of {v['count']}"
                   if "aligned_psnr_gain" in v else "")
        lines.append(f"| {name}: {realsets.SETS[name]} | {v['count']} | {v['blurry_psnr']:.2f} / {v['blurry_ssim']:.3f} "
                     f"| {v['restored_psnr']:.2f} / {v['restored_ssim']:.3f} | **{v['psnr_gain']:+.2f}** "
                     f"| {v['gaining']} of {v['count']} (median {v['median_gain']:+.2f}) | {aligned} "
                     f"| {v['shift']:+.2f}, {v['shift_abs_max']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="learn-out", help="working folder (default: %(default)s)")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--name", default=None, help="run name (default: the preset's)")
    p.add_argument("--fit-args", default="", help="more flags for python -m training.fit")
    p.add_argument("--synth-args", default="", help="more flags for the training data's blurgen synth")
    p.add_argument("--src", type=pathlib.Path, default=None,
                   help="train on the photos in this folder instead of the benchmark's own")
    p.add_argument("--photo-subset", default=None, metavar="K/N",
                   help="train on the K-th of N disjoint shares of the training photos (every N-th by name)")
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
    src = args.src
    if args.photo_subset:
        src = realsets.photo_subset(args.src or realsets.photos(work)[0], args.photo_subset, work)
    data = realsets.training_data(work, shlex.split(args.synth_args), 8, log, src)
    sets = realsets.test_sets(work, log)
    print(f"data ready in {time.monotonic() - t0:.0f} s ({log})", flush=True)
    minutes = realsets.fit(run_dir, args.preset, data, shlex.split(args.fit_args), log)

    print(f"\n{name}: trained {minutes:.1f} min (python -m training.fit --preset {args.preset} {args.fit_args})")
    results = {s: realsets.score_set(str(run_dir), s, g, log) for s, g in sets.items()}
    print(table(results))
    missing = [s for s in realsets.SETS if s not in results]
    if missing:
        print(f"(skipped: {', '.join(missing)}; {realsets.REAL} is absent)")
    rows = curve(run_dir, run_dir / "learning-curve.png", f"{name}: PSNR of the validation crops")
    if rows:
        print("\nvalidation crops, PSNR against step: "
              + ", ".join(f"{int(r['step'])}: {r.get('val_psnr', float('nan')):.2f}" for r in rows)
              + f" (the blurred crops: {rows[-1].get('val_identity_psnr', float('nan')):.2f})")
    summary = json.loads((run_dir / "fit-summary.json").read_text())
    if summary.get("best"):
        print(f"exported: the best generator, step {summary['best']['step']} "
              f"({summary['best']['val_psnr']:.2f} dB on the validation crops)")
    (run_dir / "bench-learning.json").write_text(json.dumps({"minutes": minutes, "sets": results}, indent=2))
    print(f"\ncurve: {run_dir / 'learning-curve.png'}; reports: {run_dir}/score-*.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
