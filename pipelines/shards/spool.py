"""Spooling records to temporary files, so that no step of the pipeline carries or holds them.

A record (an encoded ``tf.train.Example`` of two PNG images, a few MB at 1280x720) is written to a
spool file by the worker that made it, in the step that made it, and only a small
:class:`Entry` (split, key, file, offset, length) travels on. Beam's in-memory runner keeps whole
PCollections and every GroupByKey's values in memory, and the multi-process runner moves every
element between processes; with spooling both hold and move entries of about a hundred bytes,
whatever the size of the images. The shard writer (:mod:`pipelines.shards.write`) later copies each
record's bytes from its spool file into its shard.

Each bundle writes one spool file under a fresh random name, and emits its entries only after the
file is closed (in ``finish_bundle``), so an entry never names bytes that are not yet on disk. A
bundle that fails and is retried leaves an orphaned file that no entry names; the whole spool
folder is deleted when the dataset is committed (:mod:`pipelines.shards.commit`).
"""
from __future__ import annotations

import uuid
from typing import NamedTuple

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipelines.shards import records

SPOOL_DIR = "spool"


class Entry(NamedTuple):
    """Where one record's framed bytes lie: ``length`` bytes at ``offset`` of ``file``.

    ``split`` and ``key`` are the record's; the bytes are a whole TFRecord frame (length, CRCs and
    data), so a shard is the concatenation of its entries' bytes.
    """

    split: str
    key: str
    file: str
    offset: int
    length: int


class _SpoolFn(beam.DoFn):
    """``(split, key, example_bytes)`` in; one :class:`Entry` per record out, after its file is closed."""

    def __init__(self, folder: str):
        self.folder = folder

    def start_bundle(self):
        self.file = None
        self.path = None
        self.offset = 0
        self.entries: list[Entry] = []

    def process(self, record):
        split, key, data = record
        if self.file is None:
            self.path = FileSystems.join(self.folder, f"{uuid.uuid4().hex}.rec")
            self.file = FileSystems.create(self.path, mime_type="application/octet-stream",
                                           compression_type=CompressionTypes.UNCOMPRESSED)
        framed = records.frame(data)
        self.file.write(framed)
        self.entries.append(Entry(split, key, self.path, self.offset, len(framed)))
        self.offset += len(framed)

    def finish_bundle(self):
        if self.file is None:
            return
        self.file.close()
        for entry in self.entries:
            # A plain tuple: every runner's default coder carries it as it is.
            yield WindowedValue(tuple(entry), MIN_TIMESTAMP, [GlobalWindow()])
        self.file = None
        self.entries = []


class SpoolRecords(beam.PTransform):
    """Writes ``(split, key, example_bytes)`` records into spool files under ``folder``; outputs an
    :class:`Entry` for each, as a plain tuple. Apply it right after the step that makes the records, so that the
    runner fuses the two and the records never leave the worker that made them."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def expand(self, recs):
        return recs | "Spool" >> beam.ParDo(_SpoolFn(self.folder))
