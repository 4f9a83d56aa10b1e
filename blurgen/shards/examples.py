"""One blurred/sharp pair as a ``tf.train.Example``, built with the ``tfrecord`` package's protos.

Field names and kinds come from :mod:`blurgen.shards.schema`; this module only knows how to put a
:class:`Pair` into that schema (the pipelines' writers) and take it out again (the TF-free
readers: :mod:`blurgen.shards.reader`, ``blurgen inspect``, the Parquet export). It imports the
``tfrecord`` package, so the trainer never imports it (TensorFlow parses the same bytes with
``tf.io.parse_single_example`` and the same schema).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tfrecord import example_pb2

from blurgen.shards import schema


@dataclass(frozen=True)
class Pair:
    """One training pair, images already encoded.

    ``kernel`` is float32 ``(kh, kw)`` for synthetic pairs and ``None`` for real pairs.
    ``params`` is a JSON-ready dict of how the pair was made.
    """

    key: str
    blurred: bytes
    sharp: bytes
    height: int
    width: int
    source: str
    seed: int = 0
    variant: int = 0
    channels: int = 3
    blurred_format: str = "png"
    sharp_format: str = "png"
    kernel: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)


def params_json(params: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces), so equal parameters give equal bytes."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _values(pair: Pair) -> dict[str, list]:
    kernel = pair.kernel
    kernel_values = [] if kernel is None else np.asarray(kernel, np.float32).ravel().tolist()
    kernel_shape = [] if kernel is None else [int(s) for s in np.shape(kernel)]
    return {
        schema.KEY: [pair.key],
        schema.BLURRED: [pair.blurred],
        schema.SHARP: [pair.sharp],
        schema.BLURRED_FORMAT: [pair.blurred_format],
        schema.SHARP_FORMAT: [pair.sharp_format],
        schema.HEIGHT: [int(pair.height)],
        schema.WIDTH: [int(pair.width)],
        schema.CHANNELS: [int(pair.channels)],
        schema.KERNEL: kernel_values,
        schema.KERNEL_SHAPE: kernel_shape,
        schema.SOURCE: [pair.source],
        schema.SEED: [int(pair.seed)],
        schema.VARIANT: [int(pair.variant)],
        schema.PARAMS: [params_json(pair.params)],
    }


def encode_example(pair: Pair) -> bytes:
    """The serialized ``tf.train.Example`` of ``pair`` (deterministic bytes)."""
    values = _values(pair)
    example = example_pb2.Example()
    features = example.features.feature
    for f in schema.FIELDS:
        vals = values[f.name]
        if f.length == schema.FIXED and len(vals) != 1:  # pragma: no cover - our own invariant
            raise AssertionError(f"field {f.name} needs exactly one value, got {len(vals)}")
        if f.kind == schema.BYTES:
            features[f.name].bytes_list.value.extend(
                v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in vals)
        elif f.kind == schema.INT64:
            features[f.name].int64_list.value.extend(vals)
        else:
            features[f.name].float_list.value.extend(vals)
    return example.SerializeToString(deterministic=True)


def decode_example(data: bytes) -> dict[str, Any]:
    """The fields of a serialized Example as Python values.

    Fixed fields are scalars (text fields as ``str``, images as ``bytes``); ``kernel`` is a float32
    array of shape ``kernel_shape`` (or ``None`` for a real pair); ``params`` is the decoded dict.
    """
    example = example_pb2.Example()
    example.ParseFromString(data)
    features = example.features.feature
    out: dict[str, Any] = {}
    for f in schema.FIELDS:
        feat = features[f.name]
        vals = list({schema.BYTES: feat.bytes_list, schema.INT64: feat.int64_list,
                     schema.FLOAT: feat.float_list}[f.kind].value)
        if f.name in schema.TEXT_FIELDS:
            vals = [v.decode("utf-8") for v in vals]
        if f.length == schema.FIXED:
            if len(vals) != 1:
                raise ValueError(f"field {f.name!r} should hold one value, holds {len(vals)}")
            vals = vals[0]
        out[f.name] = vals
    shape = tuple(out[schema.KERNEL_SHAPE])
    out[schema.KERNEL] = np.asarray(out[schema.KERNEL], np.float32).reshape(shape) if shape else None
    out[schema.PARAMS] = json.loads(out[schema.PARAMS])
    return out
