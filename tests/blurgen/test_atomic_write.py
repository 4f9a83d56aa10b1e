"""Whole or not at all: blurgen.outputs.atomic, the one writer of files a user keeps."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

from blurgen.images import read_image, write_image
from blurgen.outputs import atomic


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b"old")
    atomic.write_atomic(str(path), b"new contents")
    assert path.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["a.json"]


def test_a_writer_function_streams_into_the_file(tmp_path):
    path = str(tmp_path / "k.npy")
    atomic.write_atomic(path, lambda f: np.save(f, np.arange(6, dtype=np.float32)))
    np.testing.assert_array_equal(np.load(path), np.arange(6, dtype=np.float32))


def test_a_writer_that_fails_midway_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"the previous result")

    def dies_midway(f):
        f.write(b"half of the new")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        atomic.write_atomic(str(path), dies_midway)
    assert path.read_bytes() == b"the previous result"
    assert os.listdir(tmp_path) == ["a.bin"], "the partial file is gone"


def test_a_failed_rename_leaves_the_previous_file_and_no_partial(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    path.write_bytes(b"old")

    def no_rename(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", no_rename)
    with pytest.raises(OSError):
        atomic.write_atomic(str(path), b"new")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.png"]


def test_the_bytes_are_flushed_to_the_disk_before_the_rename(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: order.append("replace") or real_replace(a, b))
    atomic.write_atomic(str(tmp_path / "a"), b"x")
    assert order[:2] == ["fsync", "replace"], order


def test_the_partial_file_sits_in_the_target_folder_and_keeps_the_extension(tmp_path):
    part = atomic.partial_path(str(tmp_path / "photo.png"), pid=42)
    assert part == str(tmp_path / ".photo.partial-42.png")
    assert atomic.PARTIAL.match(os.path.basename(part))["pid"] == "42"
    assert atomic.partial_path("gs://b/run/metrics.csv", pid=7) == "gs://b/run/.metrics.partial-7.csv"


class _Store:
    """An object store in memory, as a caller's file system for URLs."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def open(self, path):
        store = self

        class _Writer(io.BytesIO):
            def close(self):
                store.objects[path] = self.getvalue()
                super().close()
        return _Writer()

    def rename(self, source, target):
        self.objects[target] = self.objects.pop(source)

    def delete(self, path):
        del self.objects[path]

    def exists(self, path):
        return path in self.objects


def test_a_url_goes_through_the_callers_file_system_by_the_same_rule():
    store = _Store()
    store.objects["gs://b/a.json"] = b"old"
    atomic.write_atomic("gs://b/a.json", b"new", remote=store)
    assert store.objects == {"gs://b/a.json": b"new"}

    def dies(f):
        f.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic.write_atomic("gs://b/a.json", dies, remote=store)
    assert store.objects == {"gs://b/a.json": b"new"}, "previous object whole, partial object deleted"


def test_a_url_without_a_file_system_is_refused():
    with pytest.raises(ValueError, match="gs://b/a.json: writing to a URL needs its file system"):
        atomic.write_atomic("gs://b/a.json", b"x")


def test_remove_partials_deletes_other_runs_partials_only(tmp_path):
    (tmp_path / ".a.partial-999999.png").write_bytes(b"a killed run's")
    (tmp_path / f".b.partial-{os.getpid()}.png").write_bytes(b"this run's, being written")
    (tmp_path / "c.png").write_bytes(b"a result")
    assert atomic.remove_partials(str(tmp_path)) == [str(tmp_path / ".a.partial-999999.png")]
    assert sorted(os.listdir(tmp_path)) == [f".b.partial-{os.getpid()}.png", "c.png"]


def test_write_image_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    old = np.zeros((4, 5, 3), np.uint8)
    write_image(str(path), old)

    def dies(*args, **kwargs):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(atomic.os, "replace", dies)
    with pytest.raises(OSError):
        write_image(str(path), np.full((4, 5, 3), 255, np.uint8))
    np.testing.assert_array_equal(read_image(str(path)), old)
    assert os.listdir(tmp_path) == ["out.png"]
