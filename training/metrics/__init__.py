"""The metrics, one table (:mod:`.registry`) that ``score``, ``compare`` and ``fit`` read.

To add a metric, drop a module into this folder that calls
:func:`~training.metrics.registry.register_metric` and add it to the import list below;
``score --metrics name`` then computes it. Nothing here imports TensorFlow.

  * :mod:`.protocol`: PSNR and SSIM by the pinned protocol (numpy, equal to scikit-image), brightness.
  * :mod:`.extra`: MS-SSIM, VIFp and FSIM.
  * :mod:`.lpips`: LPIPS (its network is the loss's, :mod:`training.losses.lpips`).
"""
from __future__ import annotations

from training.metrics import extra, lpips, protocol  # noqa: F401  (they register)
from training.metrics.protocol import psnr, ssim
from training.metrics.registry import (DEFAULT_METRICS, LOWER_IS_BETTER, METRICS, MetricFn, full_protocol,
                                       metric_overrides, register_metric)

__all__ = ["DEFAULT_METRICS", "LOWER_IS_BETTER", "METRICS", "MetricFn", "full_protocol", "metric_overrides",
           "psnr", "register_metric", "ssim"]
