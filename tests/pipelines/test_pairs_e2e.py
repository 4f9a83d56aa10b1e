"""End-to-end runs of the real-pairs pipeline on a GoPro-shaped tree and the other layouts."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from blurgen.shards import schema
from blurgen.images import decode_image, encode_png, read_image
from pipelines import pairs

from pipeline_helpers import SAMPLES, gopro_tree, read_jsonl, records, small_copy, tf_readback, write_rgb

RUNNER = "--runner=DirectRunner"


@pytest.fixture(scope="module")
def gopro_out(tmp_path_factory):
    root = gopro_tree(tmp_path_factory.mktemp("gopro") / "GOPRO_Large")
    out = root.parent / "out"
    code = pairs.main(["--layout", "gopro", "--src", str(root), "--out", str(out), "--blur-kind", "blur_gamma",
                       "--max-reject-fraction", "0.2", RUNNER])
    return root, out, code


@pytest.mark.slow
def test_gopro_split_pixels_and_no_kernel(gopro_out):
    root, out, code = gopro_out
    assert code == 0
    recs = records(out)
    assert {s: len(r) for s, r in recs.items()} == {"train": 4, "test": 2}
    for split, rs in recs.items():
        for r in rs:
            assert r[schema.KEY].startswith(split + "/") and r[schema.KERNEL] is None
            assert r[schema.KERNEL_SHAPE] == [] and r[schema.SEED] == 0
            _, seq, frame = r[schema.KEY].split("/")
            np.testing.assert_array_equal(decode_image(r[schema.SHARP]), read_image(root / split / seq / "sharp" / frame))
            np.testing.assert_array_equal(decode_image(r[schema.BLURRED]),
                                          read_image(root / split / seq / "blur_gamma" / frame))
    assert read_jsonl(out / "rejects.jsonl") == []  # the orphan is a 'blur' frame, not an input here


@pytest.mark.slow
def test_gopro_orphan_is_rejected(gopro_out, tmp_path, capsys):
    root, _, _ = gopro_out
    out = tmp_path / "out"
    code = pairs.main(["--layout", "gopro", "--src", str(root), "--out", str(out), RUNNER])
    rejects = read_jsonl(out / "rejects.jsonl")
    assert [(r["kind"], Path(r["path"]).name) for r in rejects] == [("partner missing", "000099.png")]
    assert "7 inputs = 6 written + 1 rejected" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rejects_by_kind"] == {"partner missing": 1} and manifest["balanced"]
    assert code == 1, "1 of 7 rejected is more than the default 5%"


@pytest.mark.slow
def test_gopro_read_by_tensorflow(gopro_out, tmp_path):
    _, out, _ = gopro_out
    seen, n = tf_readback(out, tmp_path)
    assert n == 6 and seen["tf_data"]["records"] == 6 and seen["tf_data"]["mismatches"] == []
    assert seen["tfds"]["splits"] == {"train": 4, "test": 2} and seen["tfds"]["mismatches"] == []
    assert seen["tfds"]["supervised"] == 6 and seen["tfds"]["kernel_shapes"] == [[0]]  # real pairs: no kernel


@pytest.mark.slow
def test_folders_with_bad_pairs(tmp_path):
    a = small_copy(SAMPLES[1], 40)
    write_rgb(tmp_path / "blurred" / "ok.png", cv2.blur(a, (3, 3)))
    write_rgb(tmp_path / "sharp" / "ok.png", a)
    write_rgb(tmp_path / "blurred" / "sub" / "ok2.jpg", a)
    write_rgb(tmp_path / "sharp" / "sub" / "ok2.jpg", a)
    write_rgb(tmp_path / "blurred" / "sizes.png", a)
    write_rgb(tmp_path / "sharp" / "sizes.png", a[:-2])
    write_rgb(tmp_path / "blurred" / "alone.png", a)
    write_rgb(tmp_path / "blurred" / "cut.png", a)
    (tmp_path / "sharp" / "cut.png").write_bytes(encode_png(a)[:200])
    out = tmp_path / "out"
    manifest = pairs.run(["--layout", "folders", "--blurred", str(tmp_path / "blurred"), "--sharp",
                          str(tmp_path / "sharp"), "--out", str(out), "--test-fraction", "0", RUNNER])
    kinds = {Path(r["path"]).name: r["kind"] for r in read_jsonl(out / "rejects.jsonl")}
    assert kinds == {"sizes.png": "sizes differ", "alone.png": "partner missing", "cut.png": "truncated"}
    assert manifest["inputs"] == 5 and manifest["written"] == 2 and manifest["balanced"]
    assert (manifest["counters"]["rejects"], manifest["counters"]["pairs"]) == (3, 2)  # listing rejects too
    keys = sorted(r[schema.KEY] for r in records(out)["train"])
    assert keys == ["ok.png", "sub/ok2.jpg"]


@pytest.mark.slow
def test_side_by_side_and_realblur(tmp_path):
    a = small_copy(SAMPLES[2], 32)
    b = cv2.blur(a, (5, 5))
    write_rgb(tmp_path / "ab" / "train" / "x.png", np.concatenate([b, a], axis=1))
    write_rgb(tmp_path / "ab" / "train" / "odd.png", np.zeros((20, 41, 3), np.uint8))
    write_rgb(tmp_path / "ab2" / "train" / "x.png", np.concatenate([a, b], axis=1))  # a name already taken
    out = tmp_path / "out-ab"
    manifest = pairs.run(["--layout", "side-by-side", "--src", str(tmp_path / "ab"), "--src", str(tmp_path / "ab2"),
                          "--out", str(out), "--max-reject-fraction", "1", RUNNER])
    (rec,) = records(out)["train"]
    np.testing.assert_array_equal(decode_image(rec[schema.BLURRED]), b)
    np.testing.assert_array_equal(decode_image(rec[schema.SHARP]), a)
    assert manifest["rejects_by_kind"] == {"sizes differ": 1, "duplicate": 1}
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (3, 1, 2) and manifest["balanced"]
    dup = [r for r in read_jsonl(out / "rejects.jsonl") if r["kind"] == "duplicate"]
    assert [r["path"] for r in dup] == [str(tmp_path / "ab2" / "train" / "x.png")]

    write_rgb(tmp_path / "rb" / "scene1" / "gt" / "gt_1.png", a)
    write_rgb(tmp_path / "rb" / "scene1" / "blur" / "blur_1.png", b)
    write_rgb(tmp_path / "rb" / "scene1" / "blur" / "blur_2.png", b)
    (tmp_path / "rb" / "RealBlur_J_train_list.txt").write_text(
        "scene1/gt/gt_1.png scene1/blur/blur_1.png\nscene1/gt/gt_2.png scene1/blur/blur_2.png\n"
        "scene1/gt/gt_1.png scene1/blur/blur_1.png\n")  # a line repeated as it is: one input
    (tmp_path / "rb" / "RealBlur_J_test_list.txt").write_text("scene1/gt/gt_1.png scene1/blur/blur_1.png\n")
    out = tmp_path / "out-rb"
    manifest = pairs.run(["--layout", "realblur", "--src", str(tmp_path / "rb" / "RealBlur_J_train_list.txt"),
                          "--src", str(tmp_path / "rb" / "RealBlur_J_test_list.txt"),
                          "--out", str(out), "--max-reject-fraction", "1", RUNNER])
    assert manifest["pairs"] == {"train": 1}
    assert manifest["rejects_by_kind"] == {"partner missing": 1, "duplicate": 1}
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (3, 1, 2) and manifest["balanced"]
    rej = {r["kind"]: r for r in read_jsonl(out / "rejects.jsonl")}
    assert rej["partner missing"]["path"].endswith("blur_2.png") and "gt_2.png" in rej["partner missing"]["reason"]
    assert rej["duplicate"]["path"].endswith("RealBlur_J_test_list.txt:1")
    assert "in the test split, but" in rej["duplicate"]["reason"]


def _where(image: np.ndarray, patch: np.ndarray) -> list[tuple[int, int]]:
    """Every (y, x) at which ``patch`` occurs in ``image``, by exhaustive comparison."""
    windows = np.lib.stride_tricks.sliding_window_view(image, patch.shape)[:, :, 0]
    return [tuple(int(v) for v in p) for p in np.argwhere(np.all(windows == patch, axis=(2, 3, 4)))]


@pytest.mark.slow
def test_patches_of_a_pair_are_cut_at_one_box_from_both_images(tmp_path):
    # The blurred and sharp images are independent noise, so each patch occurs at exactly one place
    # in its own image: where the stored patches came from is found from their pixels alone.
    rng = np.random.default_rng(3)
    shapes = {"a.png": (40, 56), "sub/b.png": (50, 36)}
    for name, (h, w) in shapes.items():
        write_rgb(tmp_path / "blurred" / name, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        write_rgb(tmp_path / "sharp" / name, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    out = tmp_path / "out"
    manifest = pairs.run(["--layout", "folders", "--blurred", str(tmp_path / "blurred"), "--sharp",
                          str(tmp_path / "sharp"), "--out", str(out), "--patch", "12", "--patches-per-image", "4",
                          "--test-fraction", "0", RUNNER])
    assert manifest["pairs"] == {"train": 8}
    boxes = {}
    for rec in records(out)["train"]:
        name, _, index = rec[schema.KEY].rpartition("#p")
        blurred, sharp = decode_image(rec[schema.BLURRED]), decode_image(rec[schema.SHARP])
        assert blurred.shape == sharp.shape == (12, 12, 3)
        at_b = _where(read_image(tmp_path / "blurred" / name), blurred)
        at_s = _where(read_image(tmp_path / "sharp" / name), sharp)
        assert at_b == at_s == [tuple(rec[schema.PARAMS]["box"][:2])], (rec[schema.KEY], at_b, at_s)
        boxes.setdefault(name, set()).add(at_s[0])
    assert sorted(boxes) == sorted(shapes) and all(len(b) > 1 for b in boxes.values())  # boxes differ
