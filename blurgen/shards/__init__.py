"""The shard format, below every writer and reader of shards.

* ``schema.py``: the names and kinds of the ``tf.train.Example`` features, the shard file names.
* ``framing.py``: how a record lies in a TFRecord file, and the checks every reader makes before
  trusting a length or a byte (plain Python and ``google-crc32c``).
* ``examples.py``: one pair to the bytes of an Example and back, with the ``tfrecord`` package's
  protos.
* ``reader.py``: shards to pairs without TensorFlow (listing, splitting among readers, checked
  records, decoding, aligned crops), under the PyTorch reader (:mod:`blurgen.torchdata`), the
  Hugging Face recipe and the pipelines.

The trainer takes ``schema`` and ``framing`` only: ``examples`` and ``reader`` import the
``tfrecord`` package, which cannot share a process with TensorFlow. This ``__init__`` imports
nothing, so that ``from blurgen.shards import schema`` stays cheap and free of ``tfrecord``.
"""
