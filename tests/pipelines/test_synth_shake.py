"""synth with rotation shake and the RAW sensor pipeline: what a pair stores (its trajectory, focal
length and grid of local kernels), the same bytes on every runner, patches with their own local
kernels, and a contact sheet that draws the local kernels on the image."""
from __future__ import annotations

import json

import numpy as np
import pytest

from blurgen import degrade_with_params
from blurgen.pictures import preview
from blurgen.shards import schema
from blurgen.config import DegradeConfig
from blurgen.images import decode_image, read_image
from blurgen.seeding import example_rng
from blurgen.kernels.shake import shake_from_params
from pipelines import synth
from pipelines.cards import sheet
from pipelines.inspection import shard_paths

from pipeline_helpers import records, shard_bytes

SHAKE = ["--mix", "trajectory=1,rotation=3", "--isp", "raw", "--variants", "2", "--seed", "7",
         "--test-fraction", "0", "--num-shards", "2", "--runner=DirectRunner"]


@pytest.fixture(scope="module")
def shaken(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("shake") / "out"
    manifest = synth.run(["--src", str(photos), "--out", str(out), *SHAKE])
    return out, manifest


@pytest.mark.slow
def test_rotation_pairs_store_trajectory_focal_and_local_kernels(shaken, photos):
    out, manifest = shaken
    cfg = DegradeConfig.from_dict(manifest["parameters"]["degrade"])
    assert cfg.kernel.weights == (1, 0, 0, 3) and cfg.isp.mode == "raw"
    every = [r for recs in records(out).values() for r in recs]
    assert len(every) == 10
    families = set()
    for r in every:
        photo = read_image(photos / r[schema.SOURCE])
        want = degrade_with_params(photo, example_rng(7, r[schema.SOURCE], r[schema.VARIANT]), cfg)
        np.testing.assert_array_equal(decode_image(r[schema.BLURRED]), want.blurred)
        kp = r[schema.PARAMS]["degrade"]["kernel"]
        families.add(kp["family"])
        assert r[schema.PARAMS]["degrade"]["isp"] == "raw" and r[schema.PARAMS]["degrade"]["camera"]
        if kp["family"] != "rotation":
            assert r[schema.KERNEL].ndim == 2
            continue
        assert r[schema.KERNEL].shape[:2] == (3, 3) and np.array_equal(r[schema.KERNEL], want.kernel)
        assert np.asarray(kp["trajectory"]).shape[1] == 3 and kp["focal_px"] > 0
        h, w = photo.shape[:2]
        kernels, ys, xs = shake_from_params(kp, h, w).local_kernels(3)
        np.testing.assert_array_equal(kernels, r[schema.KERNEL])
        assert r[schema.PARAMS]["kernel_grid"] == {"y": ys.tolist(), "x": xs.tolist()}
    assert families == {"trajectory", "rotation"}


@pytest.mark.slow
def test_rotation_and_raw_give_the_same_bytes_with_two_processes(shaken, photos, tmp_path):
    out, _ = shaken
    again = tmp_path / "mp"
    synth.run(["--src", str(photos), "--out", str(again), *SHAKE,
               "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert shard_bytes(out) == shard_bytes(again) and len(shard_bytes(out)) == 2


@pytest.mark.slow
def test_the_contact_sheet_draws_local_kernels_on_the_blurred_image(shaken, tmp_path):
    out, _ = shaken
    assert sheet.write_sheet(str(out), str(tmp_path / "sheet.png"), 5) == 5
    info = json.loads((out / "dataset_info.json").read_text())
    chosen = sheet.pick_examples([p for s, p, _ in shard_paths(str(out), info) if s == "train"], 5)
    assert any(ex[schema.KERNEL].ndim == 4 for ex in chosen)
    rows = []
    for ex in chosen:
        blurred = decode_image(ex[schema.BLURRED])
        if ex[schema.KERNEL].ndim == 4:
            drawn = preview.overlay_local_kernels(blurred, ex[schema.KERNEL], sheet.ROW)
            assert not np.array_equal(drawn, preview.fit_height(blurred, sheet.ROW))  # the kernels show
            blurred = drawn
            assert "3x3 kernels" in sheet._row_caption(ex)[1]
        rows.append([decode_image(ex[schema.SHARP]), blurred, preview.kernel_tile(ex[schema.KERNEL], sheet.ROW)])
    want = preview.sheet(["sharp", "blurred", "kernel"], rows, sheet.ROW, [sheet._row_caption(ex) for ex in chosen])
    want = preview.titled(want, [f"dataset 'blurgen' in {out}: split train, 5 pairs from 5 distinct sources"])
    np.testing.assert_array_equal(read_image(tmp_path / "sheet.png"), want)


@pytest.mark.slow
def test_patches_carry_the_local_kernels_of_their_own_box(photos, tmp_path):
    np.save(tmp_path / "t.npy", np.stack([np.linspace(0, 0.05, 30), np.zeros(30), np.linspace(-0.1, 0.1, 30)], 1))
    out = tmp_path / "out"
    manifest = synth.run(["--src", str(photos / "nested"), "--out", str(out), "--rotation", str(tmp_path / "t.npy"),
                          "--focal", "60", "--patch", "24", "--patches-per-image", "2", "--noise", "none",
                          "--test-fraction", "0", "--runner=DirectRunner"])
    assert manifest["pairs_total"] == 4
    cfg = DegradeConfig.from_dict(manifest["parameters"]["degrade"])
    assert np.asarray(cfg.kernel.rotation.trajectory).shape == (30, 3)
    for r in records(out)["train"]:
        photo = read_image(photos / "nested" / r[schema.SOURCE])
        kp = r[schema.PARAMS]["degrade"]["kernel"]
        assert kp["given"] and kp["focal_px"] == 60
        top, left, h, w = r[schema.PARAMS]["box"]
        kernels, ys, xs = shake_from_params(kp, *photo.shape[:2]).local_kernels(3, (top, left, h, w))
        np.testing.assert_array_equal(r[schema.KERNEL], kernels)
        assert r[schema.PARAMS]["kernel_grid"] == {"y": ys.tolist(), "x": xs.tolist()} and max(ys) < h


def test_tfds_declares_no_fixed_kernel_shape_where_rotation_pairs_may_be():
    from pipelines.shards.metadata import fixed_kernel_shape

    whole = DegradeConfig.from_dict({"crop_kernel": False}).to_dict()
    run = {"pipeline": "synth", "parameters": {"degrade": whole}}
    size = DegradeConfig().kernel.trajectory.size
    assert fixed_kernel_shape(run) == (size, size)
    for kernel in ({"weights": [1, 0, 0, 1]}, {"rotation": {"trajectory": [[0, 0, 0], [0, 0.01, 0]]}}):
        shaken = DegradeConfig.from_dict({"crop_kernel": False, "kernel": kernel}).to_dict()
        assert fixed_kernel_shape({"pipeline": "synth", "parameters": {"degrade": shaken}}) is None
