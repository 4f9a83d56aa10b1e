"""A contact sheet: a few pairs of a dataset, one row each: sharp | blurred | kernel.

The layout is blurgen's one picture code (:mod:`blurgen.preview`): each row is a
``pair_panel``, the rows are stacked; a real pair (no kernel) gets a grey kernel tile.
"""
from __future__ import annotations

import itertools

from apache_beam.io.filesystems import FileSystems

from blurgen import preview, safety, schema
from blurgen.images import decode_image, encode_png
from pipelines import guard, inputs, metadata
from pipelines.examples import decode_example
from pipelines.inspection import iter_examples, shard_paths

ROW = 160  # px, the height of one row


def check_sheet_path(out: str, sheet_path: str) -> None:
    """Refuse a ``--sheet`` path that is one of the dataset's own files (a shard, its metadata).

    Raises:
      ValueError: naming the file it would overwrite.
    """
    shards = FileSystems.match([FileSystems.join(out, "*.tfrecord*")])[0].metadata_list
    dataset = [(m.path, "the dataset's shard") for m in shards]
    dataset += [(FileSystems.join(out, f), f"the dataset's {f}") for f in guard.METADATA_FILES]
    safety.check_outputs([(sheet_path, "--sheet")], dataset, "write the contact sheet somewhere else")


def write_sheet(out: str, sheet_path: str, count: int, split: str | None = None) -> int:
    """Draw the first ``count`` records of ``split`` (default: train, else the first split); returns how many.

    Raises:
      ValueError: the dataset has no such split, or the split has no records.
    """
    info = metadata.read_json(FileSystems.join(out, metadata.DATASET_INFO))
    names = [s["name"] for s in info["splits"]]
    if not names:
        raise ValueError(f"{out}: the dataset has no splits, so there is nothing to draw")
    if split is not None and split not in names:
        raise ValueError(f"{out}: the dataset has no split {split!r}; pass --split with one of {names}")
    split = split or ("train" if "train" in names else names[0])
    paths = [p for s, p, _ in shard_paths(out, info) if s == split]
    examples = itertools.islice((decode_example(d) for p in paths for d in iter_examples(p)), count)
    rows = [preview.pair_panel(decode_image(ex[schema.SHARP], ex[schema.KEY]),
                               decode_image(ex[schema.BLURRED], ex[schema.KEY]), ex[schema.KERNEL], ROW)
            for ex in examples]
    if not rows:
        raise ValueError(f"{out}: split {split!r} has no records to draw")
    inputs.write_bytes(sheet_path, encode_png(preview.stack(rows)))
    return len(rows)
