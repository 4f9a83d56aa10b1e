"""``blurgen export DIR --to parquet OUT``: a dataset's pairs as Parquet files for the Hugging Face Hub.

``OUT/data/{split}-00000-of-0000N.parquet`` (the layout ``datasets`` recognises: both
``load_dataset("parquet", data_dir=OUT)`` and ``load_dataset(OUT)``, which reads the card's
``configs``, give one split per name), with the dataset card beside them: ``OUT/README.md`` and
``OUT/card/``. Columns: :mod:`pipelines.cards.hubcolumns` (``key``, ``blurred`` and ``sharp`` as images
holding the shards' own bytes, then every other field). Each split's files hold about
``--file-mb`` MB each (500, as the Hub's own uploads), its records in shard order.

The card: a card blurgen wrote for this very dataset (its fingerprint matches) and a README the
user wrote are copied with ``DIR/card/``; otherwise (none, or one left from another run) the card
is made from the same read of the records and written into OUT only.

Streaming: records are read one at a time (both checksums verified) and written a row group at a
time, so memory does not grow with the dataset. Atomic: everything is written into
``.OUT.incomplete`` beside OUT and renamed into place when complete; ``--overwrite`` replaces a
previous export (a folder holding only what an export writes), moved aside first and deleted
last; a run killed between the two renames is put right by the next run.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from typing import Iterator

from blurgen.outputs import lock
from pipelines.cards import cardfiles, cardmeta, hubcolumns
from pipelines.cards.parquet import MissingExtra, PartWriter, require_pyarrow
from pipelines.shards import metadata, records
from pipelines.shards.examples import decode_example

FORMATS = ("parquet",)
FILE_MB = 500
EXPORT_ENTRIES = {cardfiles.README, cardfiles.CARD_DIR, cardmeta.DATA_DIR}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="blurgen export", description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", metavar="DIR", help="the dataset folder (local or gs://...)")
    p.add_argument("--to", required=True, choices=FORMATS, help="the format to write")
    p.add_argument("out", metavar="OUT", help="the folder to write (local; it must not exist, see --overwrite)")
    p.add_argument("--file-mb", type=float, default=FILE_MB,
                   help="about this many MB of shards per Parquet file (default: %(default)s)")
    p.add_argument("--rows-per-group", type=int, default=100,
                   help="rows per Parquet row group, at most (default: %(default)s, as datasets writes images)")
    p.add_argument("--license", default=None,
                   help="the licence's Hub identifier for a card this command writes (default: other)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT when it holds a previous export")
    lock.add_break_lock_flag(p)
    return p


def staging_of(out: str) -> str:
    parent, name = os.path.split(os.path.abspath(out))
    return os.path.join(parent, f".{name}.incomplete")


def old_of(out: str) -> str:
    parent, name = os.path.split(os.path.abspath(out))
    return os.path.join(parent, f".{name}.replaced")


def check_out(dataset: str, out: str, overwrite: bool) -> None:
    """Refuse an OUT that is not a local folder this command may write, before any work.

    Raises:
      ValueError: naming OUT and the fix.
    """
    if "://" in out:
        raise ValueError(f"{out}: export writes a local folder; export locally, then copy or upload it")
    real_out = os.path.realpath(out)
    if "://" not in dataset:
        real_dir = os.path.realpath(dataset)
        if real_out == real_dir or real_dir.startswith(real_out + os.sep):
            raise ValueError(f"{out}: the export would replace the dataset {dataset}; choose another OUT")
    if os.path.exists(old_of(out)) and not os.path.exists(out):  # a run killed between its two renames
        os.rename(old_of(out), out)
    if not os.path.lexists(out):
        if not os.path.isdir(os.path.dirname(real_out)):
            raise ValueError(f"{out}: folder {os.path.dirname(real_out)} does not exist; create it first")
        return
    if not os.path.isdir(out):
        raise ValueError(f"{out}: a file is there; choose another OUT")
    if not overwrite:
        raise ValueError(f"{out} exists; pass --overwrite to replace a previous export, or choose another OUT")
    foreign = sorted(set(os.listdir(out)) - EXPORT_ENTRIES)
    if foreign:
        raise ValueError(f"{out} holds {', '.join(foreign[:5])}, which blurgen export did not write; "
                         "--overwrite replaces only a previous export: choose another OUT")


def part_plan(records: int, num_bytes: int, file_bytes: float) -> list[int]:
    """Records per file of one split: about ``file_bytes`` each, in equal shares (at least one file)."""
    files = max(1, min(max(records, 1), math.ceil(num_bytes / file_bytes)))
    per = max(1, math.ceil(records / files))
    files = max(1, math.ceil(records / per))
    return [min(per, records - i * per) for i in range(files)]


def split_records(dataset: str, info: dict, split: str) -> Iterator[dict]:
    """The decoded records of one split, shard by shard, each shard's count checked."""
    for name, path, expected in metadata.shard_paths(dataset, info):
        if name != split:
            continue
        found = 0
        for data in records.iter_examples(path):
            found += 1
            yield decode_example(data)
        if found != expected:
            raise ValueError(f"{path}: {found} records, dataset_info.json says {expected}; "
                             f"run blurgen inspect {dataset}")


