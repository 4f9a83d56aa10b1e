"""Helpers of the trainer's tests: small real shards written the way the pipelines write them.

The shards hold the repo's sample photos, downscaled, blurred by :func:`blurgen.degrade`, each
field named and typed as :mod:`blurgen.shards.schema` says (written here with ``tf.train.Example``,
since this process has TensorFlow and must not import ``tfrecord``).
"""
from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf = pytest.importorskip("tensorflow")

import blurgen  # noqa: E402
from blurgen.shards import schema  # noqa: E402
from blurgen.images import encode_jpeg, encode_png, read_image  # noqa: E402
from blurgen.seeding import example_rng  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE_NAMES = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg")


def sample_pairs(side: int = 96, variants: int = 1, seed: int = 0, names=SAMPLE_NAMES):
    """``(key, blurred, sharp)`` from the sample photos, shorter side scaled to ``side`` px."""
    pairs = []
    for name in names:
        img = read_image(ROOT / "samples" / name)
        h, w = img.shape[:2]
        s = side / min(h, w)
        img = cv2.resize(img, (max(side, round(w * s)), max(side, round(h * s))), interpolation=cv2.INTER_AREA)
        for v in range(variants):
            key = f"samples/{name}#v{v}"
            blurred, _ = blurgen.degrade(img, example_rng(seed, key, v))
            pairs.append((key, blurred, img))
    return pairs


def example_bytes(key: str, blurred, sharp, blurred_format: str = "png",
                  seed: int = 0, variant: int = 0, kernel: np.ndarray | None = None,
                  sharp_format: str = "png", size: tuple[int, int, int] | None = None) -> bytes:
    """A serialized ``tf.train.Example`` with every field of the schema.

    ``blurred`` / ``sharp`` are uint8 arrays (encoded here) or already encoded bytes (stored as
    they are; then give ``size`` = (height, width, channels) and the formats)."""
    def b(v):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=v))

    def i(v):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=v))

    def f(v):
        return tf.train.Feature(float_list=tf.train.FloatList(value=v))

    if isinstance(blurred, bytes):
        data, sharp_data = blurred, sharp
        height, width, channels = size
    else:
        data = encode_jpeg(blurred, 95) if blurred_format == "jpeg" else encode_png(blurred)
        sharp_data = encode_png(sharp)
        height, width, channels = sharp.shape[0], sharp.shape[1], 3 if sharp.ndim == 3 else 1
    k = np.zeros((0,), np.float32) if kernel is None else kernel.astype(np.float32)
    values = {
        schema.KEY: b([key.encode()]), schema.BLURRED: b([data]), schema.SHARP: b([sharp_data]),
        schema.BLURRED_FORMAT: b([blurred_format.encode()]), schema.SHARP_FORMAT: b([sharp_format.encode()]),
        schema.HEIGHT: i([height]), schema.WIDTH: i([width]), schema.CHANNELS: i([channels]),
        schema.KERNEL: f(k.ravel().tolist()), schema.KERNEL_SHAPE: i(list(k.shape) if k.size else []),
        schema.SOURCE: b([key.split("#")[0].encode()]), schema.SEED: i([seed]), schema.VARIANT: i([variant]),
        schema.PARAMS: b([json.dumps({"test": True}).encode()]),
    }
    assert set(values) == {fl.name for fl in schema.FIELDS}, "the test writer must follow the schema"
    return tf.train.Example(features=tf.train.Features(feature=values)).SerializeToString()


def write_shards(directory: pathlib.Path, pairs, split: str, count: int = 2, name: str = "blurgen") -> list[str]:
    """Write ``pairs`` round-robin into ``count`` TFDS-named shards; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [str(directory / schema.shard_name(name, split, i, count)) for i in range(count)]
    writers = [tf.io.TFRecordWriter(p) for p in paths]
    for n, (key, blurred, sharp) in enumerate(pairs):
        writers[n % count].write(example_bytes(key, blurred, sharp, variant=n))
    for w in writers:
        w.close()
    return paths


def tiny_config(**changes):
    """A generator and critic of a few filters and one block; trains a step in well under a second."""
    from training.presets import preset
    # DeblurGAN's ResNet layout (the one most parts were built around), tiny, without
    # normalisation and with He weights so that its few units carry signal from the start.
    base = preset("smoke").replace(generator="resnet", gen_norm="none", init="he", gen_zero_init_output=True,
                                   gen_filters=4, gen_blocks=1, critic_filters=4, critic_layers=2,
                                   critic_steps=2, batch=2, crop=32, shuffle_buffer=8, epochs=1,
                                   steps_per_epoch=2, checkpoint_every=2, samples=2,
                                   adversarial_weight=0.01)  # with its critic: most parts under test are the GAN's
    return base.replace(**changes)
