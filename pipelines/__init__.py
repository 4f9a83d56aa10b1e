"""Apache Beam pipelines that turn photos, real blurred/sharp pairs and video into TFRecord shards.

The commands, at the top of the package (``python -m pipelines.X`` and ``blurgen X``):

* :mod:`pipelines.synth` -- sharp photos in, synthetic blurred/sharp pairs out (``blurgen synth``).
* :mod:`pipelines.pairs` -- real pairs (GoPro, two folders, RealBlur lists, side-by-side A|B).
* :mod:`pipelines.video` -- sharp video (files or frame folders) in, frame-averaged pairs out (``blurgen video``).
* :mod:`pipelines.inspection` -- check a written dataset, draw a contact sheet, write its card (``blurgen inspect``).
* :mod:`pipelines.export` -- a dataset's pairs as Parquet files for the Hugging Face Hub (``blurgen export``).
* :mod:`pipelines.engines` -- fetch Beam's Flink and Spark runners and the engines with Maven (``make engines``).

:mod:`pipelines.reader` reads shards without TensorFlow. The rooms below the commands, each
importing only the rooms below it (ARCHITECTURE.md): :mod:`pipelines.sources` (input listing,
layouts, splits, rejects), :mod:`pipelines.shards` (the shard sink and commit),
:mod:`pipelines.items` (the per-item work), :mod:`pipelines.footage` (video),
:mod:`pipelines.cards` (the dataset card and the Hub's files) and :mod:`pipelines.runners`
(launching a run; Flink and Spark engines, ``blurgen-worker``, local clusters).

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
