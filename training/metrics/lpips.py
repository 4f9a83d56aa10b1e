"""LPIPS as a metric (``--metrics lpips --lpips-weights DIR``; lower is better). The network lives
with the losses (:mod:`training.losses.lpips`) and is imported, with TensorFlow, only when the
metric is built."""
from __future__ import annotations

import numpy as np

from training.metrics.registry import WITH_SETTING, MetricFn, register_metric

HOW_TO_CONVERT = ("a folder written by `python -m training.lpips convert`; "
                  "see `python -m training.lpips --help`")


def _needs_weights(sharp: np.ndarray, test: np.ndarray) -> float:
    # Only the caller knows the weights: `--lpips-weights DIR` replaces this placeholder with
    # the metric built by `lpips_with_weights(DIR)`.
    from training.losses.lpips import HOW_TO_GET
    raise ValueError("the lpips metric needs weights: pass --lpips-weights DIR to python -m training.score. "
                     + HOW_TO_GET.format(where="DIR"))


def lpips_with_weights(weights_dir: str | None) -> MetricFn:
    if not weights_dir:
        raise ValueError(f"--metrics lpips needs --lpips-weights DIR ({HOW_TO_CONVERT})")
    from training.losses.lpips import lpips_metric
    return lpips_metric(weights_dir)


register_metric("lpips", _needs_weights, lower_is_better=True)
WITH_SETTING["lpips"] = lpips_with_weights
