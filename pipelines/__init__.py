"""Apache Beam pipelines that turn photos and real blurred/sharp pairs into TFRecord shards.

* :mod:`pipelines.synth` -- sharp photos in, synthetic blurred/sharp pairs out (``blurgen synth``).
* :mod:`pipelines.pairs` -- real pairs (GoPro, two folders, RealBlur lists, side-by-side A|B).
* :mod:`pipelines.video` -- sharp video (files or frame folders) in, frame-averaged pairs out (``blurgen video``).
* :mod:`pipelines.inspection` -- check a written dataset and draw a contact sheet (``blurgen inspect``).
* :mod:`pipelines.engines` -- Beam's Flink and Spark runners and the engines, fetched with Maven (``make engines``);
  :mod:`pipelines.worker` starts PROCESS SDK workers (``blurgen-worker``); :mod:`pipelines.localcluster`
  runs local Flink and Spark clusters of separate processes (``make cluster-check``).

This package never imports TensorFlow: Examples are built with the ``tfrecord`` package's protos
(see ARCHITECTURE.md, "the process boundary").
"""

import logging as _logging


class _QuietBigQueryClientWarning(_logging.Filter):
    """Drops the warning Apache Beam logs on import when the BigQuery client (``apitools``) is
    missing: no blurgen pipeline uses BigQuery, and it would otherwise open every command, even
    ``--help``. With ``apache-beam[gcp]`` installed Beam does not log it at all."""

    def filter(self, record: _logging.LogRecord) -> bool:
        return not str(record.msg).startswith("apitools not found")


# Beam logs it through the root logger, once, while `import apache_beam` runs; this package is
# always imported before any of its modules imports Beam.
_logging.getLogger().addFilter(_QuietBigQueryClientWarning())
