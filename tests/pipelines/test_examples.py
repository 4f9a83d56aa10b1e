"""Examples follow blurgen.shards.schema exactly and round-trip."""
from __future__ import annotations

import numpy as np
from tfrecord import example_pb2

from blurgen.shards import schema
from pipelines.shards.examples import Pair, decode_example, encode_example

KERNEL = np.arange(6, dtype=np.float32).reshape(2, 3) / 15


def pair(**kw):
    base = dict(key="a/b.png#v1", blurred=b"\x89PNGblur", sharp=b"\x89PNGsharp", height=5, width=7,
                source="a/b.png", seed=3, variant=1, kernel=KERNEL, params={"z": 1.5, "a": [1, 2]})
    base.update(kw)
    return Pair(**base)


def test_every_schema_field_with_its_kind():
    ex = example_pb2.Example()
    ex.ParseFromString(encode_example(pair()))
    feats = ex.features.feature
    assert set(feats.keys()) == {f.name for f in schema.FIELDS}
    for f in schema.FIELDS:
        assert feats[f.name].WhichOneof("kind") == {"bytes": "bytes_list", "int64": "int64_list",
                                                     "float": "float_list"}[f.kind], f.name
        if f.length == schema.FIXED:
            assert len(getattr(feats[f.name], feats[f.name].WhichOneof("kind")).value) == 1, f.name


def test_round_trip_synthetic():
    out = decode_example(encode_example(pair()))
    assert out[schema.KEY] == "a/b.png#v1" and out[schema.SOURCE] == "a/b.png"
    assert out[schema.BLURRED] == b"\x89PNGblur" and out[schema.SHARP] == b"\x89PNGsharp"
    assert (out[schema.HEIGHT], out[schema.WIDTH], out[schema.CHANNELS]) == (5, 7, 3)
    assert out[schema.KERNEL_SHAPE] == [2, 3]
    np.testing.assert_array_equal(out[schema.KERNEL], KERNEL)
    assert out[schema.PARAMS] == {"z": 1.5, "a": [1, 2]}
    assert (out[schema.SEED], out[schema.VARIANT]) == (3, 1)


def test_real_pair_has_empty_kernel():
    out = decode_example(encode_example(pair(kernel=None)))
    assert out[schema.KERNEL] is None and out[schema.KERNEL_SHAPE] == []


def test_bytes_are_deterministic_whatever_the_params_order():
    a = encode_example(pair(params={"x": 1, "y": np.float32(0.5)}))
    b = encode_example(pair(params={"y": 0.5, "x": 1}))
    assert a == b
    assert encode_example(pair(seed=4)) != encode_example(pair())
