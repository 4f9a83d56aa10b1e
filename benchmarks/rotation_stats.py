"""How large rotation shake's blur is, beside recorded camera shake. Prints tables; asserts nothing.

    python benchmarks/rotation_stats.py                      # 1,000 draws on a 1280x720 frame, seed 0
    python benchmarks/rotation_stats.py --size 800x800 --tilt 0.3,1.5 --roll 0.1,0.6

Each draw is one camera shake with blurgen's default rotation settings (or the ones given): a
focal length from 24 to 50 mm (35 mm equivalent) on the frame's long side, a widest yaw/pitch
angle ``tilt`` and a roll span ``roll`` (degrees, log-uniform). Its size at a place of the frame
is the support of the local kernel there, as ``kernel_stats.py`` measures kernels (the side of
the bounding box of the values above 1 % of the peak): at the centre, and the largest of the
3x3 grid (a corner, where roll adds the most). The recorded kernels of ``../shared/data/real-blur``
are placed at their percentile among the centre sizes, as kernel_stats.py places them among the
trajectory kernels. "instants" is the number of warps the exact render takes (its cost). "bend"
is how much a path winds: the pixels above 10 % of the peak per px of the support's side (a
straight thin line scores about 1; recorded kernels and drawn centre kernels are compared).
"""
from __future__ import annotations

import argparse
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from blurgen.config import RotationConfig  # noqa: E402
from blurgen.kernels.shake import draw_shake  # noqa: E402
from kernel_stats import real_kernels, support  # noqa: E402


def _pair(text: str, cast=float) -> tuple:
    parts = [cast(p) for p in text.replace("x", ",").split(",")]
    return tuple(parts * 2 if len(parts) == 1 else parts)


def draw(count: int, seed: int, height: int, width: int, cfg: RotationConfig) -> dict[str, np.ndarray]:
    """Centre and largest local-kernel supports (px) and render instants of ``count`` shakes."""
    rng = np.random.default_rng(seed)
    centre, largest, instants, bends = [], [], [], []
    for _ in range(count):
        shake, _ = draw_shake(rng, cfg, height, width)
        kernels, _, _ = shake.local_kernels(3)
        sizes = np.array([support(k) for k in kernels.reshape(-1, *kernels.shape[2:])]).reshape(3, 3)
        centre.append(sizes[1, 1])
        largest.append(sizes.max())
        instants.append(len(shake.homographies()))
        bends.append(bend(kernels[1, 1]))
    return {"centre": np.array(centre), "largest of the 3x3 grid": np.array(largest),
            "instants (warps per render)": np.array(instants), "bend": np.array(bends)}


def bend(kernel: np.ndarray) -> float:
    """Pixels above 10 % of the peak per px of the support's side."""
    return float((kernel > 0.1 * kernel.max()).sum() / support(kernel))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="1280x720", help="frame WIDTHxHEIGHT in px")
    p.add_argument("--tilt", default=None, help="degrees, 'low,high' (default: blurgen's)")
    p.add_argument("--roll", default=None, help="degrees, 'low,high' (default: blurgen's)")
    args = p.parse_args(argv)
    width, height = _pair(args.size, int)
    changes = {k: _pair(v) for k, v in (("tilt", args.tilt), ("roll", args.roll)) if v}
    cfg = RotationConfig(**changes)
    stats = draw(args.count, args.seed, height, width, cfg)
    print(f"{args.count} shakes on {width}x{height}: tilt {cfg.tilt} deg, roll {cfg.roll} deg, "
          f"focal {cfg.focal_mm} mm equivalent\n")
    print("| size of the blur (px) | median | p10 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for name, s in stats.items():
        q = np.percentile(s, [50, 10, 90, 99])
        fmt = ".1f" if name == "bend" else ".0f"
        print(f"| {name} | {q[0]:{fmt}} | {q[1]:{fmt}} | {q[2]:{fmt}} | {q[3]:{fmt}} | {s.max():{fmt}} |")
    real = real_kernels()
    if not real:
        print("\n../shared/data/real-blur is absent: no recorded kernels to compare with")
        return 0
    centre = stats["centre"]
    print("\n| recorded kernels | sizes (px) | percentiles among the centre sizes | bend |")
    print("|---|---|---|---|")
    for name, kernels in real.items():
        sizes = [support(k) for _, k in kernels]
        where = [f"p{100 * np.mean(centre < s):.0f}" for s in sizes]
        bends = ", ".join(f"{bend(k):.1f}" for _, k in kernels)
        print(f"| {name} ({len(sizes)}) | {', '.join(map(str, sizes))} | {', '.join(where)} | {bends} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
