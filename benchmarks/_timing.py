"""Timing helpers for the benchmark scripts: repeated runs, medians, paired ratios."""
from __future__ import annotations

import os
import statistics
import time



def one_thread() -> None:
    """Keep numeric libraries on one thread, for figures quoted per core; call it before numpy,
    scipy or OpenCV is imported (they size their thread pools on import)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def run_times(fn, repeats: int = 7, warmup: int = 1) -> list[float]:
    """Wall times of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def median_seconds(fn, repeats: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` calls."""
    return statistics.median(run_times(fn, repeats, warmup))


def paired_ratio(fn, baseline, repeats: int = 9) -> tuple[float, float, float]:
    """Time ``fn`` and ``baseline`` alternately; return (median fn seconds, median baseline
    seconds, median of the per-round ratios). Alternating keeps a busy machine's slow spells
    from landing on one side only."""
    fn(), baseline()
    t_fn, t_base, ratios = [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        baseline()
        b = time.perf_counter() - t
        t = time.perf_counter()
        fn()
        f = time.perf_counter() - t
        t_fn.append(f), t_base.append(b), ratios.append(f / b)
    return statistics.median(t_fn), statistics.median(t_base), statistics.median(ratios)
