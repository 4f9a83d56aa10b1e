"""The shard schema: one ``tf.train.Example`` per blurred/sharp pair.

This module holds names and types only, so that both sides of the process boundary take them
from one place: ``pipelines/`` builds examples with the ``tfrecord`` package's protos, and
``training/`` parses them with ``tf.io.parse_single_example``. Neither TensorFlow nor
``tfrecord`` is imported here.

Every field is a list in the Example proto. ``FIXED`` fields always hold exactly one value;
``VARLEN`` fields hold zero or more (a real pair has an empty ``kernel`` and ``kernel_shape``).

Conventions of the values:
  * ``blurred`` / ``sharp``: encoded image bytes (PNG by default, JPEG allowed for ``blurred``),
    RGB (or grey), 8 bits per channel, both the same height and width, pixel-aligned.
  * ``kernel``: float32, row-major, ``kernel_shape = [kh, kw]``; the kernel's centre pixel
    ``(kh // 2, kw // 2)`` is the origin of the convolution (``blurred = sharp * kernel``).
  * ``params``: a JSON object (UTF-8) with the degradation parameters that were used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

BYTES = "bytes"
INT64 = "int64"
FLOAT = "float"

FIXED = "fixed"
VARLEN = "varlen"


@dataclass(frozen=True)
class Field:
    """One feature of the Example: its name, value kind and whether it always has one value."""

    name: str
    kind: str  # BYTES, INT64 or FLOAT
    length: str  # FIXED (exactly one value) or VARLEN (zero or more)
    doc: str


KEY = "key"
BLURRED = "blurred"
SHARP = "sharp"
BLURRED_FORMAT = "blurred_format"
SHARP_FORMAT = "sharp_format"
HEIGHT = "height"
WIDTH = "width"
CHANNELS = "channels"
KERNEL = "kernel"
KERNEL_SHAPE = "kernel_shape"
SOURCE = "source"
SEED = "seed"
VARIANT = "variant"
PARAMS = "params"

FIELDS: tuple[Field, ...] = (
    Field(KEY, BYTES, FIXED, "stable unique id of the pair, e.g. 'photos/a.jpg#v0p1'"),
    Field(BLURRED, BYTES, FIXED, "encoded blurred image"),
    Field(SHARP, BYTES, FIXED, "encoded sharp image, pixel-aligned with 'blurred'"),
    Field(BLURRED_FORMAT, BYTES, FIXED, "'png' or 'jpeg'"),
    Field(SHARP_FORMAT, BYTES, FIXED, "'png' or 'jpeg'"),
    Field(HEIGHT, INT64, FIXED, "image height in pixels (both images)"),
    Field(WIDTH, INT64, FIXED, "image width in pixels (both images)"),
    Field(CHANNELS, INT64, FIXED, "3 for RGB, 1 for grey"),
    Field(KERNEL, FLOAT, VARLEN, "blur kernel, float32 row-major; empty for real pairs"),
    Field(KERNEL_SHAPE, INT64, VARLEN, "[kh, kw]; empty for real pairs"),
    Field(SOURCE, BYTES, FIXED, "where the pair came from: input path(s) or dataset name"),
    Field(SEED, INT64, FIXED, "the run's seed (0 for real pairs)"),
    Field(VARIANT, INT64, FIXED, "index of this degradation of the source image"),
    Field(PARAMS, BYTES, FIXED, "JSON object with the degradation parameters"),
)

FIELDS_BY_NAME = {f.name: f for f in FIELDS}

# Text fields are stored as UTF-8 bytes; image fields are binary.
TEXT_FIELDS = frozenset({KEY, BLURRED_FORMAT, SHARP_FORMAT, SOURCE, PARAMS})
IMAGE_FIELDS = frozenset({BLURRED, SHARP})

IMAGE_FORMATS = ("png", "jpeg")

# TFDS-style shard file names: {name}-{split}.tfrecord-{index:05d}-of-{count:05d}
SHARD_TEMPLATE = "{name}-{split}.tfrecord-{index:05d}-of-{count:05d}"
SPLITS = ("train", "test")


def shard_name(name: str, split: str, index: int, count: int) -> str:
    """The file name of shard ``index`` of ``count`` of one split, as TFDS names them."""
    if not 0 <= index < count:
        raise ValueError(f"shard index {index} is outside 0..{count - 1}")
    return SHARD_TEMPLATE.format(name=name, split=split, index=index, count=count)


def record_order(key: str) -> tuple[int, str]:
    """Where a record goes within its shard: shards are sorted by this. Ordering by a stable
    hash of the key (not the key itself) scatters the variants and patches of one photo through
    the shard, so that a reader's shuffle buffer holds many photos at once; the key breaks ties,
    so the order, and the shard's bytes, stay fixed."""
    from blurgen.seeding import stable_hash
    return stable_hash(key), key


# What a shard glob takes: TFDS-style names (what blurgen writes), or a plain ``.tfrecord`` /
# ``.tfrecords`` file. Sidecar files that match a glob such as ``'out/*-train.tfrecord-*'`` are not
# shards: tfrecord2idx's ``*.tfrecord-00000-of-00008.idx`` indexes, editors' backups, temporaries.
_SHARD_NAME = re.compile(r"^(?P<name>.+)-(?P<split>[^-]+)\.tfrecord-(?P<index>\d{5,})-of-(?P<count>\d{5,})$")
_PLAIN_SHARD = re.compile(r"^.+\.tfrecords?$")
SHARD_NAMING = "NAME-SPLIT.tfrecord-00000-of-00008 (as blurgen writes them) or *.tfrecord"


def is_shard_name(path: str) -> bool:
    """Whether the file name at the end of ``path`` is a shard's (see :data:`SHARD_NAMING`)."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return bool(_SHARD_NAME.match(base) or _PLAIN_SHARD.match(base))


def is_dataset_shard(path: str, name: str) -> bool:
    """Whether ``path`` names a shard of the dataset called ``name`` in blurgen's (TFDS) naming."""
    m = _SHARD_NAME.match(path.replace("\\", "/").rsplit("/", 1)[-1])
    return bool(m) and m.group("name") == name
