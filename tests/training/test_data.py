"""tf.data input: parsing by the schema, aligned crops (eager and in Dataset.map), eval mode, corrupt shards."""
import shutil

import numpy as np
import pytest
import tensorflow as tf

from blurgen.images import decode_image, encode_jpeg
from shardkit import example_bytes, sample_pairs
from training.data import shards as data


def test_a_pattern_that_matches_nothing_names_itself(tmp_path):
    with pytest.raises(ValueError, match="no shard matches .*nothing-here"):
        data.list_shards(str(tmp_path / "nothing-here-*"))


def _locate(window: np.ndarray, image: np.ndarray) -> tuple[int, int, bool]:
    """Where ``window`` sits in ``image`` (top, left) and whether it was flipped; exact match only."""
    c = window.shape[0]
    for flipped in (False, True):
        w = window[:, ::-1] if flipped else window
        for y in range(image.shape[0] - c + 1):
            for x in range(image.shape[1] - c + 1):
                if np.array_equal(image[y:y + c, x:x + c], w):
                    return y, x, flipped
    raise AssertionError("window not found in the image")


def _crop_check(blurred, sharp, crop_b, crop_s):
    assert _locate(crop_b, blurred) == _locate(crop_s, sharp)


def test_pair_crop_is_the_same_window_and_flip_for_both_images_eagerly_and_in_a_dataset_map():
    (_, blurred, sharp), = sample_pairs(40, names=("chelsea.png",))
    b, s = tf.constant(blurred), tf.constant(sharp)
    seeds = [tf.constant([0, i], tf.int64) for i in range(6)]
    eager = [data.random_pair_crop(b, s, 16, seed) for seed in seeds]
    for cb, cs in eager:
        assert cb.shape == (16, 16, 3) and cb.dtype == tf.uint8
        _crop_check(blurred, sharp, cb.numpy(), cs.numpy())
    # Different seeds give different windows (the crop is not stuck in one place).
    assert len({_locate(cb.numpy(), blurred) for cb, _ in eager}) > 1
    # The same function inside tf.data (graph mode) gives the same crops for the same seeds.
    ds = tf.data.Dataset.from_tensor_slices(tf.stack(seeds)).map(lambda seed: data.random_pair_crop(b, s, 16, seed))
    for (gb, gs), (cb, cs) in zip(ds, eager):
        np.testing.assert_array_equal(gb.numpy(), cb.numpy())
        np.testing.assert_array_equal(gs.numpy(), cs.numpy())


def test_an_image_smaller_than_the_crop_is_padded_up_to_it():
    img = tf.zeros([10, 20, 3], tf.uint8)
    cb, cs = data.random_pair_crop(img, img + 1, 24, tf.constant([1, 2], tf.int64))
    assert cb.shape == (24, 24, 3) and cs.shape == (24, 24, 3)


@pytest.mark.parametrize("side", [40, 60, 1])
def test_a_side_much_shorter_than_the_crop_is_mirror_padded_eagerly_and_in_a_dataset_map(side):
    # tf.pad's SYMMETRIC mode cannot pad by more than the side itself (60 px to 256 failed).
    rng = np.random.default_rng(side)
    blurred = tf.constant(rng.integers(0, 256, (side, side + 3, 3), dtype=np.uint8))
    sharp = tf.constant(rng.integers(0, 256, (side, side + 3, 3), dtype=np.uint8))
    seed = tf.constant([5, 6], tf.int64)
    cb, cs = data.random_pair_crop(blurred, sharp, 256, seed)
    assert cb.shape == (256, 256, 3) and cs.shape == (256, 256, 3)
    # Mirror padding only repeats the image's own pixels, and the pair stays aligned: the padded
    # pair is one image seen twice, so padding them as one gives the same crops.
    assert set(np.unique(cb.numpy())) <= set(np.unique(blurred.numpy()))
    stacked = data._pad_to(tf.concat([blurred, sharp], axis=-1), 256).numpy()
    np.testing.assert_array_equal(data._pad_to(blurred, 256).numpy(), stacked[..., :3])
    np.testing.assert_array_equal(data._pad_to(sharp, 256).numpy(), stacked[..., 3:])
    # Inside tf.data (graph mode) it gives the same crops.
    ds = tf.data.Dataset.from_tensors((blurred, sharp)).map(lambda b, s: data.random_pair_crop(b, s, 256, seed))
    gb, gs = next(iter(ds))
    np.testing.assert_array_equal(gb.numpy(), cb.numpy())
    np.testing.assert_array_equal(gs.numpy(), cs.numpy())


def test_mirror_padding_matches_tf_pad_symmetric_where_that_works():
    img = tf.reshape(tf.range(5 * 7 * 3, dtype=tf.int32), [5, 7, 3])
    want = tf.pad(img, [[2, 3], [1, 2], [0, 0]], mode="SYMMETRIC")
    np.testing.assert_array_equal(data._pad_to(img, 10).numpy(), want.numpy())


