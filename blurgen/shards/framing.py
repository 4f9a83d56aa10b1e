"""TFRecord framing: how a record lies in a shard, and the checks every reader makes before trusting it.

A TFRecord file is a sequence of records, each framed as::

    uint64 length (little-endian) | uint32 masked_crc32c(length) | data (length bytes) | uint32 masked_crc32c(data)

This is the one module that knows that layout. It is plain Python and ``google_crc32c``, with
neither TensorFlow nor the ``tfrecord`` package, so both sides use it: the pipelines' reader (and
``inspect``, the PyTorch and Hugging Face readers above it) reads records through
:func:`read_records`, and the trainer runs :func:`check_shards` over every shard before
``tf.data`` opens one.

Why a header pass before TensorFlow: ``tf.data.TFRecordDataset`` trusts a length field that
passes its checksum. A faulty writer or a crafted file that says 40 GiB makes it allocate that
much and crash the process (a segmentation fault, no message). The pass seeks from header to
header, reads only the 12-byte headers, verifies each length's checksum, and checks that the
data and its checksum fit in what is left of the file and under a ceiling for one record; it
reads no data, so it costs a small fraction of reading the shard.

The ceiling (:data:`DEFAULT_MAX_RECORD_MIB`, 256 MiB) bounds what one record may claim even in a
file large enough to hold it, so that no reader allocates more than that for one record. A
blurgen record holds two encoded images: a pair of 24-megapixel PNGs is about 150 MiB. Larger
records need ``BLURGEN_MAX_RECORD_MIB`` set (or the ``max_record`` argument of the readers).
"""
from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Sequence

import google_crc32c

HEADER_BYTES = 12  # uint64 length + uint32 masked CRC of the length
FOOTER_BYTES = 4  # uint32 masked CRC of the data
DEFAULT_MAX_RECORD_MIB = 256
MAX_RECORD_ENV = "BLURGEN_MAX_RECORD_MIB"
ADVICE = "the shard is damaged: write it again (or restore a good copy) or leave it out"
_MASK_DELTA = 0xA282EAD8
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


class CorruptRecordError(ValueError):
    """A record whose framing or checksums are wrong. The one-line message names the shard, the
    record's index and byte offset, what is wrong and what to do; ``reason`` (set by
    :func:`corrupt`) is the same without the shard's name and the advice."""

    reason: str = ""


def corrupt(shard: str, index: int, offset: int, problem: str, advice: str = ADVICE) -> CorruptRecordError:
    """The error for record ``index`` at byte ``offset`` of ``shard``. It is built from one string
    (as any ValueError) so that it survives pickling and re-raising in another process."""
    reason = f"record {index} at byte {offset:,} {problem}"
    err = CorruptRecordError(f"{shard}: {reason}; {advice}")
    err.reason = reason
    return err


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC32C: rotate right by 15 bits, add a constant (mod 2**32)."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One record's bytes on disk, framing included."""
    length = _LENGTH.pack(len(data))
    return b"".join((length, _CRC.pack(masked_crc(length)), data, _CRC.pack(masked_crc(data))))


def header(length: int, valid: bool = True) -> bytes:
    """The 12 header bytes of a record of ``length`` (any uint64), with its length checksum
    correct or (``valid=False``) off by one."""
    raw = _LENGTH.pack(length)
    return raw + _CRC.pack((masked_crc(raw) + (0 if valid else 1)) & 0xFFFFFFFF)


def max_record_bytes(max_record: int | None = None) -> int:
    """The most bytes one record may claim: ``max_record`` where given, else
    ``$BLURGEN_MAX_RECORD_MIB`` MiB where set, else :data:`DEFAULT_MAX_RECORD_MIB` MiB.

    Raises:
      ValueError: a ceiling that is not a positive whole number, naming where it came from.
    """
    if max_record is not None:
        if isinstance(max_record, bool) or not isinstance(max_record, int) or max_record < 1:
            raise ValueError(f"max_record must be a positive number of bytes, got {max_record!r}")
        return max_record
    text = os.environ.get(MAX_RECORD_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_RECORD_MIB << 20
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_RECORD_ENV}={text!r}: the most MiB one record may hold must be a positive "
                         f"whole number (e.g. 1024); unset it for the default {DEFAULT_MAX_RECORD_MIB}")
    return int(text) << 20


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def check_header(head: bytes, shard: str, index: int, offset: int, left: int | None, ceiling: int) -> int:
    """The data length of the record whose header ``head`` starts at ``offset``, once it is safe
    to read: the header is whole, its length checksum holds, and the data and its checksum fit in
    the ``left`` bytes after the header (None where the file's size is unknown) and under
    ``ceiling``.

    Raises:
      CorruptRecordError: naming what is wrong.
    """
    if len(head) < HEADER_BYTES:
        raise corrupt(shard, index, offset, f"is cut short (header: {len(head)} of {HEADER_BYTES} bytes); "
                      "the file ends inside a record's header")
    if masked_crc(head[:8]) != _CRC.unpack_from(head, 8)[0]:
        raise corrupt(shard, index, offset, "has a bad length checksum")
    (length,) = _LENGTH.unpack_from(head)
    if left is not None and length > left - FOOTER_BYTES:
        raise corrupt(shard, index, offset, f"claims {length:,} bytes of data, but {max(left - FOOTER_BYTES, 0):,} "
                      "are left in the file (a corrupt length, or a truncated file)")
    if length > ceiling:
        raise corrupt(shard, index, offset, f"claims {_mib(length)}, more than the {_mib(ceiling)} one record "
                      f"may hold (if records this large are real, set {MAX_RECORD_ENV} higher)")
    return length


