"""The trainer's files go through blurgen's one atomic writer, with tf.io.gfile for URLs."""
from __future__ import annotations

import os

import pytest
import tensorflow as tf

from training.gan import files


def test_a_url_is_written_whole_through_gfile_and_a_failed_write_keeps_the_previous():
    # ram:// is TensorFlow's in-memory file system: a URL that tf.io.gfile reaches and os does not.
    folder = "ram://atomic-test"
    tf.io.gfile.makedirs(folder)
    path = f"{folder}/summary.json"
    files.write_atomic(path, b"first")
    files.write_atomic(path, b"second")
    with tf.io.gfile.GFile(path, "rb") as f:
        assert f.read() == b"second"

    def dies(f):
        f.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        files.write_atomic(path, dies)
    with tf.io.gfile.GFile(path, "rb") as f:
        assert f.read() == b"second"
    assert tf.io.gfile.listdir(folder) == ["summary.json"], "the partial object is gone"


def test_a_local_path_is_written_with_os(tmp_path, monkeypatch):
    monkeypatch.setattr(files.GFILES, "open", lambda path: pytest.fail("gfile used for a local path"))
    files.write_atomic(str(tmp_path / "a.csv"), b"x")
    assert os.listdir(tmp_path) == ["a.csv"]