def _write_split(staging: str, dataset: str, info: dict, split: dict, rows_per_group: int, file_bytes: float,
                 builder) -> list[tuple[str, int]]:
    """Write one split's Parquet files into ``staging/data``; returns ``(file name, rows)`` of each."""
    name = split["name"]
    plan = part_plan(sum(int(n) for n in split["shardLengths"]), int(split.get("numBytes", 0)), file_bytes)
    records = split_records(dataset, info, name)
    written = []
    for index, count in enumerate(plan):
        file = f"{name}-{index:05d}-of-{len(plan):05d}.parquet"
        with PartWriter(os.path.join(staging, cardmeta.DATA_DIR, file), rows_per_group) as writer:
            for _ in range(count):
                ex = next(records, None)
                if ex is None:
                    raise ValueError(f"{dataset}: split {name} holds fewer records than dataset_info.json says; "
                                     f"run blurgen inspect {dataset}")
                if builder is not None:
                    builder.add(name, ex)
                writer.add(hubcolumns.row(ex))
        written.append((file, count))
    if next(records, None) is not None:  # also runs the last shard's count check
        raise ValueError(f"{dataset}: split {name} holds more records than dataset_info.json says; "
                         f"run blurgen inspect {dataset}")
    return written


def card_is_current(dataset: str) -> bool:
    """Whether ``DIR/README.md`` is to be copied: the user's own, or blurgen's card of this very dataset."""
    text = cardfiles.read_readme(dataset)
    if text is None:
        return False
    made_for = cardfiles.card_fingerprint(text)
    return made_for is None or made_for == cardfiles.fingerprint(dataset)


