"""The TF-free shard reader, for the pipelines' callers: it lives in :mod:`blurgen.shards.reader`,
below both the pipelines and the PyTorch reader (:mod:`blurgen.torchdata`), which share it."""
from __future__ import annotations

from blurgen.shards.reader import (DEFAULT_SHUFFLE_BUFFER, aligned_crop, decode_pair, epoch_order,  # noqa: F401
                                   iter_examples, iter_pairs, list_shards, open_shard, pad_to, read_records, share)
