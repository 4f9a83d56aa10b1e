"""Refuse a dataset run whose outputs would overwrite one of its inputs.

``synth`` and ``pairs`` write into ``--out`` the metadata files and the shards of ``--name``
(replacing the shards a previous run left there). Any of these may also be an input when
``--out`` is a source folder or a file is passed by hand (``--src out/manifest.json``,
``--config out/dataset_info.json``, a RealBlur list named ``inputs.jsonl``); the run is then
refused before anything is read or written, by :func:`blurgen.outputs.safety.check_outputs`.
"""
from __future__ import annotations

from typing import Iterable

from apache_beam.io.filesystems import FileSystems

from blurgen.outputs import safety
from blurgen.shards import schema
from pipelines.shards import metadata

METADATA_FILES = (metadata.DATASET_INFO, metadata.FEATURES, metadata.MANIFEST, metadata.REJECTS, metadata.INPUTS)


def dataset_outputs(out: str, name: str) -> list[tuple[str, str]]:
    """``(path, label)`` of the files a run writes or replaces in ``out``: the metadata files and
    the shards of dataset ``name`` already there (their new names are not known before the run,
    and a new shard could only replace an old one of the same name)."""
    files = [(FileSystems.join(out, f), f"the run's {f}") for f in METADATA_FILES]
    pattern = FileSystems.join(out, f"{name}-*.tfrecord-*")
    old = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    return files + [(p, "the old shard") for p in sorted(old) if schema.is_dataset_shard(p, name)]


def check_dataset_inputs(out: str, name: str, inputs: Iterable[tuple[str, str]]) -> None:
    """Raise ``ValueError`` when a file of the dataset to be written in ``out`` is one of ``inputs``
    (``(path, label)`` pairs; a ``None`` path is skipped)."""
    safety.check_outputs(dataset_outputs(out, name), inputs,
                         "choose another --out (or --name), or move that input out of it")