def test_train_batches_are_float_in_range_aligned_and_shuffled(train_glob):
    # 64 px crops of the 96 px pairs: large enough that a crop's content, not its mean colour,
    # decides which sharp crop it resembles (32 px crops of two flat regions can tie).
    ds = data.train_dataset(train_glob, batch=3, crop=64, shuffle_buffer=8, seed=0)
    b, s = next(iter(ds))
    assert b.shape == (3, 64, 64, 3) and s.shape == (3, 64, 64, 3)
    assert b.dtype == tf.float32 and -1.0 <= float(tf.reduce_min(b)) and float(tf.reduce_max(b)) <= 1.0
    # Blurred crops resemble their own sharp crops more than the other pairs' (alignment).
    err = np.abs(b.numpy()[:, None] - s.numpy()[None]).mean(axis=(2, 3, 4))
    assert np.all(np.argmin(err, axis=1) == np.arange(3)), err
    # The dataset repeats past the 10 pairs written.
    assert sum(1 for _ in ds.take(8)) == 8


def test_eval_mode_yields_every_whole_image_once_with_its_key(shard_dir, test_glob):
    pairs = {k: (b, s) for k, b, s in sample_pairs(80, seed=1, names=("astronaut.png", "chelsea.png", "coffee.png"))}
    seen = {}
    for ex in data.eval_dataset(test_glob):
        seen[ex["key"].numpy().decode()] = (ex["blurred"].numpy(), ex["sharp"].numpy())
    assert sorted(seen) == sorted(pairs)
    for k, (b, s) in seen.items():
        np.testing.assert_array_equal(s, pairs[k][1])  # PNG is lossless: the exact pixels come back
        np.testing.assert_array_equal(b, pairs[k][0])


def test_jpeg_blurred_and_grey_images_decode_to_rgb(tmp_path):
    (key, blurred, sharp), = sample_pairs(48, names=("coffee.png",))
    grey = sharp[..., 1].copy()
    path = str(tmp_path / "mixed-test.tfrecord-00000-of-00001")
    with tf.io.TFRecordWriter(path) as w:
        w.write(example_bytes(key, blurred, sharp, blurred_format="jpeg"))
        w.write(example_bytes("grey#v0", grey, grey))
    out = list(data.eval_dataset(path))
    assert out[0]["blurred"].shape == sharp.shape
    # Exactly OpenCV's pixels for the same JPEG bytes (TF's default fast IDCT would not be).
    np.testing.assert_array_equal(out[0]["blurred"].numpy(), decode_image(encode_jpeg(blurred, 95)))
    assert out[1]["sharp"].shape == grey.shape + (3,)
    np.testing.assert_array_equal(out[1]["sharp"].numpy()[..., 2], grey)


