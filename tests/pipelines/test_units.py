"""Small pure pieces: crops, splits, listing of sources and layouts, settings validation."""
from __future__ import annotations

import numpy as np
import pytest

from blurgen.seeding import unit_interval
from pipelines.items import crops
from pipelines.items.synthesize import SynthSettings
from pipelines.sources import inputs, layouts
from pipelines.sources.rejects import RejectError
from pipelines.sources.splits import split_of

from pipeline_helpers import gopro_tree, write_rgb


def test_boxes_are_inside_and_deterministic():
    a = crops.draw_boxes(40, 60, 16, 5, np.random.default_rng(3))
    b = crops.draw_boxes(40, 60, 16, 5, np.random.default_rng(3))
    assert a == b and len(a) == 5
    assert all(0 <= y <= 24 and 0 <= x <= 44 and (h, w) == (16, 16) for y, x, h, w in a)
    assert crops.draw_boxes(40, 60, 0, 5, np.random.default_rng(3)) == [(0, 0, 40, 60)]


def test_size_checks_name_the_file():
    with pytest.raises(RejectError, match="f.png: 30x20 px is too small for --patch 32"):
        crops.check_size((20, 30, 3), "f.png", 16, 32)
    with pytest.raises(RejectError, match="smaller than --min-size 16"):
        crops.check_size((1, 1, 3), "f.png", 16, 0)
    crops.check_size((32, 32, 3), "f.png", 16, 32)


def test_split_is_a_stable_fraction():
    names = [f"photo{i}.jpg" for i in range(2000)]
    test = [n for n in names if split_of(n, 0.1) == "test"]
    assert 150 < len(test) < 250
    assert all(unit_interval(n) < 0.1 for n in test)
    assert split_of("x", 0.0) == "train" and split_of("x", 1.0) == "test"


_DRAWS = """
import json, sys
from blurgen.seeding import example_rng, stable_hash
from pipelines.sources.splits import split_of
names = [f"dir/photo{i}.jpg" for i in range(200)]
print(json.dumps({"splits": [split_of(n, 0.5) for n in names], "hashes": [stable_hash(n) for n in names[:20]],
                  "draws": [int(example_rng(7, n, v).integers(1 << 62)) for n in names[:5] for v in range(3)],
                  "other_seed": [int(example_rng(8, n, v).integers(1 << 62)) for n in names[:5] for v in range(3)]}))
"""


def test_splits_hashes_and_draws_are_the_same_in_every_process():
    # Python's own hash() is salted per process (PYTHONHASHSEED): two processes with different
    # salts must still agree on every split, hash and random draw.
    import json
    import os
    import subprocess
    import sys
    seen = []
    for salt in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", _DRAWS], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": salt})
        assert proc.returncode == 0, proc.stderr[-2000:]
        seen.append(json.loads(proc.stdout))
    assert seen[0] == seen[1]
    assert 70 < seen[0]["splits"].count("test") < 130  # about half at --test-fraction 0.5
    assert len(set(seen[0]["draws"])) == 15  # every photo and variant draws its own numbers
    assert not set(seen[0]["draws"]) & set(seen[0]["other_seed"])  # and --seed changes them all


def test_each_variant_of_a_photo_is_blurred_its_own_way(photos):
    from pipelines.items.synthesize import synthesize
    from pipelines.sources.inputs import InputFile
    path = sorted(photos.glob("*.png"))[0]
    item = InputFile(path.name, str(path))
    pairs = synthesize(item, SynthSettings(variants=3))
    again = synthesize(item, SynthSettings(variants=3))
    kernels = [p.kernel for _, p in pairs]
    assert len(kernels) == 3 and [p.variant for _, p in pairs] == [0, 1, 2]
    same = [(i, j) for i in range(3) for j in range(i + 1, 3)
            if kernels[i].shape == kernels[j].shape and np.array_equal(kernels[i], kernels[j])]
    assert same == []
    assert len({p.blurred for _, p in pairs}) == 3
    assert [p.blurred for _, p in pairs] == [p.blurred for _, p in again]  # and the same again


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="--variants"):
        SynthSettings(variants=0)
    with pytest.raises(ValueError, match="--test-fraction"):
        SynthSettings(test_fraction=1.5)


def test_expand_source_dir_glob_and_file(photos):
    found = inputs.expand_source(str(photos))
    assert [f.name for f in found] == sorted(f.name for f in found)
    assert {f.name for f in found} == {"astronaut.png", "coffee.png", "rocket.jpg",
                                       "nested/chelsea.png", "nested/hubble_deep_field.jpg"}
    assert [f.name for f in inputs.expand_source(str(photos / "nested" / "*.png"))] == ["chelsea.png"]
    assert [f.name for f in inputs.expand_source(str(photos / "README.txt"))] == ["README.txt"]
    with pytest.raises(ValueError, match="no files found"):
        inputs.expand_source(str(photos / "missing"))


def test_gopro_listing(tmp_path):
    root = gopro_tree(tmp_path / "GOPRO_Large")
    pairs, rejects = layouts.gopro(str(root), "blur_gamma")
    assert len(pairs) == 6 and {p.split for p in pairs} == {"train", "test"}
    assert sum(p.split == "test" for p in pairs) == 2
    assert all("/blur_gamma/" in p.blurred and "/sharp/" in p.sharp for p in pairs)
    assert rejects == []  # the orphan is a 'blur' frame: not an input when pairing blur_gamma
    pairs, rejects = layouts.gopro(str(root), "blur")
    assert len(pairs) == 6 and all("/blur/" in p.blurred for p in pairs)
    assert [(r.kind, r.path.endswith("blur/000099.png")) for r in rejects] == [("partner missing", True)]
    assert "sharp/000099.png does not exist" in rejects[0].reason


