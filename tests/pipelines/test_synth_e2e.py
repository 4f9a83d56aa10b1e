"""End-to-end runs of the synth pipeline into tmp_path, on small real photos."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from blurgen import degrade_with_params
from blurgen.shards import schema
from blurgen.config import DegradeConfig
from blurgen.images import decode_image, read_image
from blurgen.seeding import example_rng
from pipelines import synth

from pipeline_helpers import as_example, bad_inputs, read_jsonl, read_shards, records, shard_bytes, tf_readback

BASE = ["--variants", "2", "--seed", "7", "--test-fraction", "0.4", "--num-shards", "2", "--runner=DirectRunner"]


@pytest.fixture(scope="module")
def synth_out(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "out"
    manifest = synth.run(["--src", str(photos), "--out", str(out), *BASE])
    return out, manifest


@pytest.mark.slow
def test_counts_agree_everywhere(synth_out):
    out, manifest = synth_out
    info = json.loads((out / "dataset_info.json").read_text())
    recs = read_shards(out)
    assert manifest["inputs"] == 5 and manifest["written"] == 5 and manifest["rejected"] == 0
    assert manifest["balanced"] and manifest["pairs_total"] == 10
    assert (out / "rejects.jsonl").read_text() == ""
    for split in info["splits"]:
        assert [int(n) for n in split["shardLengths"]] == [s["records"] for s in manifest["shards"][split["name"]]]
        assert sum(int(n) for n in split["shardLengths"]) == len(recs[split["name"]]) == manifest["pairs"][split["name"]]
    assert set(manifest["pairs"]) == {"train", "test"}, "0.4 of 5 photos should give a test split"
    assert manifest["counters"]["inputs"] == 5 and manifest["counters"]["pairs"] == 10
    assert manifest["counters"]["bytes"] == manifest["bytes"] == sum(p.stat().st_size for p in out.glob("*.tfrecord-*"))
    assert DegradeConfig.from_dict(manifest["parameters"]["degrade"]) == DegradeConfig()
    assert {"blurgen", "apache-beam", "numpy", "tfrecord"} <= set(manifest["versions"])


@pytest.mark.slow
def test_pixels_are_the_photo_and_its_degradation(synth_out, photos):
    out, _ = synth_out
    every = [r for recs in records(out).values() for r in recs]
    assert sorted(r[schema.KEY] for r in every) == sorted(
        f"{n}#v{v}" for n in ("astronaut.png", "coffee.png", "rocket.jpg", "nested/chelsea.png",
                              "nested/hubble_deep_field.jpg") for v in (0, 1))
    cache = {}
    for r in every:
        name, variant = r[schema.SOURCE], r[schema.VARIANT]
        photo = cache.setdefault(name, read_image(photos / name))
        sharp = decode_image(r[schema.SHARP])
        np.testing.assert_array_equal(sharp, photo)
        want = degrade_with_params(photo, example_rng(7, name, variant))
        np.testing.assert_array_equal(decode_image(r[schema.BLURRED]), want.blurred)
        np.testing.assert_array_equal(r[schema.KERNEL], want.kernel)
        assert r[schema.PARAMS] == {"degrade": json.loads(json.dumps(want.params)), "box": None}
        assert (r[schema.HEIGHT], r[schema.WIDTH], r[schema.SEED]) == (*photo.shape[:2], 7)
    # the two variants of a photo differ
    by_key = {r[schema.KEY]: r for r in every}
    assert by_key["coffee.png#v0"][schema.BLURRED] != by_key["coffee.png#v1"][schema.BLURRED]


@pytest.mark.slow
def test_tensorflow_reads_the_same_pixels(synth_out, tmp_path):
    out, manifest = synth_out
    seen, n = tf_readback(out, tmp_path)
    assert seen["tf_data"]["mismatches"] == [] and seen["tf_data"]["records"] == n == 10
    assert seen["tfds"]["mismatches"] == [] and seen["tfds"]["records"] == 10
    assert seen["tfds"]["splits"] == manifest["pairs"]
    # as_supervised=True gives (blurred, sharp); cropped kernels differ in shape, so TFDS gives them flat
    assert seen["tfds"]["supervised_keys"] == ["blurred", "sharp"] and seen["tfds"]["supervised"] == 10
    assert all(len(shape) == 1 for shape in seen["tfds"]["kernel_shapes"])


@pytest.mark.slow
def test_tfds_gives_whole_kernel_canvases_shaped(photos, tmp_path):
    from blurgen.config import KernelConfig, TrajectoryConfig
    cfg = DegradeConfig(crop_kernel=False, kernel=KernelConfig(
        trajectory=TrajectoryConfig(canvas=33, max_length=30.0), linear_length=(5.0, 20.0), defocus_radius=(1.0, 6.0)))
    (tmp_path / "degrade.json").write_text(json.dumps(cfg.to_dict()))
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--config", str(tmp_path / "degrade.json"), "--variants", "1",
               "--test-fraction", "0"])
    size = cfg.kernel.trajectory.size
    features = json.loads((out / "features.json").read_text())["featuresDict"]["features"]
    assert features["kernel"]["tensor"]["shape"] == {"dimensions": [str(size), str(size)]}
    seen, n = tf_readback(out, tmp_path)
    assert seen["tfds"]["mismatches"] == [] and seen["tfds"]["records"] == n == 5
    assert seen["tfds"]["kernel_shapes"] == [[size, size]] and seen["tfds"]["supervised"] == 5


@pytest.mark.slow
def test_same_bytes_in_memory_and_with_two_processes(synth_out, photos, tmp_path):
    out, _ = synth_out
    again = tmp_path / "mp"
    synth.run(["--src", str(photos), "--out", str(again), *BASE,
               "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    first, second = shard_bytes(out), shard_bytes(again)
    assert len(first) == 4 and first == second
    assert (out / "dataset_info.json").read_bytes() == (again / "dataset_info.json").read_bytes()


@pytest.mark.slow
def test_patches_and_jpeg_blurred(photos, tmp_path):
    out = tmp_path / "patches"
    manifest = synth.run(["--src", str(photos / "astronaut.png"), "--src", str(photos / "nested"), "--out", str(out),
                          "--patch", "24", "--patches-per-image", "3", "--blurred-format", "jpeg",
                          "--noise", "none", "--runner=DirectRunner"])
    assert manifest["pairs_total"] == 3 * 3
    photo = read_image(photos / "astronaut.png")
    full = degrade_with_params(photo, example_rng(0, "astronaut.png", 0),
                               DegradeConfig.from_dict({"camera": {"noise": "none"}}))
    every = [r for recs in records(out).values() for r in recs]
    mine = [r for r in every if r[schema.SOURCE] == "astronaut.png"]
    assert sorted(r[schema.KEY] for r in mine) == [f"astronaut.png#v0p{i}" for i in range(3)]
    for r in mine:
        y, x, h, w = r[schema.PARAMS]["box"]
        assert (h, w, r[schema.HEIGHT], r[schema.WIDTH]) == (24, 24, 24, 24)
        np.testing.assert_array_equal(decode_image(r[schema.SHARP]), photo[y:y + 24, x:x + 24])
        assert r[schema.BLURRED_FORMAT] == "jpeg" and r[schema.BLURRED][:2] == b"\xff\xd8"
        err = np.abs(decode_image(r[schema.BLURRED]).astype(int) - full.blurred[y:y + 24, x:x + 24]).mean()
        assert err < 4, "the blurred patch is the same crop of the blurred image, up to JPEG loss"


@pytest.mark.slow
def test_bad_inputs_are_all_accounted_for(tmp_path, capsys):
    expected = bad_inputs(tmp_path / "bad")
    out = tmp_path / "out"
    code = synth.main(["--src", str(tmp_path / "bad"), "--out", str(out), "--runner=DirectRunner"])
    printed = capsys.readouterr()
    rejected = {Path(r["path"]).name: r for r in read_jsonl(out / "rejects.jsonl")}
    written = {as_example(r)[schema.SOURCE] for recs in read_shards(out).values() for r in recs}
    assert {n: r["kind"] for n, r in rejected.items()} == {n: k for n, k in expected.items() if k}
    assert written == {n for n, k in expected.items() if k is None}
    listed = {Path(line["path"]).name for line in read_jsonl(out / "inputs.jsonl")}
    assert listed == set(expected) == set(rejected) | written and not set(rejected) & written
    assert all(str(tmp_path / "bad") in r["reason"] for r in rejected.values()), "reasons name the file"
    assert "9 inputs = 4 written + 5 rejected" in printed.out
    assert json.loads((out / "manifest.json").read_text())["rejects_by_kind"] == {
        "empty": 1, "truncated": 2, "not an image": 1, "too small": 1}
    assert code == 1 and "more than --max-reject-fraction 0.05" in printed.err
    code = synth.main(["--src", str(tmp_path / "bad"), "--out", str(out), "--overwrite",
                       "--max-reject-fraction", "0.6", "--runner=DirectRunner"])
    assert code == 0


@pytest.mark.slow
def test_grey_rgba_and_16_bit_become_rgb(tmp_path):
    bad_inputs(tmp_path / "bad")
    out = tmp_path / "out"
    synth.run(["--src", str(tmp_path / "bad" / "grey.png"), "--src", str(tmp_path / "bad" / "deep16.png"),
               "--src", str(tmp_path / "bad" / "rgba.png"), "--out", str(out), "--runner=DirectRunner"])
    for rec in (as_example(r) for recs in read_shards(out).values() for r in recs):
        sharp = decode_image(rec[schema.SHARP])
        want = read_image(tmp_path / "bad" / rec[schema.SOURCE])
        assert sharp.shape[2] == 3 and rec[schema.CHANNELS] == 3
        np.testing.assert_array_equal(sharp, want)


def test_usage_errors(photos, tmp_path, capsys):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "blurgen-train.tfrecord-00000-of-00001").write_bytes(b"")
    assert synth.main(["--src", str(photos), "--out", str(out), "--runner=DirectRunner"]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert synth.main(["--src", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "o2")]) == 2
    assert "no files found" in capsys.readouterr().err
    assert synth.main(["--src", str(photos), "--out", str(tmp_path / "o3"), "--num-shards", "0"]) == 2


@pytest.mark.slow
def test_nothing_written_fails_with_metadata_still_written(tmp_path, capsys):
    bad_inputs(tmp_path / "bad")
    out = tmp_path / "out"
    code = synth.main(["--src", str(tmp_path / "bad" / "notes.png"), "--src", str(tmp_path / "bad" / "empty.png"),
                       "--out", str(out), "--max-reject-fraction", "1", "--runner=DirectRunner"])
    assert code == 1 and "no pairs were written" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["inputs"], manifest["written"], manifest["rejected"], manifest["pairs"]) == (2, 0, 2, {})
    assert len(read_jsonl(out / "rejects.jsonl")) == 2 and not list(out.glob("*.tfrecord-*"))


@pytest.mark.slow
def test_same_bytes_with_auto_shards_and_patches(photos, tmp_path):
    flags = ["--src", str(photos), "--patch", "16", "--patches-per-image", "2", "--seed", "3", "--runner=DirectRunner"]
    synth.run([*flags, "--out", str(tmp_path / "a")])
    synth.run([*flags, "--out", str(tmp_path / "b"), "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    first, second = shard_bytes(tmp_path / "a"), shard_bytes(tmp_path / "b")
    assert first and first == second
