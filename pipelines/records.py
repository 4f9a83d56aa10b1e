"""TFRecord framing, written and read by hand so that every byte is ours to fix and check.

A TFRecord file is a sequence of records, each framed as::

    uint64 length (little-endian) | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)

We write shards ourselves (rather than with Beam's ``WriteToTFRecord``, which spreads records over
shards at random) so that the same records always give the same bytes, and we read them ourselves
because the ``tfrecord`` package's reader does not verify the checksums.
"""
from __future__ import annotations

import struct
from typing import BinaryIO, Iterable, Iterator

import google_crc32c

_MASK_DELTA = 0xA282EAD8
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


class CorruptRecordError(ValueError):
    """A shard whose framing or checksums are wrong; the message names the file and the record."""


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC32C: rotate right by 15 bits, add a constant (mod 2**32)."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One record's bytes on disk, framing included."""
    length = _LENGTH.pack(len(data))
    return b"".join((length, _CRC.pack(masked_crc(length)), data, _CRC.pack(masked_crc(data))))


def framed_length(framed: bytes) -> int:
    """The length a frame says it has (header, data and both checksums), from its first 8 bytes;
    -1 when fewer than 8 bytes are given."""
    if len(framed) < _LENGTH.size:
        return -1
    return _LENGTH.unpack_from(framed)[0] + _LENGTH.size + 2 * _CRC.size


def write_records(f: BinaryIO, records: Iterable[bytes]) -> tuple[int, int]:
    """Write framed ``records`` to the open binary file ``f``; returns (records, bytes) written."""
    count = size = 0
    for data in records:
        framed = frame(data)
        f.write(framed)
        count += 1
        size += len(framed)
    return count, size


def _read_exact(f: BinaryIO, n: int, name: str, index: int, what: str) -> bytes:
    buf = f.read(n)
    if len(buf) != n:
        raise CorruptRecordError(
            f"{name}: record {index} is cut short ({what}: {len(buf)} of {n} bytes); the shard is truncated")
    return buf


def read_records(f: BinaryIO, name: str = "<shard>") -> Iterator[bytes]:
    """Yield the data of each record in ``f``, verifying both checksums of every record.

    Raises:
      CorruptRecordError: a truncated file or a checksum mismatch, naming ``name`` and the record index.
    """
    index = 0
    while True:
        head = f.read(_LENGTH.size)
        if not head:
            return
        if len(head) != _LENGTH.size:
            raise CorruptRecordError(f"{name}: record {index} is cut short (length field); the shard is truncated")
        (length_crc,) = _CRC.unpack(_read_exact(f, _CRC.size, name, index, "length checksum"))
        if masked_crc(head) != length_crc:
            raise CorruptRecordError(f"{name}: record {index} has a bad length checksum; the shard is corrupt")
        (length,) = _LENGTH.unpack(head)
        data = _read_exact(f, length, name, index, "data")
        (data_crc,) = _CRC.unpack(_read_exact(f, _CRC.size, name, index, "data checksum"))
        if masked_crc(data) != data_crc:
            raise CorruptRecordError(f"{name}: record {index} has a bad data checksum; the shard is corrupt")
        yield data
        index += 1
