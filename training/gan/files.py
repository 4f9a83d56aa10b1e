"""The trainer's files, written whole or not at all, on the local disk or any file system
``tf.io.gfile`` reaches (``gs://``): the rule is :func:`blurgen.outputs.atomic.write_atomic`'s,
this module only lends it ``tf.io.gfile`` for URLs."""
from __future__ import annotations

import tensorflow as tf

from blurgen.outputs import atomic


class GFiles:
    """:class:`blurgen.outputs.atomic.FileSystem` over ``tf.io.gfile``."""

    def open(self, path: str):
        return tf.io.gfile.GFile(path, "wb")

    def rename(self, source: str, target: str) -> None:
        tf.io.gfile.rename(source, target, overwrite=True)

    def delete(self, path: str) -> None:
        tf.io.gfile.remove(path)

    def exists(self, path: str) -> bool:
        return tf.io.gfile.exists(path)


GFILES = GFiles()


def write_atomic(path: str, data: atomic.Data) -> None:
    """Write ``data`` (bytes, or a function writing to an open binary file) to ``path``, local or
    a URL, so that an interrupted write leaves the previous file whole."""
    atomic.write_atomic(path, data, remote=GFILES)
