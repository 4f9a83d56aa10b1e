"""The metrics' table: a metric's name to ``fn(sharp, test) -> float`` on full-size RGB uint8
images (``HxWx3``), read by ``score`` (``--metrics``, its help and its report), ``compare`` and
``fit`` (the names of its validation scores).

A module of this folder registers its metrics with :func:`register_metric`; :mod:`training.metrics`
imports them all. Nothing here imports TensorFlow: ``score --help`` lists the table at once.
Lower is better for the names in ``LOWER_IS_BETTER`` (LPIPS), higher for the rest.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

MetricFn = Callable[[np.ndarray, np.ndarray], float]
METRICS: dict[str, MetricFn] = {}
LOWER_IS_BETTER: set[str] = set()
PROTOCOLS: list[str] = []  # each module's statement of how its metrics are computed, in import order
# Metrics that need a setting from the command line: name -> fn(setting) -> MetricFn, built once.
WITH_SETTING: dict[str, Callable[[str], MetricFn]] = {}
DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim")


def register_metric(name: str, fn: MetricFn, lower_is_better: bool = False) -> MetricFn:
    METRICS[name] = fn
    if lower_is_better:
        LOWER_IS_BETTER.add(name)
    return fn


def full_protocol() -> str:
    """How every registered metric is computed, for the report."""
    return " ".join(PROTOCOLS)


def metric_overrides(names: list[str], lpips_weights: str | None) -> dict[str, MetricFn]:
    """The metrics of ``names`` that need a setting (``lpips``: ``--lpips-weights``), built once."""
    out = {}
    for name in names:
        if name in WITH_SETTING:
            out[name] = WITH_SETTING[name](lpips_weights)
    return out
