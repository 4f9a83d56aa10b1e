"""Deterministic sharding in bounded memory: the same records always give the same shard files.

Records are spooled to temporary files by the step that makes them (:mod:`pipelines.shards.spool`);
what reaches this module is one small entry per record: ``(split, key, file, offset, length)``.
A record goes to shard ``stable_hash(key) % count`` of its split, where ``count`` comes from a
:class:`ShardPlan` fixed before the pipeline starts. One worker per shard sorts that shard's
entries by ``(stable_hash(key), key)`` and copies each record's bytes from its spool file into the
shard file, one record at a time: a worker holds the shard's index, never the shard.

Why ``(stable_hash(key), key)`` and not ``key``: the variants and patches of one photo have keys
that sort next to each other (``a.png#v0``, ``a.png#v1``), and a trainer's shuffle buffer that
reads a shard in order would then see them together; hashed order spreads them over the shard
while staying a fixed order.

Every shard index of a split that has records is written, so a shard no key hashes to is a valid
empty file whose length (0) is recorded like any other.
"""
from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from blurgen.shards import schema
from blurgen.seeding import stable_hash
from pipelines.shards import records

LOG = logging.getLogger(__name__)

# Auto sharding aims at shards of about this size: large enough for fast sequential reads,
# small enough that a split has several shards to interleave.
TARGET_SHARD_BYTES = 128 * 2**20
# Shard names hold five digits. The writer no longer holds a shard in memory, so a large dataset
# gets more shards rather than larger ones.
MAX_AUTO_SHARDS = 99_999
_OPEN_SPOOL_FILES = 8  # spool files kept open while one shard is assembled


def plan_split(count: int, size: int, num_shards: int | None) -> int:
    """Shards for one split of about ``count`` records totalling about ``size`` bytes.

    ``num_shards`` given: exactly that many (some may be empty when there are fewer records).
    ``None`` (auto): one per ``TARGET_SHARD_BYTES``, at least 1, at most one per record.
    """
    if num_shards is not None:
        return num_shards
    return max(1, min(count, MAX_AUTO_SHARDS, math.ceil(size / TARGET_SHARD_BYTES)))


@dataclass(frozen=True)
class ShardPlan:
    """Shards per split, fixed before the run: ``counts[split]``, or ``default`` for a split the
    plan did not foresee. Everything the shard writer decides follows from it and the keys."""

    counts: dict[str, int] = field(default_factory=dict)
    default: int = 1

    def count(self, split: str) -> int:
        return self.counts.get(split, self.default)

    @classmethod
    def from_estimates(cls, estimates: Iterable[tuple[str, int, int]], num_shards: int | None) -> "ShardPlan":
        """The plan from ``(split, records, bytes)`` estimates of each input (summed per split)."""
        totals: dict[str, list[int]] = {}
        for split, count, size in estimates:
            total = totals.setdefault(split, [0, 0])
            total[0] += count
            total[1] += size
        counts = {split: plan_split(c, s, num_shards) for split, (c, s) in sorted(totals.items())}
        default = num_shards if num_shards is not None else max(counts.values(), default=1)
        return cls(counts, default)


def shard_of(key: str, num_shards: int) -> int:
    return stable_hash(key) % num_shards


def order_in_shard(entry: tuple) -> tuple[int, str]:
    """The sort key of an entry ``(split, key, file, offset, length)`` within its shard:
    ``schema.record_order(key)``, i.e. ``(stable_hash(key), key)``, the order readers rely on."""
    return schema.record_order(entry[1])


class _SpoolReaders:
    """Reads byte ranges of spool files, keeping the last few files open (entries of one shard
    come from every bundle's file, in hashed order)."""

    def __init__(self, limit: int = _OPEN_SPOOL_FILES):
        self.limit = limit
        self.open: OrderedDict[str, BinaryIO] = OrderedDict()

    def read(self, path: str, offset: int, length: int) -> bytes:
        f = self.open.pop(path, None)
        if f is None:
            f = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
        self.open[path] = f
        while len(self.open) > self.limit:
            self.open.popitem(last=False)[1].close()
        f.seek(offset)
        data = f.read(length)
        if len(data) != length or records.framed_length(data) != length:
            raise OSError(f"{path}: spool file cut short at byte {offset} (want {length} bytes, got {len(data)})")
        return data

    def close(self) -> None:
        for f in self.open.values():
            f.close()
        self.open.clear()


class _AssembleShardFn(beam.DoFn):
    """Writes one shard from ``((split, index), entries_or_placeholders)``."""

    def __init__(self, folder: str, name: str, plan: ShardPlan):
        self.folder = folder
        self.name = name
        self.plan = plan
        self.shard_bytes = Metrics.counter("blurgen", "bytes")

    def process(self, element):
        (split, index), values = element
        entries = sorted((v for v in values if v is not None), key=order_in_shard)
        count = self.plan.count(split)
        file = schema.shard_name(self.name, split, index, count)
        path = FileSystems.join(self.folder, file)
        readers = _SpoolReaders()
        size = 0
        try:
            with FileSystems.create(path, mime_type="application/octet-stream",
                                    compression_type=CompressionTypes.UNCOMPRESSED) as f:
                for _, _, spool, offset, length in entries:
                    f.write(readers.read(spool, offset, length))
                    size += length
        finally:
            readers.close()
        self.shard_bytes.inc(size)
        LOG.info("wrote %s (%d records, %d bytes)", path, len(entries), size)
        yield {"split": split, "index": index, "count": count, "path": path, "file": file,
               "records": len(entries), "bytes": size}


def _slots(split: str, plan: ShardPlan) -> list[tuple[tuple[str, int], None]]:
    return [((split, i), None) for i in range(plan.count(split))]


class WriteShards(beam.PTransform):
    """Spool entries ``(split, key, file, offset, length)`` in; one dict per shard file written into
    ``folder`` out (``split, index, count, path, file, records, bytes``)."""

    def __init__(self, folder: str, name: str, plan: ShardPlan):
        super().__init__()
        if any(n < 1 for n in plan.counts.values()) or plan.default < 1:
            raise ValueError(f"every split needs at least 1 shard, got {plan}")
        self.folder = folder
        self.name = name
        self.plan = plan

    def expand(self, entries):
        plan = self.plan
        keyed = entries | "AssignShard" >> beam.Map(lambda e: ((e[0], shard_of(e[1], plan.count(e[0]))), e))
        # One placeholder per shard index of every split that has records, so that shards no
        # key hashes to are still written.
        slots = (entries
                 | "Splits" >> beam.Map(lambda e: e[0])
                 | "DistinctSplits" >> beam.Distinct()
                 | "ShardSlots" >> beam.FlatMap(_slots, plan))
        return ((keyed, slots)
                | "AllShards" >> beam.Flatten()
                | "GroupShards" >> beam.GroupByKey()
                | "WriteShard" >> beam.ParDo(_AssembleShardFn(self.folder, self.name, plan)))
