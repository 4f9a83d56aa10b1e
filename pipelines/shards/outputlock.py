"""The pipelines' hold on ``--out``: :mod:`blurgen.outputs.lock` around a pipeline's ``run(argv)``.

``synth``, ``pairs`` and ``video`` take the lock on ``--out`` right after their flags are
parsed, before they list inputs or look into ``--out``, and hold it until the dataset is
committed (or the run fails): a second run into the same folder is refused at the door, naming
the running one, and never touches the staging folder, the commit journal or the dataset.
``gs://`` and other object stores get the best-effort marker of :mod:`blurgen.outputs.lock`, written
through Beam's file systems.
"""
from __future__ import annotations

import argparse
from typing import Callable

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from blurgen.outputs import lock


class BeamStore:
    """Marker objects through Beam's ``FileSystems`` (``gs://``, ``s3://``, ...): whole objects."""

    def read(self, path: str) -> bytes | None:
        if not FileSystems.exists(path):
            return None
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            return f.read()

    def write(self, path: str, data: bytes) -> None:
        with FileSystems.create(path, mime_type="application/json",
                                compression_type=CompressionTypes.UNCOMPRESSED) as f:
            f.write(data)

    def delete(self, path: str) -> None:
        if FileSystems.exists(path):
            FileSystems.delete([path])


def locks_out(build_parser: Callable[[], argparse.ArgumentParser]) -> Callable:
    """Decorate a pipeline's ``run(argv)``: it runs holding the lock on ``--out``."""
    return lock.locks_out(build_parser, what="the dataset", store=BeamStore(), known_only=True)
