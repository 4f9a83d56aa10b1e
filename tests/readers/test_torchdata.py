"""blurgen.torchdata.PairDataset in a real torch DataLoader: tensors, workers, crops, epochs, errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed here: make test-readers installs it")
from torch.utils.data import DataLoader  # noqa: E402

from blurgen import torchdata  # noqa: E402
from blurgen.torchdata import PairDataset  # noqa: E402
from readerkit import pair_images, write_shards  # noqa: E402


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    out = tmp_path_factory.mktemp("torch-shards")
    keys = write_shards(out, count=21, shards=5, height=24, width=32)
    return str(out / "*-train.tfrecord-*"), keys


def test_whole_images_are_float_tensors_in_0_1_equal_to_the_stored_pixels(shards):
    pattern, keys = shards
    items = list(DataLoader(PairDataset(pattern, with_key=True), batch_size=None))
    assert sorted(k for _, _, k in items) == keys
    for blurred, sharp, key in items:
        assert blurred.dtype == sharp.dtype == torch.float32 and tuple(sharp.shape) == (3, 24, 32)
        b, s = pair_images(int(key.split("-")[1]), 24, 32)
        np.testing.assert_allclose(sharp.numpy(), s.transpose(2, 0, 1) / 255.0, atol=1e-7)
        np.testing.assert_allclose(blurred.numpy(), b.transpose(2, 0, 1) / 255.0, atol=1e-7)


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # 7 workers on 2 cores, on purpose
@pytest.mark.parametrize("workers", [0, 2, 3, 7])  # 7 workers > 5 shards: records are strided
def test_each_record_once_per_epoch_across_workers(shards, workers):
    pattern, keys = shards
    ds = PairDataset(pattern, crop=16, shuffle=True, with_key=True)
    loader = DataLoader(ds, batch_size=4, num_workers=workers)
    for epoch in range(2):
        ds.set_epoch(epoch)
        seen = [k for _, _, batch_keys in loader for k in batch_keys]
        assert sorted(seen) == keys, (workers, epoch)


def test_crops_are_aligned_batched_and_change_with_the_epoch(shards):
    pattern, _ = shards
    ds = PairDataset(pattern, crop=16, seed=1, shuffle=True)

    def epoch(e):
        ds.set_epoch(e)
        return [(b.clone(), s.clone()) for b, s in DataLoader(ds, batch_size=5, num_workers=2)]

    first, again, second = epoch(0), epoch(0), epoch(1)
    for b, s in first:
        assert b.shape[1:] == s.shape[1:] == (3, 16, 16) and 0 <= float(s.min()) and float(s.max()) <= 1
        diff = (b - s) * 255
        assert float(diff.min()) > -0.01 and float(diff.max()) < 1.01  # the same window and flip
    assert all(torch.equal(x[1], y[1]) for x, y in zip(first, again))
    assert not all(torch.equal(x[1], y[1]) for x, y in zip(first, second))


def test_ranks_of_a_distributed_run_share_the_records(shards, monkeypatch):
    pattern, keys = shards
    seen = []
    for rank in range(2):
        monkeypatch.setattr(torchdata, "_rank", lambda rank=rank: (rank, 2))
        ds = PairDataset(pattern, with_key=True)
        seen += [k for _, _, batch in DataLoader(ds, batch_size=3, num_workers=2) for k in batch]
    assert sorted(seen) == keys


def test_a_corrupt_record_names_its_shard_through_the_loader(tmp_path):
    write_shards(tmp_path, count=4, shards=1)
    shard = next(tmp_path.glob("*.tfrecord-*"))
    data = bytearray(shard.read_bytes())
    data[-10] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(Exception, match=r"blurgen-train.tfrecord-00000-of-00001: record 3 at byte [\d,]+ has a bad "
                                        r"data checksum"):
        list(DataLoader(PairDataset(str(tmp_path / "*.tfrecord-*")), batch_size=None, num_workers=1))


def test_a_crafted_length_is_refused_in_one_line_before_anything_is_allocated(tmp_path):
    from fuzzkit import craft_length
    write_shards(tmp_path, count=4, shards=1)
    shard = str(next(tmp_path.glob("*.tfrecord-*")))
    at = craft_length(shard, 2, 40 << 30)
    got = []
    with pytest.raises(ValueError) as err:
        for blurred, sharp in DataLoader(PairDataset(shard), batch_size=None):
            got.append(blurred)
    assert str(err.value).startswith(f"{shard}: record 2 at byte {at:,} claims 42,949,672,960 bytes of data")
    assert "\n" not in str(err.value) and len(got) == 2
    with pytest.raises(ValueError, match="max_record must be a positive number of bytes"):
        PairDataset(shard, max_record=0)
    with pytest.raises(ValueError, match=r"record 0 at byte 0 claims [\d,]+ bytes, more than the 1,000 bytes"):
        list(DataLoader(PairDataset(shard, max_record=1000), batch_size=None))


def test_bad_arguments_say_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="no shard matches"):
        PairDataset(str(tmp_path / "*.tfrecord-*"))
    with pytest.raises(ValueError, match="crop must be a positive"):
        PairDataset(str(tmp_path / "x"), crop=0)


def test_importing_blurgen_never_imports_torch():
    # (pipelines/ is another matter: the tfrecord package imports torch itself where it is installed.)
    code = ("import sys, blurgen, blurgen.cli, blurgen.degradation, blurgen.kernels, blurgen.pictures.preview\n"
            "blurgen.degrade\nprint('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr
