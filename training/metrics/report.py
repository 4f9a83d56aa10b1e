"""The score report's format (``"format": "blurgen-score/1"``), read by ``compare``: a JSON object
with the protocol, the mean scores of the restored and of the blurry images, and every image's
scores, keyed by the pair's key."""
from __future__ import annotations

import json

REPORT_FORMAT = "blurgen-score/1"


def source_of(key: str) -> str:
    """The source image of a pair's key: the part before ``#`` (``photos/a.jpg#v3p1`` is a variant
    of ``photos/a.jpg``); a key without one is its own source."""
    return key.split("#", 1)[0]


def load_report(path: str) -> dict:
    """Read a report written by :func:`write_report` (checks its format)."""
    import tensorflow as tf
    with tf.io.gfile.GFile(path) as f:
        report = json.load(f)
    if report.get("format") != REPORT_FORMAT:
        raise ValueError(f"{path}: not a blurgen score report (format {report.get('format')!r}, expected {REPORT_FORMAT!r})")
    return report
