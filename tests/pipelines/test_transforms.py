"""Fast TestPipeline + assert_that tests of the shared transforms."""
from __future__ import annotations

import random

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from blurgen.images import ImageError
from pipelines import records, write
from pipelines.examples import Pair, decode_example
from pipelines.rejects import TOO_SMALL, Reject, RejectError
from pipelines.transforms import ProcessInputs

OPTIONS = ["--runner=DirectRunner"]


def fake_make(name: str):
    """Two pairs per name, except for names that a real pipeline would reject, or that crash."""
    if name.startswith("small"):
        raise RejectError(TOO_SMALL, f"{name}: too small")
    if name.startswith("broken"):
        raise ImageError(f"{name}: truncated PNG (no IEND chunk at the end)")
    if name.startswith("bug"):
        raise ZeroDivisionError("a bug in our code")
    return [("train", Pair(key=f"{name}#{i}", blurred=b"b", sharp=b"s", height=1, width=1, source=name))
            for i in range(2)]


def _key(record):
    return record[0], decode_example(record[2])["key"]


def test_process_inputs_routes_every_input_once():
    names = ["a", "small1", "b", "broken", "bug"]
    with test_pipeline.TestPipeline(options=beam.options.pipeline_options.PipelineOptions(OPTIONS)) as p:
        out = p | beam.Create(names) | ProcessInputs(fake_make, lambda n: f"/in/{n}")
        assert_that(out["records"] | "K" >> beam.Map(_key),
                    equal_to([("train", "a#0"), ("train", "a#1"), ("train", "b#0"), ("train", "b#1")]),
                    label="records")
        assert_that(out["done"], equal_to(["/in/a", "/in/b"]), label="done")
        assert_that(out["rejects"] | "Kind" >> beam.Map(lambda r: (r.path, r.kind)),
                    equal_to([("/in/small1", "too small"), ("/in/broken", "truncated"), ("/in/bug", "error")]),
                    label="rejects")
        assert_that(out["rejects"] | "Why" >> beam.Filter(lambda r: r.kind == "error")
                    | beam.Map(lambda r: "ZeroDivisionError" in r.reason and "/in/bug" in r.reason),
                    equal_to([True]), label="dead letter reason")


def _records(n):
    return [("train" if i % 3 else "test", f"k{i:03d}", f"example {i}".encode()) for i in range(n)]


def _run_write(tmp_path, recs, num_shards):
    with test_pipeline.TestPipeline(options=beam.options.pipeline_options.PipelineOptions(OPTIONS)) as p:
        infos = p | beam.Create(recs) | write.WriteShards(str(tmp_path), "ds", num_shards)
        assert_that(infos | beam.Map(lambda s: (s["split"], s["index"], s["count"])),
                    equal_to([("train", i, num_shards) for i in range(num_shards)]
                             + [("test", i, num_shards) for i in range(num_shards)]))


def _read_all(tmp_path):
    out = {}
    for path in sorted(tmp_path.glob("ds-*")):
        with open(path, "rb") as f:
            out[path.name] = list(records.read_records(f, str(path)))
    return out


def test_write_shards_places_by_key_hash_and_sorts_within_shards(tmp_path):
    recs = _records(40)
    _run_write(tmp_path, recs, 3)
    shards = _read_all(tmp_path)
    assert len(shards) == 6
    by_data = {r[2]: r for r in recs}
    for name, datas in shards.items():
        split, index = name.split("-")[1].split(".")[0], int(name.split("-")[2])
        keys = [by_data[d][1] for d in datas]
        assert keys == sorted(keys)
        assert all(by_data[d][0] == split and write.shard_of(by_data[d][1], 3) == index for d in datas)
    assert sorted(d for ds in shards.values() for d in ds) == sorted(r[2] for r in recs)


def test_write_shards_same_bytes_whatever_the_input_order(tmp_path):
    recs = _records(25)
    _run_write(tmp_path / "a", recs, 2)
    shuffled = recs[:]
    random.Random(1).shuffle(shuffled)
    _run_write(tmp_path / "b", shuffled, 2)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b and len(a) == 4


def test_empty_shards_are_written_and_valid(tmp_path):
    _run_write(tmp_path, _records(4), 5)  # 3 train and 1 test records over 5 shards each
    shards = _read_all(tmp_path)
    assert len(shards) == 10
    assert sum(len(v) for v in shards.values()) == 4
    empties = [n for n, v in shards.items() if not v]
    assert len(empties) >= 6 and all((tmp_path / n).stat().st_size == 0 for n in empties)


def test_auto_plan():
    assert write.plan_shards(10, 1000, None) == 1
    assert write.plan_shards(10_000, 3 * write.TARGET_SHARD_BYTES, None) == 3
    assert write.plan_shards(2, 10 * write.TARGET_SHARD_BYTES, None) == 2  # never more shards than records
    assert write.plan_shards(2, 10, 7) == 7  # asked for: given, empty shards and all


def test_reject_lines_sort_and_serialise():
    a, b = Reject("/x/b.png", "empty", "b"), Reject("/x/a.png", "truncated", "a")
    assert sorted([a, b]) == [b, a]
    assert a.to_json() == '{"kind": "empty", "path": "/x/b.png", "reason": "b"}'
