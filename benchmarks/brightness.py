"""How much do blurring and restoring move the brightness of images? Prints one table per model.

    python benchmarks/brightness.py --work realism-out --model realism-out/models/KEY [--model ...]
    python benchmarks/brightness.py --work realism-out --data 'realism-out/data/train-*/*-train.tfrecord-*'

For every pair of each set, the mean over all pixels, and per channel (R, G, B), of blurred minus
sharp; with a model, also of restored minus sharp and of restored minus blurred (the model's own
shift), in grey levels (0..255). A normalised blur keeps the mean of the values it blurs, so
blurred minus sharp is near 0 for blur in stored values (Levin's set) and positive where the blur
happened in linear light (a blurred edge is brighter once the tone curve is applied again).
Sets: the test sets of :mod:`realsets` (built by ``bench_realism.py`` or ``bench_learning.py`` in
``--work``) and any shards given with ``--data``. Runs in TensorFlow's process (it reads shards
with tf.data and restores with the trainer's inference).
"""
from __future__ import annotations

import argparse
import glob
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SET_ORDER = ("synthetic", "levin", "koehler", "lai")


def set_globs(work: pathlib.Path) -> dict[str, str]:
    found = {}
    for name in SET_ORDER:
        folders = sorted(glob.glob(str(work / "data" / (f"{name}-*" if name == "synthetic" else name))))
        if folders:
            found[name] = str(pathlib.Path(folders[-1]) / "*.tfrecord-*")
    return found


def shifts(pairs, restore=None, limit: int | None = None) -> dict[str, np.ndarray]:
    """Per pair: ``blurred`` (blurred - sharp), and with ``restore`` ``restored`` (restored - sharp)
    and ``own`` (restored - blurred); each row the mean over all channels, then R, G, B."""
    out = {"blurred": [], "restored": [], "own": []}

    def row(a, b):
        d = a.astype(np.float64) - b.astype(np.float64)
        return [d.mean(), *d.reshape(-1, 3).mean(axis=0)]

    for i, (_, blurred, sharp) in enumerate(pairs):
        if limit is not None and i >= limit:
            break
        out["blurred"].append(row(blurred, sharp))
        if restore is not None:
            restored = restore(blurred)
            out["restored"].append(row(restored, sharp))
            out["own"].append(row(restored, blurred))
    return {k: np.array(v) for k, v in out.items() if v}


def line(name: str, what: str, rows: np.ndarray) -> str:
    mean = rows.mean(axis=0)
    return (f"| {name} | {what} | {len(rows)} | {mean[0]:+.2f} | {rows[:, 0].min():+.2f} to {rows[:, 0].max():+.2f} "
            f"| {mean[1]:+.2f} / {mean[2]:+.2f} / {mean[3]:+.2f} |")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="realism-out", type=pathlib.Path)
    p.add_argument("--model", action="append", default=[], help="run folder or .keras (repeatable)")
    p.add_argument("--data", action="append", default=[], help="more shard globs (e.g. training data)")
    p.add_argument("--limit", type=int, default=None, help="pairs per set (default: all)")
    args = p.parse_args(argv)
    from training.inference.restorer import Restorer
    from training.data.shards import shard_pairs
    sets = {**set_globs(args.work.resolve()), **{g: g for g in args.data}}
    head = ("| set | shift | pairs | mean (levels) | range over pairs | R / G / B |\n"
            "|---|---|---|---|---|---|")
    for model in args.model or [None]:
        restorer = Restorer(model) if model else None
        print(f"\n{model or 'no model'}:\n{head}")
        for name, pattern in sets.items():
            found = shifts(shard_pairs(pattern), restorer, args.limit)
            print(line(name, "blurred - sharp", found["blurred"]))
            if restorer is not None:
                print(line(name, "restored - sharp", found["restored"]))
                print(line(name, "restored - blurred (own)", found["own"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
