"""The TF-free shard reader under blurgen.torchdata and the Hugging Face recipe: listing, sharing
among workers, checksums, decoding and aligned crops, tested without torch."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readerkit import index_of, pair_images, write_shards  # noqa: E402

from pipelines import reader  # noqa: E402
from pipelines.shards.records import CorruptRecordError  # noqa: E402


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> tuple[str, list[str]]:
    out = tmp_path_factory.mktemp("reader")
    keys = write_shards(out, count=23, shards=4)
    (out / "blurgen-train.tfrecord-00000-of-00004.idx").write_text("an index, not a shard")
    return str(out / "*-train.tfrecord-*"), keys


def test_listing_takes_only_shards_and_names_a_glob_that_matches_none(shards, tmp_path):
    pattern, _ = shards
    files = reader.list_shards(pattern)
    assert len(files) == 4 and all(not f.endswith(".idx") for f in files)
    assert reader.list_shards([pattern, pattern]) == files
    with pytest.raises(ValueError, match=r"nothing\*: no shard matches; pass a glob of shard files"):
        reader.list_shards(str(tmp_path / "nothing*"))


def test_whole_pairs_come_back_exactly_with_their_fields(shards):
    pattern, keys = shards
    pairs = list(reader.iter_pairs(reader.list_shards(pattern)))
    assert sorted(p["key"] for p in pairs) == keys
    for p in pairs:
        i = int(p["key"].split("-")[1])
        blurred, sharp = pair_images(i, 24, 32)
        np.testing.assert_array_equal(p["blurred"], blurred)
        np.testing.assert_array_equal(p["sharp"], sharp)
        assert p["source"] == f"src/{i}.png" and p["params"] == {"index": i}
        assert (p["kernel"] is None) == (i % 2 == 0)
        if p["kernel"] is not None:
            assert p["kernel"].shape == (3, 5) and p["kernel"].dtype == np.float32


@pytest.mark.parametrize("parts", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_record_goes_to_exactly_one_reader(shards, parts, shuffle):
    """Whole shards when there are enough of them (4), records strided across all when not."""
    pattern, keys = shards
    files = reader.list_shards(pattern)
    seen = [p["key"] for part in range(parts)
            for p in reader.iter_pairs(files, seed=3, epoch=1, shuffle=shuffle, part=part, parts=parts)]
    assert sorted(seen) == keys


def test_shares_are_whole_files_or_strides():
    assert reader.share(["a", "b", "c"], 1, 2) == (["b"], 1, 0)
    assert reader.share(["a", "b"], 2, 3) == (["a", "b"], 3, 2)
    with pytest.raises(ValueError):
        reader.share(["a"], 2, 2)


def test_shuffle_changes_with_the_epoch_and_repeats_with_the_seed(shards):
    pattern, _ = shards
    files = reader.list_shards(pattern)

    def order(seed, epoch, shuffle=True):
        return [p["key"] for p in reader.iter_pairs(files, seed=seed, epoch=epoch, shuffle=shuffle, shuffle_buffer=8)]

    assert order(0, 0) == order(0, 0)
    assert order(0, 0) != order(0, 1) and order(0, 0) != order(1, 0)
    assert order(0, 0, False) == order(5, 3, False)  # no shuffle: file order, whatever the seed
    assert sorted(order(0, 1)) == sorted(order(0, 0, False))


def test_crops_are_aligned_sized_and_deterministic(shards):
    pattern, _ = shards
    files = reader.list_shards(pattern)
    a = list(reader.iter_pairs(files, crop=16, seed=7))
    b = list(reader.iter_pairs(files, crop=16, seed=7))
    flips = 0
    for p, q in zip(a, b):
        assert p["blurred"].shape == p["sharp"].shape == (16, 16, 3)
        np.testing.assert_array_equal(p["sharp"], q["sharp"])
        # blurred is sharp + 1 away from the marker pixel: the same window and flip for both
        diff = p["blurred"].astype(int) - p["sharp"].astype(int)
        assert (diff >= 0).all() and (diff <= 1).all() and diff.mean() > 0.9
        # the gradient's x direction tells whether this crop was flipped
        flips += int(p["sharp"][0, 0, 0]) > int(p["sharp"][0, -1, 0]) and int(p["sharp"][0, 0, 0]) != 0
    assert 0 < flips < len(a)


def test_crop_larger_than_the_image_mirror_pads_like_the_trainer():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded = reader.pad_to(img, 6)
    assert padded.shape == (6, 6, 3)
    # rows -2..3 of a 2-row image, mirrored with the edge repeated: 1 0 | 0 1 | 1 0; columns -1..4
    np.testing.assert_array_equal(padded[:, 2, 0], img[[1, 0, 0, 1, 1, 0], 1, 0])  # column 2 is column 1
    b, s = reader.aligned_crop(img, img, 6, np.random.default_rng(0))
    assert b.shape == s.shape == (6, 6, 3)


def test_a_corrupt_record_names_its_shard(tmp_path):
    write_shards(tmp_path, count=6, shards=2)
    victim = tmp_path / "blurgen-train.tfrecord-00001-of-00002"
    data = bytearray(victim.read_bytes())
    data[200] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(CorruptRecordError,
                       match=r"blurgen-train.tfrecord-00001-of-00002: record \d+ at byte [\d,]+ has a bad"):
        list(reader.iter_pairs(reader.list_shards(str(tmp_path / "*.tfrecord-*"))))


def test_hugging_face_rows_carry_every_field(shards):
    pattern, keys = shards
    rows = list(reader.iter_examples(reader.list_shards(pattern)))
    assert sorted(r["key"] for r in rows) == keys
    odd = next(r for r in rows if r["key"] == "pair-0001")
    assert np.asarray(odd["kernel"]).shape == (3, 5) and odd["params"] == '{"index":1}'
    assert next(r for r in rows if r["key"] == "pair-0000")["kernel"] == []


def test_reading_a_synth_run_gives_the_pipeline_s_pixels(tmp_path, photos):
    """The reader on shards a real Beam run wrote: the same keys and pixels as the tfrecord package reads."""
    from pipeline_helpers import records as tfrecord_records
    from pipelines import synth
    out = tmp_path / "shards"
    assert synth.main(["--src", str(photos), "--out", str(out), "--variants", "1", "--seed", "0",
                       "--test-fraction", "0"]) == 0
    expected = {r["key"]: r for r in tfrecord_records(out)["train"]}
    got = list(reader.iter_pairs(reader.list_shards(str(out / "*-train.tfrecord-*"))))
    assert sorted(p["key"] for p in got) == sorted(expected)
    from blurgen.images import decode_image
    for p in got:
        np.testing.assert_array_equal(p["sharp"], decode_image(expected[p["key"]]["sharp"], orientation=False))
        np.testing.assert_array_equal(p["blurred"], decode_image(expected[p["key"]]["blurred"], orientation=False))
    assert index_of  # the helper module is shared with the torch tests