def size_of(f: BinaryIO) -> int | None:
    """The size in bytes of the open file ``f`` (a local file or a seekable stream), or None."""
    try:
        return os.fstat(f.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = f.tell()
        end = f.seek(0, os.SEEK_END)
        f.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def read_records(f: BinaryIO, shard: str = "<shard>", size: int | None = None,
                 max_record: int | None = None) -> Iterator[bytes]:
    """Yield the data of each record of ``f`` from where it stands, both checksums verified, each
    length checked before its data is read (so no read is larger than the file or the ceiling).

    Args:
      size: the file's size in bytes; found from ``f`` where None (:func:`size_of`).
      max_record: the ceiling for one record (:func:`max_record_bytes`).

    Raises:
      CorruptRecordError: a truncated file, a length that cannot be right, or a checksum mismatch.
    """
    ceiling = max_record_bytes(max_record)
    try:
        offset = f.tell()
    except (AttributeError, OSError, ValueError):  # a pipe: offsets count from here
        offset = 0
    if size is None:
        size = size_of(f)
    index = 0
    while True:
        head = f.read(HEADER_BYTES)
        if not head:
            return
        left = None if size is None else size - offset - HEADER_BYTES
        length = check_header(head, shard, index, offset, left, ceiling)
        data = f.read(length)
        tail = f.read(FOOTER_BYTES)
        if len(data) != length or len(tail) != FOOTER_BYTES:
            raise corrupt(shard, index, offset, f"is cut short (data and checksum: {len(data) + len(tail):,} "
                          f"of {length + FOOTER_BYTES:,} bytes); the shard is truncated")
        if masked_crc(data) != _CRC.unpack(tail)[0]:
            raise corrupt(shard, index, offset, "has a bad data checksum")
        yield data
        offset += HEADER_BYTES + length + FOOTER_BYTES
        index += 1


@dataclass(frozen=True)
class Framing:
    """What the header pass found in one shard of ``size`` bytes: the first ``records`` records
    are framed soundly, and ``error`` is what is wrong with the next one (None: the whole file is
    sound, and ``records`` is every record in it)."""

    shard: str
    records: int
    size: int
    error: CorruptRecordError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def scan_framing(f: BinaryIO, size: int, shard: str = "<shard>", max_record: int | None = None) -> Framing:
    """The header pass over the open, seekable file ``f`` of ``size`` bytes: from header to
    header, reading 12 bytes each, checking each as :func:`check_header` does. No data is read,
    so the data checksums are left to the reader that reads the data."""
    ceiling = max_record_bytes(max_record)
    read_at = _positional_reader(f)
    offset = index = 0
    while offset < size:
        head = read_at(offset, HEADER_BYTES)
        try:
            length = check_header(head, shard, index, offset, size - offset - HEADER_BYTES, ceiling)
        except CorruptRecordError as err:
            return Framing(shard, index, size, err)
        offset += HEADER_BYTES + length + FOOTER_BYTES
        index += 1
    return Framing(shard, index, size)


def _positional_reader(f: BinaryIO) -> Callable[[int, int], bytes]:
    """``read_at(offset, n)``: one ``pread`` where ``f`` is an OS file (half the system calls of a
    seek and a read: the pass makes one per record), else a seek and a read."""
    try:
        fd = f.fileno()
        os.fstat(fd)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        def read_at(offset: int, n: int) -> bytes:
            f.seek(offset)
            return f.read(n)
        return read_at
    return lambda offset, n: os.pread(fd, n, offset)


def _open_local(path: str) -> BinaryIO:
    return open(path, "rb", buffering=0)  # unbuffered: a header costs one small read, not a buffer's worth


def check_shards(paths: Sequence[str], open_shard: Callable[[str], BinaryIO] = _open_local,
                 shard_size: Callable[[str], int] = os.path.getsize, max_record: int | None = None,
                 workers: int = 16, unreadable: tuple[type[BaseException], ...] = (OSError,)) -> list[Framing]:
    """:func:`scan_framing` of every shard in ``paths``, up to ``workers`` at a time (the pass
    waits on storage, not on the CPU), in the order given.

    ``open_shard`` and ``shard_size`` reach the storage (local files by default; the trainer
    passes ``tf.io.gfile``'s, so ``gs://`` works the same); ``unreadable`` are the exceptions by
    which they say a file cannot be read.

    Raises:
      ValueError: a shard that cannot be opened or read, naming it.
    """
    ceiling = max_record_bytes(max_record)  # a bad setting is reported once, here

    def one(path: str) -> Framing:
        try:
            size = shard_size(path)
            with open_shard(path) as f:
                return scan_framing(f, size, path, ceiling)
        except unreadable as exc:
            text = getattr(exc, "strerror", None) or getattr(exc, "message", None) or str(exc)
            text = " ".join(str(text).split()) or type(exc).__name__  # TF's NotFoundError may say nothing
            raise ValueError(f"{path}: cannot be read ({text}); check that it exists and that you may "
                             "read it") from exc

    if len(paths) <= 1:
        return [one(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(workers, len(paths))) as pool:
        return list(pool.map(one, paths))
