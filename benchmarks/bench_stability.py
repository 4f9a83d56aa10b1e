"""Does a preset train without collapse across photos, seeds and numerics? Prints a table, draws the curves.

    python benchmarks/bench_stability.py --preset cpu                 # 2 photo sets x 3 seeds (hours on 2 cores)
    python benchmarks/bench_stability.py --preset smoke --seeds 0,1,2,3
    python benchmarks/bench_stability.py --preset cpu --runs A:0:on,B:1:off   # chosen runs only

Each run trains the preset on blurgen's default data made from one share of the benchmark's training
photos (``A``: every second photo by name starting with the first, ``B``: the others; disjoint),
with one ``--seed``, and with TensorFlow's oneDNN kernels on or off (``TF_ENABLE_ONEDNN_OPTS``):
oneDNN changes the order of floating-point sums, as another CPU does, so a preset that trains only
by luck of rounding shows it here. The table gives, per run, how it ended (finished, or stopped by
``fit``'s collapse check, with the reason), the best and the last PSNR gain of the validation crops
over the blurred crops, and the step of the best; ``stability-<preset>.png`` draws every run's
validation gain against the step.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

import realsets  # sets up sys.path

SHARES = {"A": "1/2", "B": "2/2"}


def plan(args) -> list[tuple[str, int, str]]:
    """``(share, seed, onednn)`` of each run: every share with every seed, oneDNN alternating
    (on for the first seed, off for the second, ...), unless ``--runs`` names them."""
    if args.runs:
        runs = []
        for item in args.runs.split(","):
            share, seed, onednn = item.split(":")
            runs.append((share, int(seed), onednn))
        return runs
    seeds = [int(s) for s in args.seeds.split(",")]
    return [(share, seed, ("on", "off")[i % 2]) for share in SHARES for i, seed in enumerate(seeds)]


def train(work: pathlib.Path, preset: str, share: str, seed: int, onednn: str, log: pathlib.Path) -> dict:
    """One run (cached in ``work/stability``); returns its curve and how it ended."""
    src = realsets.photo_subset(realsets.photos(work)[0], SHARES[share], work)
    data = realsets.training_data(work, [], 8, log, src)
    out = work / "stability" / f"{preset}-{share}-seed{seed}-onednn-{onednn}"
    if not (out / "fit-summary.json").exists():
        cmd = [sys.executable, "-m", "training.fit", "--preset", preset, "--train", data["train"], "--val",
               data["val"], "--out", str(out), "--seed", str(seed), "--verbose", "0"]
        env = {**realsets.os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(realsets.ROOT),
               "TF_ENABLE_ONEDNN_OPTS": "1" if onednn == "on" else "0"}
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + f"  (TF_ENABLE_ONEDNN_OPTS={env['TF_ENABLE_ONEDNN_OPTS']})\n")
            f.flush()
            code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=realsets.ROOT).returncode
        if code not in (0, 1):  # 1: fit stopped a collapsing run, which is a result here
            raise SystemExit(f"fit failed ({code}); see {log}")
    rows = realsets.metrics_rows(out)
    summary = json.loads((out / "fit-summary.json").read_text())
    gains = [(int(r["step"]), r["val_psnr"] - r["val_identity_psnr"]) for r in rows if "val_psnr" in r]
    best = max(gains, key=lambda g: g[1])
    return {"share": share, "seed": seed, "onednn": onednn, "steps": summary["step"], "stopped": summary.get("stopped"),
            "best_gain": best[1], "best_step": best[0], "last_gain": gains[-1][1], "curve": gains}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="learn-out", help="working folder, shared with bench_learning.py")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--runs", default="", help="SHARE:SEED:on|off,... instead of every share with every seed")
    args = p.parse_args(argv)
    work = pathlib.Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench_stability.log"
    results = []
    for share, seed, onednn in plan(args):
        r = train(work, args.preset, share, seed, onednn, log)
        results.append(r)
        print(f"{args.preset} photos {r['share']} seed {r['seed']} oneDNN {r['onednn']}: "
              f"{'stopped: ' + r['stopped'] if r['stopped'] else 'finished'} at step {r['steps']}; "
              f"validation gain best {r['best_gain']:+.2f} dB (step {r['best_step']}), last {r['last_gain']:+.2f} dB",
              flush=True)
    print("\n| photos | seed | oneDNN | ended | steps | best validation gain (step) | last |\n|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['share']} | {r['seed']} | {r['onednn']} | {'stopped' if r['stopped'] else 'finished'} | {r['steps']} "
              f"| {r['best_gain']:+.2f} dB ({r['best_step']}) | {r['last_gain']:+.2f} dB |")
    series = [(f"{r['share']}, seed {r['seed']}, oneDNN {r['onednn']}", [s for s, _ in r["curve"]],
               [g for _, g in r["curve"]]) for r in results]
    out = realsets.line_chart(series, f"{args.preset}: PSNR gain of the validation crops over the blurred crops",
                              work / f"stability-{args.preset}.png")
    print(f"\ncurves: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
