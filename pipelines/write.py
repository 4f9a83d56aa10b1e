"""Deterministic sharding: the same records always give the same shard files, byte for byte.

Each record is ``(split, key, example_bytes)``. Its shard within the split is
``stable_hash(key) % num_shards``, records are sorted by key within a shard, and each shard file is
written whole by one worker with our own TFRecord framing (:mod:`pipelines.records`). Beam's
``WriteToTFRecord`` cannot do this: it assigns records to shards at random.

Every shard index of a split is written, so a shard that no key hashes to is a valid empty file
whose length (0) is recorded like any other.
"""
from __future__ import annotations

import logging
import math
from typing import Iterable

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from blurgen import schema
from blurgen.seeding import stable_hash
from pipelines import records

LOG = logging.getLogger(__name__)

# Auto sharding aims at shards of about this size: large enough for fast sequential reads,
# small enough that a split has several shards to interleave.
TARGET_SHARD_BYTES = 128 * 2**20
MAX_AUTO_SHARDS = 1024


def plan_shards(count: int, size: int, num_shards: int | None) -> int:
    """Shards for one split of ``count`` records totalling ``size`` bytes.

    ``num_shards`` given: exactly that many (some may be empty when there are fewer records).
    ``None`` (auto): one per ``TARGET_SHARD_BYTES``, at least 1, at most one per record.
    """
    if num_shards is not None:
        return num_shards
    return max(1, min(count, MAX_AUTO_SHARDS, math.ceil(size / TARGET_SHARD_BYTES)))


def shard_of(key: str, num_shards: int) -> int:
    return stable_hash(key) % num_shards


def _plan(split_stats, num_shards):
    split, (count, size) = split_stats
    return split, plan_shards(count, size, num_shards)


def _sum_pairs(values: Iterable[tuple[int, int]]) -> tuple[int, int]:
    count = size = 0
    for c, s in values:
        count += c
        size += s
    return count, size


class _WriteShardFn(beam.DoFn):
    """Writes one shard from ``((split, index), records_or_placeholders)``."""

    def __init__(self, out: str, name: str):
        self.out = out
        self.name = name
        self.shard_bytes = Metrics.counter("blurgen", "bytes")

    def process(self, element, plan):
        (split, index), values = element
        items = sorted(v for v in values if v is not None)
        path = FileSystems.join(self.out, schema.shard_name(self.name, split, index, plan[split]))
        with FileSystems.create(path, mime_type="application/octet-stream",
                                compression_type=CompressionTypes.UNCOMPRESSED) as f:
            count, size = records.write_records(f, (data for _, data in items))
        self.shard_bytes.inc(size)
        LOG.info("wrote %s (%d records, %d bytes)", path, count, size)
        yield {"split": split, "index": index, "count": plan[split], "path": path,
               "file": schema.shard_name(self.name, split, index, plan[split]),
               "records": count, "bytes": size}


class WriteShards(beam.PTransform):
    """``(split, key, example_bytes)`` records in; one dict per shard file written out
    (``split, index, count, path, file, records, bytes``)."""

    def __init__(self, out: str, name: str, num_shards: int | None = None):
        super().__init__()
        if num_shards is not None and num_shards < 1:
            raise ValueError(f"--num-shards must be at least 1 (or 'auto'), got {num_shards}")
        self.out = out
        self.name = name
        self.num_shards = num_shards

    def expand(self, recs):
        num_shards = self.num_shards
        plan = (recs
                | "SplitStats" >> beam.Map(lambda r: (r[0], (1, len(r[2]))))
                | "SumStats" >> beam.CombinePerKey(_sum_pairs)
                | "PlanShards" >> beam.Map(_plan, num_shards))
        plan_side = beam.pvalue.AsDict(plan)
        if num_shards is None:
            keyed = recs | "AssignShard" >> beam.Map(
                lambda r, p: ((r[0], shard_of(r[1], p[r[0]])), (r[1], r[2])), plan_side)
        else:
            # Without a side input this step fuses with the one that made the records, so the
            # (large) records cross between workers once less.
            keyed = recs | "AssignShard" >> beam.Map(
                lambda r: ((r[0], shard_of(r[1], num_shards)), (r[1], r[2])))
        # One placeholder per shard index, so that shards no key hashes to are still written.
        slots = plan | "ShardSlots" >> beam.FlatMap(lambda sp: [((sp[0], i), None) for i in range(sp[1])])
        return ((keyed, slots)
                | "AllShards" >> beam.Flatten()
                | "GroupShards" >> beam.GroupByKey()
                | "WriteShard" >> beam.ParDo(_WriteShardFn(self.out, self.name), plan_side))
