"""Inputs a careless or hostile user gives: nothing of theirs is overwritten, no pair is silently
wrong, and every input ends as a pair or a reasoned reject."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from blurgen.shards import schema
from blurgen.images import decode_image, encode_png
from pipelines import inspection, pairs, synth
from pipelines.items.realpairs import PairSettings, load_images
from pipelines.sources import layouts
from pipelines.sources.layouts import PairInput
from pipelines.sources.rejects import RejectError

from exif_helpers import jpeg_with_orientation
from pipeline_helpers import SAMPLES, read_jsonl, records, small_copy, write_rgb

RUNNER = "--runner=DirectRunner"


# --- nothing a user owns is overwritten -------------------------------------------------------

@pytest.fixture(scope="module")
def built(photos, tmp_path_factory):
    """A dataset written into the photo folder itself (a careless but legal choice)."""
    folder = tmp_path_factory.mktemp("own")
    for p in sorted(photos.rglob("*.png"))[:2]:
        (folder / p.name).write_bytes(p.read_bytes())
    code = synth.main(["--src", str(folder), "--out", str(folder), "--num-shards", "1", RUNNER])
    assert code == 0
    return folder


@pytest.mark.slow
def test_a_rerun_whose_glob_takes_the_old_shards_is_refused_before_deleting_them(built, capsys):
    shard = next(built.glob("blurgen-train.tfrecord-*"))
    before = {p.name: p.read_bytes() for p in built.iterdir()}
    code = synth.main(["--src", str(built / "*"), "--out", str(built), "--overwrite", RUNNER])
    err = capsys.readouterr().err
    assert code == 2 and f"the old shard {shard} is the same file as input {shard}" in err, err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in built.iterdir()} == before, "nothing written, nothing deleted"


@pytest.mark.slow
def test_inspect_sheet_cannot_overwrite_a_shard_and_index_files_are_not_shards(built, capsys):
    shard = next(built.glob("blurgen-train.tfrecord-*"))
    before = shard.read_bytes()
    assert inspection.main([str(built), "--sheet", str(shard)]) == 2
    assert "--sheet" in capsys.readouterr().err and shard.read_bytes() == before
    # tfrecord2idx writes an index beside each shard; the glob 'blurgen-*.tfrecord-*' matches it
    index = shard.with_name(shard.name + ".idx")
    index.write_text("0 120\n")
    try:
        report = inspection.inspect_dataset(str(built))
        assert report.ok, report.problems
    finally:
        index.unlink()


def test_shard_names_are_one_rule():
    assert schema.is_shard_name("d/blurgen-train.tfrecord-00000-of-00008")
    assert schema.is_shard_name("gs://b/x.tfrecord") and schema.is_shard_name("x.tfrecords")
    assert not schema.is_shard_name("d/blurgen-train.tfrecord-00000-of-00008.idx")
    assert not schema.is_shard_name("d/blurgen-train.tfrecord-00000-of-00008.tmp")
    assert schema.is_dataset_shard("d/my-set-test.tfrecord-00001-of-00002", "my-set")
    assert not schema.is_dataset_shard("d/blurgen-x-train.tfrecord-00000-of-00001", "blurgen")


# --- every input accounted for ----------------------------------------------------------------

@pytest.mark.slow
def test_a_dangling_symlink_among_photos_is_a_reject(tmp_path):
    src = tmp_path / "photos"
    write_rgb(src / "good.png", small_copy(SAMPLES[0], 48))
    os.symlink(tmp_path / "gone.png", src / "broken.png")
    out = tmp_path / "out"
    manifest = synth.run(["--src", str(src), "--out", str(out), "--max-reject-fraction", "1", RUNNER])
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (2, 1, 1)
    (reject,) = read_jsonl(out / "rejects.jsonl")
    assert reject["path"] == str(src / "broken.png") and reject["kind"] == "unreadable"
    assert f"a symbolic link to {tmp_path / 'gone.png'}, which does not exist" in reject["reason"]


# --- no pair silently wrong -------------------------------------------------------------------

def _pair(tmp_path: Path, blurred: bytes, sharp: bytes) -> PairInput:
    (tmp_path / "b.jpg").write_bytes(blurred)
    (tmp_path / "s.png").write_bytes(sharp)
    return PairInput("k", "train", str(tmp_path / "b.jpg"), str(tmp_path / "s.png"), "k")


def test_exif_orientation_on_one_side_is_a_reject_naming_the_tag(tmp_path):
    sharp = small_copy(SAMPLES[1], 40)  # not square: a turned side would also differ in size
    item = _pair(tmp_path, jpeg_with_orientation(sharp, 6), encode_png(sharp))
    with pytest.raises(RejectError) as caught:
        load_images(item, PairSettings())
    assert caught.value.kind == "orientation differs"
    assert "EXIF orientation 6 (rotated 90 degrees clockwise)" in str(caught.value)
    assert "orientation 1 (as stored)" in str(caught.value)
    square = sharp[:, :sharp.shape[0]]  # a square pair would otherwise pass, turned against its partner
    item = _pair(tmp_path, jpeg_with_orientation(square, 6), encode_png(square))
    with pytest.raises(RejectError, match="EXIF orientation 6"):
        load_images(item, PairSettings())


def test_the_same_tag_on_both_sides_turns_both(tmp_path):
    sharp = small_copy(SAMPLES[1], 40)
    (tmp_path / "b.jpg").write_bytes(jpeg_with_orientation(sharp, 8))
    (tmp_path / "s.jpg").write_bytes(jpeg_with_orientation(sharp, 8, order="II"))
    item = PairInput("k", "train", str(tmp_path / "b.jpg"), str(tmp_path / "s.jpg"), "k")
    blurred, got = load_images(item, PairSettings())
    assert got.shape == (sharp.shape[1], sharp.shape[0], 3) and np.array_equal(blurred, got)
    assert np.abs(np.rot90(got, -1).astype(int) - sharp).mean() < 3  # turned back, it is the photo


@pytest.mark.slow
def test_a_pairs_run_rejects_the_turned_pair_and_keeps_the_good_one(tmp_path):
    a = small_copy(SAMPLES[2], 40)
    (tmp_path / "blurred").mkdir()
    (tmp_path / "blurred" / "turned.jpg").write_bytes(jpeg_with_orientation(a, 6))
    write_rgb(tmp_path / "sharp" / "turned.jpg", a)
    write_rgb(tmp_path / "blurred" / "ok.png", a)
    write_rgb(tmp_path / "sharp" / "ok.png", a)
    out = tmp_path / "out"
    manifest = pairs.run(["--layout", "folders", "--blurred", str(tmp_path / "blurred"), "--sharp",
                          str(tmp_path / "sharp"), "--out", str(out), "--test-fraction", "0",
                          "--max-reject-fraction", "1", RUNNER])
    assert manifest["rejects_by_kind"] == {"orientation differs": 1} and manifest["written"] == 1
    (rec,) = records(out)["train"]
    assert rec[schema.KEY] == "ok.png"
    assert np.array_equal(decode_image(rec[schema.BLURRED]), decode_image(rec[schema.SHARP]))


def test_realblur_lists_are_normalised_confined_and_split_once(tmp_path):
    train, test = tmp_path / "RealBlur_J_train_list.txt", tmp_path / "RealBlur_J_test_list.txt"
    train.write_text("gt/1.png blur/1.png\n"
                     "./gt/1.png ./blur/1.png\n"          # the same pair, spelled otherwise: one input
                     "gt/1.png blur/../blur/1.png\n"      # again
                     "gt//1.png blur//1.png\n"            # again
                     "../outside/gt.png blur/2.png\n"     # leaves the root
                     "/etc/gt.png blur/3.png\n"           # absolute
                     "gt/4.png blur/4.png extra\n"        # three fields: not silently cut
                     "blur/5.png ./blur/5.png\n"          # its own partner
                     "gt/6.png blur/6.png\n")
    test.write_text("./gt/1.png blur/1.png\n"             # a train pair listed for test: leakage
                    "gt/6.png blur/6b.png\n"              # a train scene's sharp image in test: leakage
                    "gt/7.png blur/7.png\n")
    found, rejects = layouts.realblur([str(train), str(test)], None, 0.5)
    assert [(p.key, p.split) for p in found] == [("blur/1.png", "train"), ("blur/6.png", "train"),
                                                 ("blur/7.png", "test")]
    assert found[0].blurred == str(tmp_path / "blur/1.png") and found[0].sharp == str(tmp_path / "gt/1.png")
    why = {r.path.rsplit("/", 1)[-1]: (r.kind, r.reason) for r in rejects}
    assert set(why) == {f"{train.name}:{n}" for n in (5, 6, 7, 8)} | {f"{test.name}:{n}" for n in (1, 2)}
    assert "leaves the dataset root" in why[f"{train.name}:5"][1]
    assert "absolute path" in why[f"{train.name}:6"][1]
    assert "got 3 field(s)" in why[f"{train.name}:7"][1] and why[f"{train.name}:7"][0] == "malformed"
    assert "its own sharp partner" in why[f"{train.name}:8"][1]
    assert why[f"{test.name}:1"][0] == "duplicate" and "already put it in train" in why[f"{test.name}:1"][1]
    assert why[f"{test.name}:2"][0] == "duplicate" and "leaks test images into training" in why[f"{test.name}:2"][1]
    # every line is a pair, a repeat of a pair, or a reject
    assert len(found) + 3 + len(rejects) == 12


def test_gopro_images_outside_the_layout_are_rejects_not_a_new_split(tmp_path):
    from pipeline_helpers import gopro_tree

    root = gopro_tree(tmp_path / "GOPRO_Large")
    img = np.zeros((24, 40, 3), np.uint8)
    write_rgb(root / "val" / "GOPR0009_00_00" / "blur" / "000001.png", img)
    write_rgb(root / "val" / "GOPR0009_00_00" / "sharp" / "000001.png", img)
    write_rgb(root / "train" / "GOPR0001_00_00" / "frames" / "000001.png", img)
    found, rejects = layouts.gopro(str(root), "blur")
    assert {p.split for p in found} == {"train", "test"}
    outside = sorted(r.path for r in rejects if r.kind == "malformed")
    assert [Path(p).relative_to(root).as_posix() for p in outside] == [
        "train/GOPR0001_00_00/frames/000001.png", "val/GOPR0009_00_00/blur/000001.png",
        "val/GOPR0009_00_00/sharp/000001.png"]
    assert "not in GoPro's layout" in rejects[0].reason


def test_folders_layout_refuses_one_folder_for_both_sides(tmp_path):
    write_rgb(tmp_path / "d" / "sharp" / "a.png", np.zeros((8, 8, 3), np.uint8))
    for blurred, sharp in (("d", "d"), ("d", "d/sharp"), ("d/sharp", "d/./sharp/")):
        with pytest.raises(ValueError, match="same folder or one holds the other"):
            layouts.folders(str(tmp_path / blurred), str(tmp_path / sharp), 0.0)
