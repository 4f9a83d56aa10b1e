"""Read blurgen shards without TensorFlow: the core of the PyTorch and Hugging Face readers.

Everything a reader outside tf.data needs, in plain Python and numpy, so that it is tested
without torch: list shard files from globs (local, or any URL ``fsspec`` reads, such as
``gs://`` with ``gcsfs``), give each reader process its share of the files, read every record
with both CRC32C checksums verified and every length checked against the file before its data
is read (a corrupt record is a :class:`~blurgen.shards.framing.CorruptRecordError` naming its
shard, record and byte offset), decode the pair, and cut the same random crop and flip from both
images. :mod:`blurgen.torchdata` wraps this in a ``torch.utils.data.IterableDataset``;
:func:`iter_examples` is the generator the Hugging Face recipe in the README hands to
``datasets.Dataset.from_generator``.

It parses Examples with the ``tfrecord`` package's protos (:mod:`blurgen.shards.examples`), so it
cannot share a process with TensorFlow.
"""
from __future__ import annotations

import glob
import os
from typing import Any, BinaryIO, Iterator, Sequence

import numpy as np

from blurgen.images import decode_image
from blurgen.shards import framing, schema
from blurgen.shards.examples import decode_example, params_json

DEFAULT_SHUFFLE_BUFFER = 256


def _is_url(path: str) -> bool:
    return "://" in path


def _remote(url: str):
    """The ``fsspec`` file system of ``url`` (``gs://`` needs ``gcsfs``, ``s3://`` ``s3fs``)."""
    try:
        import fsspec
        return fsspec.core.url_to_fs(url)[0]
    except ImportError as exc:
        raise ValueError(f"{url}: reading shards from a URL needs fsspec and the package of its file system "
                         f"(pip install fsspec gcsfs for gs://): {exc}") from None


def list_shards(patterns: str | Sequence[str]) -> list[str]:
    """The shard files of comma-separated globs (or a list of them), sorted, without duplicates.

    Only files named as shards count (:data:`blurgen.shards.schema.SHARD_NAMING`); sidecar files that a
    glob also matches (``.idx`` indexes) are left out. ``gs://`` and other URLs are listed through
    ``fsspec``.

    Raises:
      ValueError: a glob that matches no shard, naming it and the file names expected.
    """
    if isinstance(patterns, str):
        patterns = [p for p in patterns.split(",") if p]
    found: list[str] = []
    for pattern in patterns:
        if _is_url(pattern):
            fs = _remote(pattern)
            matched = [fs.unstrip_protocol(p) for p in fs.glob(pattern)]
        else:
            matched = glob.glob(os.path.expanduser(pattern))
        shards = sorted(p for p in matched if schema.is_shard_name(p) and not os.path.isdir(p))
        if not shards:
            raise ValueError(f"{pattern}: no shard matches; pass a glob of shard files named "
                             f"{schema.SHARD_NAMING}, e.g. 'out/*-train.tfrecord-*'")
        found += shards
    return sorted(set(found))


def open_shard(path: str) -> BinaryIO:
    """A shard opened for reading as bytes (a local file, or a URL through ``fsspec``)."""
    if _is_url(path):
        return _remote(path).open(path, "rb")
    return open(path, "rb")


def read_records(path: str, max_record: int | None = None) -> Iterator[bytes]:
    """Each record's bytes, both checksums verified and no length trusted beyond the file's end or
    the ceiling for one record (``max_record`` bytes, see :func:`blurgen.shards.framing.max_record_bytes`);
    ``CorruptRecordError`` names the shard, the record and its byte offset."""
    with open_shard(path) as f:
        yield from framing.read_records(f, path, max_record=max_record)


def epoch_order(files: Sequence[str], seed: int, epoch: int, shuffle: bool) -> list[str]:
    """The files in the order of one epoch: as given, or permuted by ``(seed, epoch)``. Every
    reader process computes the same order, so splitting it among them loses and repeats nothing."""
    files = list(files)
    if shuffle:
        order = np.random.default_rng([seed, epoch]).permutation(len(files))
        files = [files[i] for i in order]
    return files


def share(files: Sequence[str], part: int, parts: int) -> tuple[list[str], int, int]:
    """What reader ``part`` of ``parts`` reads: ``(files, stride, offset)``.

    With at least as many files as readers, each reader gets whole files (every ``parts``-th) and
    keeps all their records (stride 1). With fewer files, every reader reads every file and keeps
    the records whose index within the file is ``offset`` modulo ``stride``, so that no reader
    sits idle. Either way, each record goes to exactly one reader.
    """
    if not 0 <= part < parts:
        raise ValueError(f"reader {part} of {parts} does not exist")
    if len(files) >= parts:
        return list(files[part::parts]), 1, 0
    return list(files), parts, part