def _copy_card(dataset: str, staging: str) -> None:
    from pipelines.sources import inputs

    names = [p.replace("\\", "/").rsplit("/", 1)[-1] for p in cardfiles.card_files(dataset)]
    files = [cardfiles.README] + [f"{cardfiles.CARD_DIR}/{n}" for n in names if not n.startswith(".")]
    for rel in files:
        target = os.path.join(staging, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(inputs.read_bytes(f"{dataset.rstrip('/')}/{rel}"))


def _write_card(staging: str, builder, info: dict) -> None:
    splits = {}
    for split, path, expected in metadata.shard_paths(builder.out, info):
        records, paths = splits.get(split, (0, []))
        splits[split] = (records + expected, paths + [path])
    text, files = builder.render(info["name"], splits)
    os.makedirs(os.path.join(staging, cardfiles.CARD_DIR), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(staging, cardfiles.CARD_DIR, name), "wb") as f:
            f.write(data)
    with open(os.path.join(staging, cardfiles.README), "w", encoding="utf-8") as f:
        f.write(text)


def write_export(dataset: str, out: str, info: dict, rows_per_group: int, file_bytes: float,
                 builder) -> dict[str, list[tuple[str, int]]]:
    """Write the export into a staging folder beside ``out`` and move it into place: the one
    function that writes OUT. ``builder`` (a :class:`~pipelines.cards.datacard.CardBuilder`) makes the
    card from the records read; None copies ``DIR``'s card. The caller holds the staging
    folder's lock (:func:`main`), so the tree is built in a folder inside it."""
    staging = os.path.join(staging_of(out), "export")
    shutil.rmtree(staging, ignore_errors=True)  # what a killed run left
    os.makedirs(os.path.join(staging, cardmeta.DATA_DIR))
    try:
        order = cardmeta.split_order([s["name"] for s in info["splits"]])
        splits = sorted(info["splits"], key=lambda s: order.index(s["name"]))
        written = {s["name"]: _write_split(staging, dataset, info, s, rows_per_group, file_bytes, builder)
                   for s in splits}
        if builder is None:
            _copy_card(dataset, staging)
        else:
            _write_card(staging, builder, info)
        if os.path.lexists(out):
            shutil.rmtree(old_of(out), ignore_errors=True)
            os.rename(out, old_of(out))
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old_of(out), ignore_errors=True)
    return written


def _prepare(args: argparse.Namespace):
    """The checks before any work; returns ``(dataset_info, card builder or None)``."""
    require_pyarrow("blurgen export --to parquet")
    if args.rows_per_group < 1 or not args.file_mb > 0:
        raise ValueError("--rows-per-group must be at least 1 and --file-mb above 0")
    try:
        info = metadata.read_json(f"{args.dataset.rstrip('/')}/{metadata.DATASET_INFO}")
    except Exception as exc:  # noqa: BLE001 - any failure to read it is the same finding
        raise ValueError(f"{args.dataset}: cannot read {metadata.DATASET_INFO} ({exc}); is this a blurgen dataset?")
    check_out(args.dataset, args.out, args.overwrite)
    if card_is_current(args.dataset):
        if args.license is not None:
            raise ValueError(f"{args.dataset}/{cardfiles.README} is copied as it is and states the licence; "
                             f"edit it there (or blurgen inspect {args.dataset} --card --license ID) and leave out --license")
        return info, None
    from pipelines.cards.datacard import CardBuilder

    return info, CardBuilder(args.dataset, cardmeta.check_license(args.license or cardmeta.DEFAULT_LICENSE))


def _export_locked(args: argparse.Namespace, info: dict, builder) -> dict[str, list[tuple[str, int]]]:
    """:func:`write_export` holding the lock of OUT's staging folder: a second export into the same
    OUT is refused before it touches the first one's files. OUT itself is checked again inside it,
    since an export that ended meanwhile may have written it."""
    staging = staging_of(args.out)
    with lock.output_lock(staging, command="blurgen export", break_lock=args.break_lock, flag="OUT",
                          what="the export", shown=args.out):
        check_out(args.dataset, args.out, args.overwrite)
        written = write_export(args.dataset, args.out, info, args.rows_per_group, args.file_mb * 1e6, builder)
    try:
        os.rmdir(staging)  # empty now, unless another export has begun in it
    except OSError:
        pass
    return written


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when written, 1 when the export failed (a corrupt shard, a missing extra), 2 for a usage error."""
    args = build_parser().parse_args(argv)
    try:
        info, builder = _prepare(args)
    except MissingExtra as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        written = _export_locked(args, info, builder)
    except lock.OutputBusy as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except (ValueError, OSError) as exc:
        print(f"error: {exc}; nothing was written to {args.out}", file=sys.stderr, flush=True)
        return 1
    for split, files in written.items():
        print(f"  {split}: {sum(n for _, n in files)} pairs in {len(files)} Parquet file(s)")
    card = "made from the records" if builder is not None else f"copied from {args.dataset}"
    print(f"exported to {args.out} ({cardmeta.DATA_DIR}/*.parquet; card {card}): "
          f"load_dataset('parquet', data_dir={args.out!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
