"""A runner module for the launcher's tests: it registers an option of its own on import (as
Flink's, Spark's and Dask's do) and its results keep no metrics (as Dask's do).

Tests name it with ``--runner runner_for_tests.NoMetricsRunner``; nothing else imports it, so
its option is unknown until the launcher imports the runner's module.
"""
from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.direct.direct_runner import DirectRunner


class NoMetricsRunnerOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--no_metrics_runner_label", default=None, help="an option only this runner has")


class _ResultWithoutMetrics:
    def __init__(self, result):
        self._result = result

    @property
    def state(self):
        return self._result.state

    def wait_until_finish(self, duration=None):
        return self._result.wait_until_finish(duration)

    def metrics(self):
        raise NotImplementedError("this runner keeps no metrics")


class NoMetricsRunner(DirectRunner):
    """The local runner, but its results raise ``NotImplementedError`` on ``metrics()``."""

    def run_pipeline(self, pipeline, options):
        return _ResultWithoutMetrics(super().run_pipeline(pipeline, options))


class FailingRunner(DirectRunner):
    """Runs the pipeline, then fails as a cluster job that died at its end would."""

    def run_pipeline(self, pipeline, options):
        super().run_pipeline(pipeline, options).wait_until_finish()
        raise RuntimeError("the job failed")
