"""One pair as a ``tf.train.Example``: the encoder and decoder live in :mod:`blurgen.shards.examples`,
with the shard format, so that the pipelines' writers and every TF-free reader share one codec."""
from __future__ import annotations

from blurgen.shards.examples import Pair, decode_example, encode_example, params_json  # noqa: F401
