"""TensorBoard scalars and images written with TensorFlow alone.

``tf.summary.scalar`` and ``tf.summary.image`` live in the ``tensorboard`` package, which
``tensorflow-cpu`` does not install; without it they raise ``TBNotInstalledError``. These two
functions write the same records through core ``tf.summary.write`` with the metadata that
TensorBoard's scalar and image plugins read, so a run logs with or without TensorBoard installed
and ``tensorboard --logdir runs/NAME/logs`` (installed anywhere) shows it.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tensorflow.core.util import event_pb2


def _metadata(plugin: str, data_class: int) -> bytes:
    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = plugin
    meta.data_class = data_class
    return meta.SerializeToString()


_SCALAR = _metadata("scalars", summary_pb2.DATA_CLASS_SCALAR)
_IMAGE = _metadata("images", summary_pb2.DATA_CLASS_BLOB_SEQUENCE)


def scalar(name: str, value: float, step: int) -> None:
    """A float32 scalar at ``step`` to the default summary writer."""
    tf.summary.write(name, tf.constant(float(value), tf.float32), step=step, metadata=_SCALAR)


def image(name: str, img: tf.Tensor, step: int) -> None:
    """One HxWx3 uint8 image, stored PNG-encoded as TensorBoard's image plugin expects
    (a string vector: width, height, then the encoded image)."""
    h, w = int(img.shape[0]), int(img.shape[1])
    blob = tf.stack([tf.constant(str(w)), tf.constant(str(h)), tf.io.encode_png(img)])
    tf.summary.write(name, blob, step=step, metadata=_IMAGE)


def read_scalars(logdir: str) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files under ``logdir``: ``{tag: [(step, value), ...]}`` (for tests)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(tf.io.gfile.glob(f"{logdir}/events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            for v in event.summary.value:
                if v.metadata.plugin_data.plugin_name == "scalars":
                    out.setdefault(v.tag, []).append((event.step, float(tf.make_ndarray(v.tensor))))
    return out
