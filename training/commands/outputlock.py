"""The trainer's hold on its output folder: :mod:`blurgen.outputs.lock` around ``fit`` and ``deblur``.

``fit`` holds the lock on its run folder for the whole run, from before it reads ``config.json``
or a checkpoint until the generator is exported and the summary written, in the process that
trains (``blurgen fit`` execs it); a second ``fit`` into the same folder is refused at once
instead of interleaving checkpoints. ``deblur`` holds the lock on its ``--out`` folder.
``gs://`` run folders get the best-effort marker of :mod:`blurgen.outputs.lock`, written through
``tf.io.gfile`` (imported only for such paths).
"""
from __future__ import annotations

from typing import Callable

from blurgen.outputs import lock

WHAT = {"fit": "the run", "deblur": "the restored images"}


class GFileStore:
    """Marker objects through ``tf.io.gfile`` (``gs://`` and the other file systems TensorFlow knows)."""

    def read(self, path: str) -> bytes | None:
        import tensorflow as tf
        if not tf.io.gfile.exists(path):
            return None
        with tf.io.gfile.GFile(path, "rb") as f:
            return f.read()

    def write(self, path: str, data: bytes) -> None:
        import tensorflow as tf
        with tf.io.gfile.GFile(path, "wb") as f:
            f.write(data)

    def delete(self, path: str) -> None:
        import tensorflow as tf
        if tf.io.gfile.exists(path):
            tf.io.gfile.remove(path)


def locks_out(name: str) -> Callable:
    """Decorate the ``run(argv)`` of trainer command ``name`` (``fit``, ``deblur``): it runs holding
    the lock on ``--out``. Its flags are parsed first by :mod:`training.commands` (no TensorFlow)."""
    from training.commands import parsers
    store = GFileStore() if name == "fit" else None  # deblur writes local files only
    return lock.locks_out(parsers.PARSERS[name], what=WHAT[name], store=store)