def _corrupt_copy(src: str, dest_dir) -> str:
    dest = str(dest_dir / "broken-train.tfrecord-00000-of-00001")
    shutil.copy(src, dest)
    raw = bytearray(open(dest, "rb").read())
    raw[len(raw) // 2] ^= 0xFF  # inside the second half's records: a CRC mismatch
    open(dest, "wb").write(bytes(raw))
    return dest


def test_a_corrupt_shard_stops_reading_with_an_error_naming_it(train_glob, tmp_path):
    broken = _corrupt_copy(sorted(tf.io.gfile.glob(train_glob))[0], tmp_path)
    files = [broken]
    with pytest.raises(data.CorruptShardError, match="broken-train.tfrecord-00000-of-00001"):
        for _ in data.iterate_checked(data.eval_dataset(files), files):
            pass
    report, = data.scan_shards(files)
    assert report.error and "DataLoss" in report.error and 0 < report.records < 5


def test_with_ignore_errors_a_corrupt_shard_is_cut_short_and_counted(train_glob, tmp_path):
    good = sorted(tf.io.gfile.glob(train_glob))[1]
    broken = _corrupt_copy(sorted(tf.io.gfile.glob(train_glob))[0], tmp_path)
    n_good = sum(1 for _ in tf.data.TFRecordDataset(good))
    readable = data.scan_shards([broken])[0].records
    got = list(data.eval_dataset([good, broken], ignore_errors=True))
    assert len(got) == n_good + readable
    # Training input also goes on past the damage.
    ds = data.train_dataset([good, broken], batch=2, crop=16, shuffle_buffer=4, ignore_errors=True)
    assert sum(1 for _ in ds.take(10)) == 10


def test_the_same_seed_gives_the_same_batches(train_glob):
    def first(seed):
        b, s = next(iter(data.train_dataset(train_glob, batch=4, crop=24, shuffle_buffer=8, seed=seed)))
        return b.numpy(), s.numpy()

    a, b, c = first(0), first(0), first(1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def _mixing_shards(directory, order, photos=32, per_photo=64, shards=4):
    """``photos`` x ``per_photo`` tiny records in ``shards`` shards, each shard sorted by ``order``
    (key -> sort key), as a pipeline writes them; records go to shards by a stable hash. Each
    photo is one flat grey level (7 x its number), so a crop tells which photo it came from."""
    from blurgen.shards import schema
    from blurgen.seeding import stable_hash
    groups = [[] for _ in range(shards)]
    for p in range(photos):
        for v in range(per_photo):
            key = f"photo{p:02d}.png#v{v}"
            groups[stable_hash(key) % shards].append((key, p))
    for i, items in enumerate(groups):
        with tf.io.TFRecordWriter(str(directory / schema.shard_name("mix", "train", i, shards))) as w:
            for key, p in sorted(items, key=lambda item: order(item[0])):
                img = np.full((8, 8, 3), 7 * p, np.uint8)
                w.write(example_bytes(key, img, img))
    return str(directory / "mix-train.tfrecord-*")


def _photos_per_batch(pattern, batches=200):
    from training.config import TrainConfig
    ds = data.train_dataset(pattern, 8, 8, TrainConfig().shuffle_buffer, seed=0)
    counts = []
    for blurred, _ in ds.take(batches):
        photos = np.round((blurred.numpy()[:, 0, 0, 0] + 1) * 127.5 / 7).astype(int)
        counts.append(len(set(photos)))
    return float(np.mean(counts))


def test_a_batch_of_8_draws_from_about_8_photos_with_default_settings(tmp_path):
    # 32 photos x 64 records (8 variants x 8 patches): sorted by key within a shard, a photo's
    # records sit together and the default shuffle buffer holds only a few photos; in the
    # pipelines' order (a stable hash of the key) a batch of 8 draws from about 8 photos.
    from blurgen.shards.schema import record_order
    (tmp_path / "hashed").mkdir()
    (tmp_path / "by_key").mkdir()
    hashed = _photos_per_batch(_mixing_shards(tmp_path / "hashed", record_order))
    by_key = _photos_per_batch(_mixing_shards(tmp_path / "by_key", lambda k: k))
    # Means over 200 batches, measured under six global seeds (earlier tests set one, and the
    # shuffles depend on it): hashed 7.12 to 7.34 (8 draws from 32 photos give 7.2 distinct on
    # average), by key 5.62 to 5.80. Over 40 batches the means vary more (by key: 6.05 to 6.53
    # with 32 records per photo).
    assert hashed >= 6.8
    assert by_key < 6.3


def test_training_batches_take_the_blurred_image_as_input_and_the_sharp_as_target(tmp_path):
    # The first element of a training pair must be cut from the stored blurred image.
    (key, blurred, sharp), = sample_pairs(48, names=("chelsea.png",))
    path = tmp_path / "one-train.tfrecord-00000-of-00001"
    with tf.io.TFRecordWriter(str(path)) as w:
        w.write(example_bytes(key, blurred, sharp))
    b, s = next(iter(data.train_dataset(str(path), 1, 24, 1, seed=3)))
    crop_b, crop_s = data.to_uint8(b[0]).numpy(), data.to_uint8(s[0]).numpy()
    where = _locate(crop_b, blurred)
    assert _locate(crop_s, sharp) == where
    assert not np.array_equal(crop_b, crop_s)


def test_the_holdout_split_is_fixed_by_the_keys_keeps_a_photo_on_one_side_and_partitions_the_pairs(train_glob):
    keys = tf.constant([f"photos/p{i}.jpg#v{v}p{p}" for i in range(400) for v in range(2) for p in range(2)])
    by_source = data.holdout_mask(keys, 0.25, "source").numpy().reshape(400, 4)
    # Every variant and patch of one photo falls on the same side; about a quarter of the photos are held out.
    assert (by_source == by_source[:, :1]).all()
    assert 0.18 < by_source[:, 0].mean() < 0.32
    by_key = data.holdout_mask(keys, 0.25, "key").numpy().reshape(400, 4)
    assert not (by_key == by_key[:, :1]).all() and 0.2 < by_key.mean() < 0.3
    # FarmHash fingerprints: the same buckets on every machine, so the split never moves.
    assert int(tf.strings.to_hash_bucket_fast("photos/p0.jpg", data.HOLDOUT_BUCKETS)) == 549941
    # Held-out and kept pairs of real shards: disjoint, together every record once.
    records = list(tf.data.TFRecordDataset(data.list_shards(train_glob)))
    sides = [[r for r in records if bool(data.holdout_filter(0.5, "key", held)(r))] for held in (True, False)]
    assert len(sides[0]) + len(sides[1]) == len(records) and sides[0] and sides[1]
    assert not {r.numpy() for r in sides[0]} & {r.numpy() for r in sides[1]}
