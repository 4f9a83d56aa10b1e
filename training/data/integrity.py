"""Is a shard safe to hand to tf.data, and which shard broke when reading failed.

TensorFlow's TFRecord reader trusts any length field that passes its checksum: a crafted or
faulty length of 40 GiB makes it allocate that much and crash the process (a segmentation fault,
no message). So no shard reaches ``tf.data`` before :func:`check_framing` has run
:mod:`blurgen.shards.framing`'s header pass over it (every length checked against its checksum, the rest
of the file and the ceiling for one record, 12 bytes read per record, shards in parallel, ``gs://``
through ``tf.io.gfile``). A shard that fails it is refused with :class:`CorruptShardError` (one line
naming the shard, record, byte offset and what to do) before training starts, or, with
``ignore_errors``, is read only up to its damage. A damaged record that passes the pass (a bad data
checksum) stops ``tf.data`` with a ``DataLossError`` that names no file: :func:`iterate_checked`
and :func:`corrupt_shard_error` turn it into the same error, naming the shard.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import tensorflow as tf

from blurgen.shards import framing

log = logging.getLogger("training.data.shards")


class CorruptShardError(ValueError):
    """A shard that cannot be read to its end; the message names it and says what to do."""


def _open_shard(path: str):
    # Local files unbuffered (a header costs one small read); anything else (gs://) through gfile.
    return tf.io.gfile.GFile(path, "rb") if "://" in path else open(path, "rb", buffering=0)


def _shard_size(path: str) -> int:
    return tf.io.gfile.stat(path).length if "://" in path else os.path.getsize(path)


def framing_reports(files: Sequence[str]) -> list[framing.Framing]:
    """:func:`blurgen.shards.framing.check_shards` over ``files`` (in parallel, through ``tf.io.gfile``
    where a path is a URL): per shard, how many records are soundly framed and what is wrong next.

    Raises:
      ValueError: a shard that cannot be read, or a bad ``BLURGEN_MAX_RECORD_MIB``.
    """
    return framing.check_shards(list(files), _open_shard, _shard_size,
                                unreadable=(OSError, tf.errors.OpError))


def check_framing(files: Sequence[str], ignore_errors: bool = False) -> list[int]:
    """The header pass that must precede every ``tf.data`` read of ``files``.

    Returns:
      Per shard, how many records ``tf.data`` may read: -1 (all) for a sound shard; with
      ``ignore_errors``, those before the first damaged record (a warning names the damage).

    Raises:
      CorruptShardError: without ``ignore_errors``, naming every damaged shard, the record, its
        byte offset and what is wrong, on one line.
    """
    reports = framing_reports(files)
    bad = [r for r in reports if not r.ok]
    if bad and not ignore_errors:
        lines = "; ".join(f"{r.shard}: {r.error.reason}" for r in bad)
        raise CorruptShardError(f"corrupt shard(s): {lines}. Rebuild them, remove them from the pattern, or pass "
                                "--ignore-errors to read each only up to its damage")
    for r in bad:
        log.warning("%s: %s; reading only the %d record(s) before it", r.shard, r.error.reason, r.records)
    return [-1 if r.ok else r.records for r in reports]


@dataclass(frozen=True)
class ShardReport:
    """What :func:`scan_shards` found in one shard: records readable, and the error that ended it."""

    path: str
    records: int
    error: str | None = None


def scan_shards(files: Iterable[str]) -> list[ShardReport]:
    """Read every record of every shard (no decoding) and report where each one breaks, if it
    does: the header pass first, then ``tf.data`` over the records it approved (which checks
    their data checksums)."""
    files = list(files)
    reports = []
    for path, found in zip(files, framing_reports(files)):
        n, error = 0, None
        it = iter(tf.data.TFRecordDataset(path).take(found.records))
        while True:
            try:
                next(it)
            except StopIteration:
                break
            except tf.errors.OpError as exc:
                error = _read_error(exc, n)
                break
            n += 1
        if error is None and not found.ok:
            error = found.error.reason
        reports.append(ShardReport(path, n, error))
    return reports


def _read_error(exc: tf.errors.OpError, index: int) -> str:
    """tf.data's error at record ``index`` of a shard, in the words of the header pass's errors.
    Past that pass, a DataLossError ("corrupted record at OFFSET") is a bad data checksum."""
    text = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]|name:\s*$", "", exc.message).strip()
    text = " ".join(text.split())
    found = re.fullmatch(r"corrupted record at (\d+)", text)
    if isinstance(exc, tf.errors.DataLossError) and found:
        return f"record {index} at byte {int(found[1]):,} has a bad data checksum (DataLossError: {text})"
    return f"record {index}: {type(exc).__name__}: {text}"


def corrupt_shard_error(files: Sequence[str], exc: Exception) -> CorruptShardError:
    """The error to raise when reading failed: scans ``files`` to name the broken shard(s)."""
    bad = [r for r in scan_shards(files) if r.error]
    if not bad:
        return CorruptShardError(f"reading the shards failed ({exc}) but every shard reads to its end on a "
                                 "second look; check the storage and try again")
    lines = "; ".join(f"{r.path}: {r.error} after {r.records} good records" for r in bad)
    return CorruptShardError(f"corrupt shard(s): {lines}. Rebuild them, remove them from the pattern, "
                             "or pass --ignore-errors to skip the rest of a broken shard")


def iterate_checked(ds: tf.data.Dataset, files: Sequence[str]):
    """Iterate ``ds`` eagerly, turning a ``DataLossError`` into a :class:`CorruptShardError` naming the shard."""
    it = iter(ds)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except tf.errors.DataLossError as exc:
            raise corrupt_shard_error(files, exc) from exc
        yield item
