"""TFRecord files written and read by hand, so that every byte is ours to fix and check.

The framing itself (each record's length, data and checksums) lives in :mod:`blurgen.shards.framing`,
which the trainer's TensorFlow side uses too; this module writes framed records and reads them
back.

We write shards ourselves (rather than with Beam's ``WriteToTFRecord``, which spreads records over
shards at random) so that the same records always give the same bytes, and we read them ourselves
because the ``tfrecord`` package's reader verifies no checksum and trusts any length.
"""
from __future__ import annotations

from typing import BinaryIO, Iterable, Iterator

from blurgen.shards import framing
from blurgen.shards.framing import CorruptRecordError, frame, masked_crc  # noqa: F401 - this module's names too

_LENGTH_BYTES = 8


def framed_length(framed: bytes) -> int:
    """The length a frame says it has (header, data and both checksums), from its first 8 bytes;
    -1 when fewer than 8 bytes are given."""
    if len(framed) < _LENGTH_BYTES:
        return -1
    return int.from_bytes(framed[:_LENGTH_BYTES], "little") + framing.HEADER_BYTES + framing.FOOTER_BYTES


def write_records(f: BinaryIO, records: Iterable[bytes]) -> tuple[int, int]:
    """Write framed ``records`` to the open binary file ``f``; returns (records, bytes) written."""
    count = size = 0
    for data in records:
        framed = frame(data)
        f.write(framed)
        count += 1
        size += len(framed)
    return count, size


def read_records(f: BinaryIO, name: str = "<shard>", size: int | None = None,
                 max_record: int | None = None) -> Iterator[bytes]:
    """Yield the data of each record in ``f``, verifying both checksums of every record and each
    length before its data is read (:func:`blurgen.shards.framing.read_records`).

    Raises:
      CorruptRecordError: a truncated file, a length that cannot be right or a checksum mismatch,
        naming ``name``, the record's index and its byte offset.
    """
    return framing.read_records(f, name, size=size, max_record=max_record)


def iter_examples(path: str) -> Iterator[bytes]:
    """The records of one shard, read through Beam's ``FileSystems`` (``gs://`` too), each
    checked by :func:`read_records`."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        yield from read_records(f, path)