def decode_pair(data: bytes, shard: str, index: int | None = None) -> dict[str, Any]:
    """One record as Python values: ``key`` (str), ``blurred`` and ``sharp`` (HxWx3 RGB uint8,
    pixels as stored, as tf.data decodes them), ``kernel`` (float32 ``kernel_shape`` array, or
    None for a real pair), ``source`` and ``params`` (dict).

    Raises:
      ValueError: a record that is not a blurgen Example (naming ``shard`` and record ``index``),
        or an image that cannot be decoded (naming the record's key).
    """
    try:
        ex = decode_example(data)
    except Exception as exc:  # noqa: BLE001 - whatever the bytes hold, the finding is the same
        where = shard if index is None else f"{shard}: record {index}"
        raise ValueError(f"{where} is not a blurgen pair ({type(exc).__name__}: {_one_line(exc)}); "
                         "is this a dataset of another tool? Check the shard with blurgen inspect") from None
    name = f"{shard} record {ex[schema.KEY]!r}"
    return {"key": ex[schema.KEY],
            "blurred": decode_image(ex[schema.BLURRED], f"{name} (blurred)", orientation=False),
            "sharp": decode_image(ex[schema.SHARP], f"{name} (sharp)", orientation=False),
            "kernel": ex[schema.KERNEL], "source": ex[schema.SOURCE], "params": ex[schema.PARAMS]}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or "no message"


def pad_to(img: np.ndarray, crop: int) -> np.ndarray:
    """Mirror-pad (edge pixel repeated) each side shorter than ``crop`` up to ``crop``, about
    equally on both ends, exactly as the trainer's tf.data input does; any side >= 1 px."""
    for axis in (0, 1):
        n = img.shape[axis]
        need = max(crop - n, 0)
        if need:
            idx = np.arange(-(need // 2), n + need - need // 2) % (2 * n)
            idx = np.where(idx >= n, 2 * n - 1 - idx, idx)
            img = np.take(img, idx, axis=axis)
    return img


def aligned_crop(blurred: np.ndarray, sharp: np.ndarray, crop: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The same random ``crop`` x ``crop`` window and horizontal flip of both images (HxWx3 of
    one size; smaller images are mirror-padded first), so the pair stays pixel-aligned."""
    if blurred.shape != sharp.shape:
        raise ValueError(f"the images of a pair differ in size: {blurred.shape} and {sharp.shape}")
    blurred, sharp = pad_to(blurred, crop), pad_to(sharp, crop)
    h, w = blurred.shape[:2]
    top, left = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    flip = bool(rng.random() < 0.5)
    step = -1 if flip else 1
    return (np.ascontiguousarray(blurred[top:top + crop, left:left + crop][:, ::step]),
            np.ascontiguousarray(sharp[top:top + crop, left:left + crop][:, ::step]))


def _mixed(items: Iterator[Any], buffer: int, rng: np.random.Generator) -> Iterator[Any]:
    """``items`` in a random order drawn through a buffer of ``buffer`` elements."""
    pool: list[Any] = []
    for item in items:
        if len(pool) < buffer:
            pool.append(item)
            continue
        i = int(rng.integers(len(pool)))
        pool[i], item = item, pool[i]
        yield item
    rng.shuffle(pool)
    yield from pool


def iter_pairs(files: Sequence[str], crop: int | None = None, seed: int = 0, epoch: int = 0,
               shuffle: bool = False, part: int = 0, parts: int = 1,
               shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
               max_record: int | None = None) -> Iterator[dict[str, Any]]:
    """The pairs reader ``part`` of ``parts`` yields in one epoch, as :func:`decode_pair` dicts.

    ``crop`` cuts an aligned random window and flip (:func:`aligned_crop`); None keeps whole
    images. ``shuffle`` permutes the files per epoch and mixes records through a buffer of
    ``shuffle_buffer``. ``max_record`` is the most bytes one record may claim
    (:func:`blurgen.shards.framing.max_record_bytes`). Randomness comes from ``(seed, epoch, part)``
    only: the same arguments give the same pairs in the same order.
    """
    mine, stride, offset = share(epoch_order(files, seed, epoch, shuffle), part, parts)
    rng = np.random.default_rng([seed, epoch, part, parts])

    def records_of_mine() -> Iterator[tuple[str, int, bytes]]:
        for path in mine:
            for index, data in enumerate(read_records(path, max_record)):
                if index % stride == offset:
                    yield path, index, data

    stream = _mixed(records_of_mine(), shuffle_buffer, rng) if shuffle else records_of_mine()
    for path, index, data in stream:
        pair = decode_pair(data, path, index)
        if crop is not None:
            pair["blurred"], pair["sharp"] = aligned_crop(pair["blurred"], pair["sharp"], crop, rng)
        yield pair


def iter_examples(files: Sequence[str], crop: int | None = None, seed: int = 0,
                  max_record: int | None = None) -> Iterator[dict[str, Any]]:
    """Rows for ``datasets.Dataset.from_generator``: ``key``, ``blurred``, ``sharp`` (HxWx3
    uint8), ``kernel`` (a list of rows, empty for a real pair), ``source`` and ``params`` (JSON
    text). Hugging Face splits ``files`` among its processes (``num_proc``) when they are passed
    in ``gen_kwargs``, as list arguments are."""
    for pair in iter_pairs(list(files), crop=crop, seed=seed, max_record=max_record):
        kernel = pair["kernel"]
        yield {"key": pair["key"], "blurred": pair["blurred"], "sharp": pair["sharp"],
               "kernel": [] if kernel is None else kernel.tolist(), "source": pair["source"],
               "params": params_json(pair["params"])}