def test_folders_and_realblur_and_side_by_side_listing(tmp_path):
    img = np.zeros((20, 20, 3), np.uint8)
    for name in ("a.png", "b.png"):
        write_rgb(tmp_path / "blurred" / name, img)
    for name in ("a.png", "c.png"):
        write_rgb(tmp_path / "sharp" / name, img)
    pairs, rejects = layouts.folders(str(tmp_path / "blurred"), str(tmp_path / "sharp"), 0.0)
    assert [p.key for p in pairs] == ["a.png"]
    assert sorted((r.path.split("/")[-2], r.kind) for r in rejects) == [("blurred", "partner missing"),
                                                                         ("sharp", "partner missing")]
    lst = tmp_path / "RealBlur_J_test_list.txt"
    lst.write_text("sharp/a.png blurred/a.png\n\njust-one-path\nsharp/c.png blurred/c.png\n")
    pairs, rejects = layouts.realblur([str(lst)], None, 0.5)
    assert [(p.key, p.split) for p in pairs] == [("blurred/a.png", "test"), ("blurred/c.png", "test")]
    assert [(r.kind, r.path) for r in rejects] == [("malformed", f"{lst}:3")]
    write_rgb(tmp_path / "ab" / "train" / "x.png", np.zeros((8, 16, 3), np.uint8))
    write_rgb(tmp_path / "ab" / "test" / "y.png", np.zeros((8, 16, 3), np.uint8))
    pairs, _ = layouts.side_by_side([str(tmp_path / "ab")], 0.5)
    assert [(p.key, p.split, p.sharp) for p in pairs] == [("test/y.png", "test", None), ("train/x.png", "train", None)]


def test_sources_merge_by_name_and_a_second_file_is_a_duplicate(tmp_path):
    img = np.zeros((8, 16, 3), np.uint8)
    for path in ("s1/a.png", "s2/a.png", "s2/b.png", "s3/train/a.png"):
        write_rgb(tmp_path / path, img)
    srcs = [str(tmp_path / "s1"), str(tmp_path / "s2"), str(tmp_path / "s2" / "b.png"), str(tmp_path / "s3")]
    kept, rejects = inputs.merge_sources(srcs)
    assert [(f.name, f.path) for f in kept] == [("a.png", str(tmp_path / "s1/a.png")),
                                                ("b.png", str(tmp_path / "s2/b.png")),
                                                ("train/a.png", str(tmp_path / "s3/train/a.png"))]
    assert [(r.kind, r.path) for r in rejects] == [("duplicate", str(tmp_path / "s2/a.png"))]
    assert f"same name 'a.png' as {tmp_path / 's1/a.png'}" in rejects[0].reason
    # the earlier --src keeps the name, whatever the paths' order
    kept, rejects = inputs.merge_sources(srcs[1::-1])
    assert kept[0].path == str(tmp_path / "s2/a.png") and rejects[0].path == str(tmp_path / "s1/a.png")
    # side-by-side merges the same way: 4 files = 3 pairs + 1 reject, none silently dropped
    pairs, rejects = layouts.side_by_side(srcs, 0.0)
    assert [(p.key, p.split) for p in pairs] == [("a.png", "train"), ("b.png", "train"), ("train/a.png", "train")]
    assert [(r.kind, r.path) for r in rejects] == [("duplicate", str(tmp_path / "s2/a.png"))]


def test_realblur_repeats_are_one_input_or_a_reject(tmp_path):
    train, test = tmp_path / "RealBlur_J_train_list.txt", tmp_path / "RealBlur_J_test_list.txt"
    train.write_text("gt/1.png blur/1.png\n"
                     "gt/1.png blur/1.png\n"        # the same line again: one input
                     "gt/2.png blur/2.png\n"
                     "gt/other.png blur/2.png\n")   # the same blurred image, another sharp partner
    test.write_text("gt/3.png blur/3.png\n"
                    "gt/1.png blur/1.png\n")        # a train pair listed for test too
    pairs, rejects = layouts.realblur([str(train), str(test)], None, 0.5)
    assert [(p.key, p.split, p.sharp.endswith(f"gt/{p.key[-5:]}")) for p in pairs] == [
        ("blur/1.png", "train", True), ("blur/2.png", "train", True), ("blur/3.png", "test", True)]
    assert [(r.kind, r.path) for r in rejects] == [("duplicate", f"{train}:4"), ("duplicate", f"{test}:2")]
    assert f"pairs it with {tmp_path / 'gt/other.png'}, but {train}:3 pairs it with" in rejects[0].reason
    assert f"puts it in the test split, but {train}:1 already put it in train" in rejects[1].reason
    assert len(pairs) + len(rejects) == 5, "5 distinct lines, each written or rejected"


def test_directories_take_blurgen_images_one_extension_list(tmp_path, monkeypatch):
    from blurgen.images import codec

    (tmp_path / "frame.exr").write_bytes(b"not really")
    with pytest.raises(ValueError, match=r"\.webp files"):
        inputs.expand_source(str(tmp_path))
    monkeypatch.setattr(codec, "IMAGE_EXTENSIONS", codec.IMAGE_EXTENSIONS + (".exr",))
    assert [f.name for f in inputs.expand_source(str(tmp_path))] == ["frame.exr"]
    assert not hasattr(inputs, "IMAGE_EXTENSIONS"), "one list, in blurgen.images"


def test_pipelines_never_import_tensorflow():
    """Beam workers stay TF-free, and tfrecord (which pipelines use) cannot share a process with TF."""
    import subprocess
    import sys

    code = ("import sys, pipelines.synth, pipelines.pairs, pipelines.inspection, pipelines.cards.sheet, pipelines.cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tensorflow_datasets', 'keras')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
