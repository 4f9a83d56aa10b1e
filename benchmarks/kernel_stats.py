"""How large blurgen's kernels are, beside recorded real camera shake. Prints a table; asserts nothing.

    python benchmarks/kernel_stats.py                 # 2,000 kernels per mix, seed 0
    python benchmarks/kernel_stats.py --count 5000

Size is the support: the side of the bounding box of the values above 1 % of the kernel's peak.
Mixes: blurgen's default (the exposures of DeblurGAN's dataset script, 1/10, 1/2 and all of the
path, on an 80 px path), a 60 px path that also integrates 1/100 of it (DeblurGAN's exposures with 1/100: a quarter of
its kernels are near-identity), DeblurGAN's own (60 px), and full exposure on the default path. Real kernels, from ``../shared/data/real-blur`` when it
is there: Levin et al.'s 8 recorded shakes, Koehler et al.'s 4 (JPEG crops: the background level,
their median, is subtracted first) and Lai et al.'s 4 large ones; each is placed at its
percentile within blurgen's default mix.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import blurgen  # noqa: E402
from blurgen.config import KernelConfig, TrajectoryConfig  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real-blur"
# Trajectory settings of each mix (None: blurgen's defaults).
MIXES = {"default: 80 px path, exposures 1/10, 1/2, 1": None,
         "60 px paths, exposures 1/100, 1/10, 1/2, 1": dict(max_length=60.0, canvas=64, exposures=(0.01, 0.1, 0.5, 1.0)),
         "DeblurGAN's own: 60 px, 1/10, 1/2, 1": dict(max_length=60.0, canvas=64, exposures=(0.1, 0.5, 1.0)),
         "default path, full exposure only": dict(exposures=(1.0,))}


def support(kernel: np.ndarray, level: float = 0.01) -> int:
    """Side of the bounding box of the values above ``level`` times the peak."""
    ys, xs = np.nonzero(kernel > level * kernel.max())
    return int(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))


def real_kernels() -> dict[str, list[tuple[str, np.ndarray]]]:
    """The recorded kernels beside the checkout, by dataset (empty where the folder is absent)."""
    if not REAL.is_dir():
        return {}
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    levin = np.load(REAL / "levin" / "kernels.npz")
    out["Levin et al. 2009"] = [(k, levin[k]) for k in sorted(levin.files)]
    koehler = []
    for path in sorted((REAL / "koehler").glob("Kernel*.jpg")):
        k = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float64)
        koehler.append((path.stem, np.clip(k - np.median(k), 0, None)))
    out["Koehler et al. 2012"] = koehler
    out["Lai et al. 2016"] = [(p.stem, cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).astype(np.float64))
                              for p in sorted((REAL / "lai-kernels").glob("*.png"))]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sizes = {}
    print(f"| kernels ({args.count} per mix) | median | p10 | p90 | p99 | max | <= 3 px |")
    print("|---|---|---|---|---|---|---|")
    for name, settings in MIXES.items():
        cfg = KernelConfig() if settings is None else KernelConfig(trajectory=TrajectoryConfig(**settings))
        s = np.array([support(k) for k in blurgen.sample_kernels(args.count, np.random.default_rng(args.seed), cfg)])
        sizes[name] = s
        q = np.percentile(s, [50, 10, 90, 99])
        print(f"| {name} | {q[0]:.0f} | {q[1]:.0f} | {q[2]:.0f} | {q[3]:.0f} | {s.max()} | {np.mean(s <= 3):.1%} |")
    real = real_kernels()
    if not real:
        print(f"\n{REAL} is absent: no recorded kernels to compare with")
        return 0
    default, short = (sizes[name] for name in list(MIXES)[:2])
    print("\n| recorded kernels | sizes (px) | percentiles in the default mix | in the 60 px mix with 1/100 |")
    print("|---|---|---|---|")
    for dataset, kernels in real.items():
        s = [support(k) for _, k in kernels]
        pct = lambda mix: ", ".join(f"p{100.0 * np.mean(mix < v):.0f}" for v in s)  # noqa: E731
        print(f"| {dataset} | {', '.join(map(str, s))} | {pct(default)} | {pct(short)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
