"""Fast TestPipeline + assert_that tests of the shared transforms."""
from __future__ import annotations

import random

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from blurgen.images import ImageError
from blurgen.seeding import stable_hash
from pipelines.items.transforms import ProcessInputs
from pipelines.shards import records, write
from pipelines.shards.examples import Pair, decode_example
from pipelines.shards.spool import SpoolRecords
from pipelines.sources.rejects import TOO_SMALL, Reject, RejectError

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
    plan = write.ShardPlan({"train": num_shards}, num_shards)  # "test" takes the default
    with test_pipeline.TestPipeline(options=beam.options.pipeline_options.PipelineOptions(OPTIONS)) as p:
        entries = p | beam.Create(recs) | SpoolRecords(str(tmp_path / ".spool"))
        infos = entries | write.WriteShards(str(tmp_path), "ds", plan)
        splits = sorted({r[0] for r in recs})
        assert_that(infos | beam.Map(lambda s: (s["split"], s["index"], s["count"])),
                    equal_to([(split, i, num_shards) for split in splits for i in range(num_shards)]))


def _read_all(tmp_path):
    out = {}
    for path in sorted(tmp_path.glob("ds-*")):
        with open(path, "rb") as f:
            out[path.name] = list(records.read_records(f, str(path)))
    return out


def test_write_shards_places_by_key_hash_and_orders_by_hash_within_shards(tmp_path):
    recs = _records(40)
    _run_write(tmp_path, recs, 3)
    shards = _read_all(tmp_path)
    assert len(shards) == 6
    by_data = {r[2]: r for r in recs}
    for name, datas in shards.items():
        split, index = name.split("-")[1].split(".")[0], int(name.split("-")[2])
        keys = [by_data[d][1] for d in datas]
        assert keys == sorted(keys, key=lambda k: (stable_hash(k), k))
        assert all(by_data[d][0] == split and write.shard_of(by_data[d][1], 3) == index for d in datas)
    assert sorted(d for ds in shards.values() for d in ds) == sorted(r[2] for r in recs)


def test_variants_of_one_photo_are_not_neighbours(tmp_path):
    """Keys of one photo sort together by name; in a shard they must be spread by hash."""
    recs = [("train", f"photo{p:02d}.png#v{v}", f"{p} {v}".encode()) for p in range(10) for v in range(4)]
    _run_write(tmp_path, recs, 1)
    (datas,) = _read_all(tmp_path).values()
    photos = [d.split()[0] for d in datas]
    assert len(photos) == 40
    neighbours = sum(a == b for a, b in zip(photos, photos[1:]))
    assert neighbours < 10, f"{neighbours} of 39 neighbouring records share a photo (by name: 30)"


def test_write_shards_same_bytes_whatever_the_input_order(tmp_path):
    recs = _records(25)
    _run_write(tmp_path / "a", recs, 2)
    shuffled = recs[:]
    random.Random(1).shuffle(shuffled)
    _run_write(tmp_path / "b", shuffled, 2)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").glob("ds-*")}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").glob("ds-*")}
    assert a == b and len(a) == 4


def test_empty_shards_are_written_and_valid(tmp_path):
    _run_write(tmp_path, _records(4), 5)  # 3 train and 1 test records over 5 shards each
    shards = _read_all(tmp_path)
    assert len(shards) == 10
    assert sum(len(v) for v in shards.values()) == 4
    empties = [n for n, v in shards.items() if not v]
    assert len(empties) >= 6 and all((tmp_path / n).stat().st_size == 0 for n in empties)


def test_spool_entries_point_at_framed_records(tmp_path):
    recs = _records(7)
    with test_pipeline.TestPipeline(options=beam.options.pipeline_options.PipelineOptions(OPTIONS)) as p:
        entries = p | beam.Create(recs) | SpoolRecords(str(tmp_path))
        def check(entry):
            split, key, path, offset, length = entry
            with open(path, "rb") as f:
                f.seek(offset)
                (data,) = records.read_records(__import__("io").BytesIO(f.read(length)))
            return split, key, data
        assert_that(entries | beam.Map(check), equal_to(recs))


def test_auto_plan():
    assert write.plan_split(10, 1000, None) == 1
    assert write.plan_split(10_000, 3 * write.TARGET_SHARD_BYTES, None) == 3
    assert write.plan_split(2, 10 * write.TARGET_SHARD_BYTES, None) == 2  # never more shards than records
    assert write.plan_split(2, 10, 7) == 7  # asked for: given, empty shards and all
    assert write.plan_split(10**6, 10**6 * 5 * 2**20, None) == 39063  # no cap at 1,024: shards stay near 128 MiB
    plan = write.ShardPlan.from_estimates(
        [("train", 2, 2 * write.TARGET_SHARD_BYTES), ("test", 1, 10), ("train", 3, write.TARGET_SHARD_BYTES)], None)
    assert plan.counts == {"test": 1, "train": 3} and plan.count("other") == 3
    assert write.ShardPlan.from_estimates([("train", 5, 10)], 4).count("test") == 4


def test_reject_lines_sort_and_serialise():
    a, b = Reject("/x/b.png", "empty", "b"), Reject("/x/a.png", "truncated", "a")
    assert sorted([a, b]) == [b, a]
    assert a.to_json() == '{"kind": "empty", "path": "/x/b.png", "reason": "b"}'
