"""Shards to tensors: aligned random crops for training, whole images for scoring.

Images leave this module as float32 in [-1, 1], HxWx3 RGB (grey shards are expanded to three
channels), which is what the generator takes; :func:`to_uint8` goes back. Shards are found with
``tf.io.gfile.glob``, so ``gs://`` patterns work like local ones. Field names come from
:mod:`blurgen.shards.schema`, the one place the pipelines' writer also takes them from.

No shard reaches ``tf.data`` before the header pass of :mod:`training.data.integrity` has checked its
framing (TensorFlow's reader trusts any length that passes its checksum, and a crafted one crashes
it). A damaged shard stops reading with :class:`CorruptShardError`, which names the shard, the
record and its byte offset; with ``ignore_errors=True`` each damaged shard is read up to its damage
instead, and :func:`scan_shards` says how many records survived in each shard.
"""
from __future__ import annotations

import logging
from typing import Sequence

import tensorflow as tf

from blurgen.shards import schema
# The shard checks are part of this module's interface (fit, score and the tests use data.NAME).
from training.data.integrity import (CorruptShardError, ShardReport, check_framing, corrupt_shard_error,  # noqa: F401
                                framing_reports, iterate_checked, scan_shards)

AUTOTUNE = tf.data.AUTOTUNE
MAX_OPEN_SHARDS = 64  # shards read at once (each holds a 1 MiB read buffer)
log = logging.getLogger("training.data.shards")


def _feature_spec() -> dict[str, object]:
    kinds = {schema.BYTES: tf.string, schema.INT64: tf.int64, schema.FLOAT: tf.float32}
    spec = {}
    for f in schema.FIELDS:
        if f.length == schema.FIXED:
            spec[f.name] = tf.io.FixedLenFeature([], kinds[f.kind])
        else:
            spec[f.name] = tf.io.VarLenFeature(kinds[f.kind])
    return spec


FEATURE_SPEC = _feature_spec()
# Only what training and scoring need; parsing fewer fields is cheaper.
_PAIR_FIELDS = (schema.KEY, schema.BLURRED, schema.SHARP)


