"""Kernels per second, batched and one at a time, on one core.

Run: .venv/bin/python benchmarks/bench_kernels.py

DeblurGAN's reference generator makes 7.8 kernels per second on this kind of machine
(ARCHITECTURE.md, measured facts: 7.8 ms per trajectory, 121 ms per PSF in a Python loop); the aim is at least
2,000 per second batched. All kernels use DeblurGAN's settings (2000 samples, 60 px path).
"""
from __future__ import annotations

import _timing

_timing.one_thread()

import numpy as np  # noqa: E402

from blurgen import sample_kernels  # noqa: E402
from _timing import median_seconds  # noqa: E402

DEBLURGAN_PER_SECOND = 7.8  # ARCHITECTURE.md (measured facts), on this kind of machine


def main() -> None:
    rng = np.random.default_rng(0)
    batch = 1000
    t_batch = median_seconds(lambda: sample_kernels(batch, rng), repeats=5)
    singles = 100
    t_single = median_seconds(lambda: [sample_kernels(1, rng) for _ in range(singles)], repeats=3)
    per_s_batch = batch / t_batch
    per_s_single = singles / t_single
    print(f"kernels/s, batched ({batch} per call): {per_s_batch:8.0f}  "
          f"({per_s_batch / DEBLURGAN_PER_SECOND:.0f}x DeblurGAN's {DEBLURGAN_PER_SECOND}/s; aim >= 2000)")
    print(f"kernels/s, one per call:            {per_s_single:8.0f}  "
          f"({per_s_single / DEBLURGAN_PER_SECOND:.0f}x DeblurGAN's)")


if __name__ == "__main__":
    main()
