"""The TF-free shard reader (blurgen.shards.reader) reads URLs through fsspec as it reads local files."""
from __future__ import annotations

import numpy as np
import pytest

import readerkit
from blurgen.shards import reader

fsspec = pytest.importorskip("fsspec")


def test_a_url_lists_and_reads_the_same_pairs_as_the_local_files(tmp_path):
    local = tmp_path / "shards"
    readerkit.write_shards(local, count=5, shards=2)
    memory = fsspec.filesystem("memory")
    for path in sorted(local.iterdir()):
        memory.pipe(f"/blurgen-url-test/{path.name}", path.read_bytes())
    try:
        urls = reader.list_shards("memory://blurgen-url-test/*-train.tfrecord-*")
        files = reader.list_shards(str(local / "*-train.tfrecord-*"))
        assert [u.rsplit("/", 1)[1] for u in urls] == [f.rsplit("/", 1)[1] for f in files] and len(urls) == 2
        assert all(u.startswith("memory://") for u in urls)
        remote = list(reader.iter_pairs(urls, crop=8, seed=3))
        here = list(reader.iter_pairs(files, crop=8, seed=3))
        assert [p["key"] for p in remote] == [p["key"] for p in here] and len(remote) == 5
        for a, b in zip(remote, here):
            np.testing.assert_array_equal(a["blurred"], b["blurred"])
            np.testing.assert_array_equal(a["sharp"], b["sharp"])
    finally:
        memory.rm("/blurgen-url-test", recursive=True)


def test_a_url_glob_that_matches_nothing_says_what_it_expected():
    with pytest.raises(ValueError, match="memory://nothing-here/\\*: no shard matches"):
        reader.list_shards("memory://nothing-here/*")