def _has_wildcard(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def list_shards(patterns: str | Sequence[str]) -> list[str]:
    """Sorted shard paths matching one or more glob patterns (comma-separated in one string works too).

    A glob takes only the files named as shards (:func:`blurgen.shards.schema.is_shard_name`), so
    tfrecord2idx's ``*.tfrecord-00000-of-00008.idx`` indexes beside the shards are left out (with a
    warning saying how many); a path without wildcards is taken as given.

    Raises:
      ValueError: a pattern matches nothing, matches no shard, or is a folder.
    """
    if isinstance(patterns, str):
        patterns = [p for p in patterns.split(",") if p]
    files: set[str] = set()
    for pattern in patterns:
        found = tf.io.gfile.glob(pattern)
        if not found:
            raise ValueError(f"no shard matches {pattern!r}; check the path (quote it so the shell does not expand it)")
        if not _has_wildcard(pattern) and tf.io.gfile.isdir(pattern):
            raise ValueError(f"{pattern} is a folder, not a shard; pass a glob of the shards in it, "
                             f"e.g. '{pattern.rstrip('/')}/*-train.tfrecord-*'")
        if _has_wildcard(pattern):
            shards = [f for f in found if schema.is_shard_name(f)]
            others = sorted(set(found) - set(shards))
            if not shards:
                raise ValueError(f"{pattern!r} matches {len(found)} file(s) but no shard (e.g. {others[0]}); shards "
                                 f"are named {schema.SHARD_NAMING}: check the glob, or name a file without wildcards")
            if others:
                log.warning("%r also matches %d file(s) that are not shards (e.g. %s); they are not read",
                            pattern, len(others), others[0])
            found = shards
        files.update(found)
    return sorted(files)


def check_schema(files: Sequence[str], readable: Sequence[int] | None = None) -> None:
    """Parse the first record of every shard (read in parallel) with the fields training needs.

    ``readable`` is :func:`check_framing`'s answer for ``files`` (run here where None): shards
    whose first record is damaged are left out, to the reading itself, which names them.

    Raises:
      ValueError: naming the first shard whose records are of another schema (another tool's
        dataset, or not Examples at all) and the features it holds.
    """
    if readable is None:
        readable = check_framing(files, ignore_errors=True)
    files = [f for f, n in zip(files, readable) if n != 0]
    if not files:
        return
    spec = {k: FEATURE_SPEC[k] for k in _PAIR_FIELDS}

    def first(path):
        one = tf.data.TFRecordDataset(path).take(1).ignore_errors()
        return tf.data.Dataset.zip((tf.data.Dataset.from_tensors(path).repeat(), one))

    firsts = tf.data.Dataset.from_tensor_slices(list(files)).interleave(
        first, cycle_length=min(len(files), 16) or 1, num_parallel_calls=AUTOTUNE, deterministic=True)
    for path, record in firsts:
        try:
            tf.io.parse_single_example(record, spec)
        except tf.errors.InvalidArgumentError:
            raise ValueError(f"{path.numpy().decode()}: not a blurgen shard ({_features_of(record.numpy())}, "
                             f"training needs {list(_PAIR_FIELDS)}, all bytes); pass shards written by "
                             "`blurgen synth` or `blurgen pairs`") from None


def _features_of(record: bytes) -> str:
    try:
        example = tf.train.Example.FromString(record)
    except Exception:  # noqa: BLE001 - any parse failure means the same thing here
        return "its records are not tf.train.Example protos"
    kinds = {name: f.WhichOneof("kind") for name, f in example.features.feature.items()}
    return "its records hold " + (", ".join(f"{n} ({k})" for n, k in sorted(kinds.items())) or "no features")


def parse_pair(record: tf.Tensor) -> dict[str, tf.Tensor]:
    """One serialized Example to ``{"key": string, "blurred": string, "sharp": string}`` (still encoded)."""
    spec = {k: FEATURE_SPEC[k] for k in _PAIR_FIELDS}
    return tf.io.parse_single_example(record, spec)


def decode(data: tf.Tensor) -> tf.Tensor:
    """Encoded PNG or JPEG bytes to HxWx3 uint8 RGB (grey expanded).

    JPEG uses the accurate integer IDCT: it gives exactly OpenCV's (``blurgen.images``) pixels,
    while TensorFlow's default fast IDCT differs by about 1 level on average (up to 16), which
    would move the blurry input's scores away from what the rest of blurgen measures.
    """
    img = tf.cond(tf.io.is_jpeg(data),
                  lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
                  lambda: tf.io.decode_png(data, channels=3))
    img.set_shape([None, None, 3])
    return img


def to_float(img: tf.Tensor) -> tf.Tensor:
    """uint8 [0, 255] to float32 [-1, 1]."""
    return tf.cast(img, tf.float32) / 127.5 - 1.0


def to_uint8(img: tf.Tensor) -> tf.Tensor:
    """float [-1, 1] to uint8 [0, 255], rounded and clipped."""
    img = tf.cast(img, tf.float32)
    return tf.cast(tf.clip_by_value(tf.round((img + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def random_pair_crop(blurred: tf.Tensor, sharp: tf.Tensor, crop: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The same random ``crop`` x ``crop`` window and horizontal flip for both images of a pair.

    Args:
      blurred, sharp: HxWx3 images of one dtype, the same size, any H and W >= 1 (a side shorter
        than ``crop`` is mirror-padded up to it first, the same way for both).
      seed: shape [2] int tensor; the same seed gives the same window and flip.

    Returns:
      Two ``crop`` x ``crop`` x 3 tensors, pixel-aligned as the inputs were.
    """
    tf.debugging.assert_equal(tf.shape(blurred), tf.shape(sharp), message="blurred and sharp images differ in size")
    blurred, sharp = _pad_to(blurred, crop), _pad_to(sharp, crop)
    h, w = tf.shape(sharp)[0], tf.shape(sharp)[1]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    # One window and one flip decision, applied to both: the pair stays aligned by construction.
    # (Slicing each image costs less than stacking the two full images into one first.)
    top = tf.random.stateless_uniform([], seeds[0], 0, h - crop + 1, dtype=tf.int32)
    left = tf.random.stateless_uniform([], seeds[1], 0, w - crop + 1, dtype=tf.int32)
    flip = tf.random.stateless_uniform([], seeds[2]) < 0.5

    def window(img):
        img = img[top:top + crop, left:left + crop]
        img = tf.cond(flip, lambda: img[:, ::-1], lambda: img)
        return tf.ensure_shape(img, [crop, crop, 3])

    return window(blurred), window(sharp)


def _pad_to(img: tf.Tensor, crop: int) -> tf.Tensor:
    """Mirror-pad (edge pixel repeated, like ``tf.pad`` SYMMETRIC) a side shorter than ``crop`` up
    to ``crop``, about equally on both ends. Works for any side >= 1 px: ``tf.pad`` cannot pad by
    more than the side's length, so the mirrored indices are computed (period ``2 * side``) and
    gathered instead. The result depends only on the image's shape, so both images of a pair get
    the same padding."""
    for axis in (0, 1):
        n = tf.shape(img)[axis]
        need = tf.maximum(crop - n, 0)
        idx = tf.range(-(need // 2), n + need - need // 2) % (2 * n)
        idx = tf.where(idx >= n, 2 * n - 1 - idx, idx)
        img = tf.gather(img, idx, axis=axis)
    return img


def _records(files: Sequence[str], shuffle: bool, ignore_errors: bool, seed: int | None,
             readable: Sequence[int]) -> tf.data.Dataset:
    """The records of ``files``, each shard read no further than :func:`check_framing` allows
    (``readable``: -1 for all), so that tf.data never meets a header the pass has not approved."""
    ds = tf.data.Dataset.from_tensor_slices((list(files), tf.constant(list(readable), tf.int64)))
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)

    def one_file(path, count):
        d = tf.data.TFRecordDataset(path, buffer_size=1 << 20).take(count)
        return d.ignore_errors() if ignore_errors else d

    # Deterministic order: with the seeded shuffles and per-element crop seeds, the same seed gives
    # the same batches in every run (parallel reads and decodes still overlap). Reading many shards
    # at once, one record from each in turn, mixes photos across shards; within a shard the
    # pipelines' record order (blurgen.shards.schema.record_order) already scatters each photo's records.
    return ds.interleave(one_file, cycle_length=min(len(files), MAX_OPEN_SHARDS), block_length=1,
                         num_parallel_calls=AUTOTUNE, deterministic=True)


# Hold-out buckets: a record belongs to the validation part when its hash bucket is below
# fraction x HOLDOUT_BUCKETS.
HOLDOUT_BUCKETS = 1_000_000
HOLDOUT_BY = ("source", "key")


def holdout_mask(keys: tf.Tensor, fraction: float, by: str = "source") -> tf.Tensor:
    """Whether each pair (by its ``key``, string tensor of any shape) belongs to the held-out part.

    ``by="source"`` hashes the part of the key before ``#`` (the photo: every variant and patch of
    one photo falls on the same side), ``"key"`` the whole key (each pair on its own). The hash is
    TensorFlow's FarmHash fingerprint, the same on every machine and run, so the split is fixed by
    the keys alone and a record never changes side when others are added.
    """
    if by not in HOLDOUT_BY:
        raise ValueError(f"holdout by must be one of {HOLDOUT_BY}, got {by!r}")
    names = tf.strings.regex_replace(keys, "#.*$", "") if by == "source" else keys
    buckets = tf.strings.to_hash_bucket_fast(names, HOLDOUT_BUCKETS)
    return buckets < int(round(fraction * HOLDOUT_BUCKETS))


def holdout_filter(fraction: float, by: str, held: bool):
    """A ``tf.data`` predicate on serialized records: true for the pairs in the held-out part
    (``held``) or for the others (:func:`holdout_mask`); parses only the key."""
    key_spec = {schema.KEY: FEATURE_SPEC[schema.KEY]}

    def keep(record):
        key = tf.io.parse_single_example(record, key_spec)[schema.KEY]
        return tf.equal(holdout_mask(key, fraction, by), held)
    return keep


def train_dataset(patterns: str | Sequence[str], batch: int, crop: int, shuffle_buffer: int = 256,
                  seed: int = 0, ignore_errors: bool = False, repeat: bool = True,
                  holdout: tuple[float, str, bool] | None = None) -> tf.data.Dataset:
    """Endless batches of ``(blurred, sharp)``, each ``[batch, crop, crop, 3]`` float32 in [-1, 1].

    Shards are read in parallel (interleave), records shuffled, then parsed and decoded in
    parallel; each pair gets one random crop and flip shared by both images.
    ``holdout=(fraction, by, held)`` keeps only the pairs of the held-out part (``held`` true) or
    only the others (:func:`holdout_mask`), before anything is decoded.
    """
    files = list_shards(patterns)
    readable = check_framing(files, ignore_errors)
    check_schema(files, readable)
    ds = _records(files, shuffle=True, ignore_errors=ignore_errors, seed=seed, readable=readable)
    if holdout is not None:
        ds = ds.filter(holdout_filter(*holdout))
    # Shuffle serialized records (small) before decoding (large), and before repeat so that
    # every epoch boundary still mixes.
    ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    # A counter gives each element its own stateless seed: reproducible, and safe in parallel map.
    counter = tf.data.Dataset.counter()
    ds = tf.data.Dataset.zip((ds, counter))

    def prepare(record, index):
        ex = parse_pair(record)
        blurred, sharp = decode(ex[schema.BLURRED]), decode(ex[schema.SHARP])
        b, s = random_pair_crop(blurred, sharp, crop, tf.stack([tf.cast(seed, tf.int64), index]))
        return to_float(b), to_float(s)

    ds = ds.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    if ignore_errors:
        ds = ds.ignore_errors()  # undecodable images too
    return ds.batch(batch, drop_remainder=True).prefetch(AUTOTUNE)


def eval_dataset(patterns: str | Sequence[str], ignore_errors: bool = False) -> tf.data.Dataset:
    """Whole pairs one at a time, in a fixed order: ``{"key", "blurred", "sharp", "index"}``, images
    HxWx3 uint8; ``index`` is the record's position among the readable records (with
    ``ignore_errors`` the gaps are the undecodable ones)."""
    files = list_shards(patterns)
    readable = check_framing(files, ignore_errors)
    check_schema(files, readable)
    ds = _records(files, shuffle=False, ignore_errors=ignore_errors, seed=None, readable=readable)
    ds = tf.data.Dataset.zip((ds, tf.data.Dataset.counter()))

    def prepare(record, index):
        ex = parse_pair(record)
        return {"key": ex[schema.KEY], "blurred": decode(ex[schema.BLURRED]), "sharp": decode(ex[schema.SHARP]),
                "index": index}

    ds = ds.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    if ignore_errors:
        ds = ds.ignore_errors()
    return ds.prefetch(2)


def shard_pairs(pattern: str, ignore_errors: bool = False, limit: int | None = None, skipped: dict | None = None):
    """``(key, blurred, sharp)`` from shards, whole images, in a fixed order.

    With ``ignore_errors`` and a ``skipped`` dict, that dict is filled once reading stops with what
    was skipped: ``records`` (readable records whose images could not be decoded, up to where
    reading stopped) and ``shards`` (each shard cut short by corruption: the records read before
    the damage and the error; the rest of such a shard cannot be counted).
    """
    files = list_shards(pattern)
    yielded, last = 0, -1
    for ex in iterate_checked(eval_dataset(files, ignore_errors), files):
        if limit is not None and yielded >= limit:
            break
        yielded, last = yielded + 1, int(ex["index"])
        yield ex["key"].numpy().decode("utf-8"), ex["blurred"].numpy(), ex["sharp"].numpy()
    else:
        last = None  # read to the end: every readable record was seen
    if ignore_errors and skipped is not None:
        scans = scan_shards(files)
        seen = sum(r.records for r in scans) if last is None else last + 1
        skipped.update(records=seen - yielded,
                       shards=[{"shard": r.path, "records_read": r.records, "error": r.error} for r in scans if r.error])
