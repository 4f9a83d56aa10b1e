"""The shard sink: Examples encoded, records framed and spooled, shards written in a fixed order,
the files beside them, and the journaled commit that makes a dataset appear whole or not at all.

* :mod:`~pipelines.shards.examples` -- one pair as a ``tf.train.Example`` (the ``tfrecord`` package's protos).
* :mod:`~pipelines.shards.records` -- TFRecord files written and read by hand, every checksum checked.
* :mod:`~pipelines.shards.spool`, :mod:`~pipelines.shards.write` -- records spooled to temporary
  files, then placed in shards by the hash of their key, in bounded memory.
* :mod:`~pipelines.shards.metadata` -- ``dataset_info.json``, ``features.json``, ``manifest.json``,
  ``rejects.jsonl``, ``inputs.jsonl``.
* :mod:`~pipelines.shards.commit` -- staging inside ``--out``, then the journaled commit.
* :mod:`~pipelines.shards.guard`, :mod:`~pipelines.shards.outputlock` -- no output over an input,
  one writer of ``--out`` at a time.

Imports :mod:`pipelines.sources` only.
"""
