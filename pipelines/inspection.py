"""``blurgen inspect DIR``: check a written dataset against its metadata, record by record.

Every record's framing and both CRC32C checksums are verified, each length before its data is
read (the ``tfrecord`` package's reader checks neither), every record must parse as an Example of
the schema with a unique key, and the records per shard and per split must equal
``dataset_info.json`` and ``manifest.json``. Every problem is one line with its reason.
The folder must hold one dataset (no shards of another name, metadata of one run) and no commit
that a killed run left half done.
With ``--deep`` every image is also decoded and its size checked; ``--sheet`` draws a contact sheet;
``--card`` writes a dataset card (``README.md`` and ``card/``, :mod:`pipelines.cards.datacard`) from the
same read of the records.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from blurgen.outputs import lock
from blurgen.shards import schema
from blurgen.images import decode_image
from pipelines.shards import commit, metadata, records
from pipelines.shards.examples import decode_example
from pipelines.shards.metadata import shard_paths
from pipelines.shards.outputlock import BeamStore
from pipelines.shards.records import iter_examples


@dataclass
class SplitReport:
    name: str
    shards: int = 0
    records: int = 0
    expected: int = 0
    manifest: int | None = None
    paths: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What ``inspect`` found; ``problems`` is empty for a sound dataset."""

    out: str
    name: str | None = None  # the dataset's name, from dataset_info.json
    splits: dict[str, SplitReport] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def reason(exc: BaseException, path: str) -> str:
    """What went wrong, in one line, never empty: the message without a leading ``path: `` (the
    report names the path itself), or the exception's kind where it says nothing (``MemoryError``)."""
    text = " ".join(str(exc).split())
    if text.startswith(f"{path}: "):
        text = text[len(path) + 2:]
    if isinstance(exc, (KeyError, MemoryError)) or not text:
        text = f"{type(exc).__name__}: {text}" if text else f"{type(exc).__name__} (no message)"
    return text


def _check_record(data: bytes, path: str, index: int, deep: bool) -> dict[str, Any]:
    ex = decode_example(data)
    if deep:
        for side in (schema.BLURRED, schema.SHARP):
            img = decode_image(ex[side], f"{path} record {index} ({side})")
            if img.shape[:2] != (ex[schema.HEIGHT], ex[schema.WIDTH]):
                raise ValueError(f"{side} is {img.shape[1]}x{img.shape[0]}, the record says "
                                 f"{ex[schema.WIDTH]}x{ex[schema.HEIGHT]}")
    return ex


def _stray_shards(out: str, info: dict[str, Any]) -> list[str]:
    """Shard files of the dataset's name that ``dataset_info.json`` does not list. Files beside
    the shards that only look alike (tfrecord2idx's ``.idx`` indexes) are not shards."""
    listed = {schema.shard_name(info["name"], s["name"], i, len(s["shardLengths"]))
              for s in info["splits"] for i in range(len(s["shardLengths"]))}
    pattern = FileSystems.join(out, f"{info['name']}-*.tfrecord-*")
    return [f"{m.path}: a shard that dataset_info.json does not list (left from another run?)"
            for m in FileSystems.match([pattern])[0].metadata_list
            if schema.is_dataset_shard(m.path, info["name"])
            and m.path.replace("\\", "/").rsplit("/", 1)[-1] not in listed]


def _foreign_files(out: str, info: dict[str, Any], manifest: dict[str, Any] | None) -> list[str]:
    """Files in ``out`` that belong to another dataset, or a commit that a killed run left half done."""
    problems = []
    _, files = commit.existing_dataset(out)
    for path in files:
        match = commit.shard_match(path)
        if match and match["name"] != info["name"]:
            problems.append(f"{path}: a shard of dataset {match['name']!r} beside dataset {info['name']!r}; "
                            f"one folder holds one dataset (a glob of this folder would read both)")
    if manifest is not None and manifest.get("name", info["name"]) != info["name"]:
        problems.append(f"{out}: manifest.json is for dataset {manifest['name']!r}, dataset_info.json for "
                        f"{info['name']!r}; the metadata of two runs are mixed")
    return problems + _interrupted(out)


def _interrupted(out: str) -> list[str]:
    return [f"{staging}: a commit that a killed run left half done; run the same command again "
            f"(it finishes the commit first)" for staging in commit.interrupted_commits(out)]


def inspect_dataset(out: str, deep: bool = False,
                    on_record: Callable[[str, dict[str, Any]], None] | None = None) -> Report:
    """Read every shard of the dataset in ``out`` and compare it with the metadata; ``on_record(split,
    example)`` sees every record that parses (a failure in it is reported as a problem of its shard)."""
    report = Report(out)
    try:
        info = metadata.read_json(FileSystems.join(out, metadata.DATASET_INFO))
    except Exception as exc:  # noqa: BLE001 - any failure to read it is the same finding
        report.problems.append(f"{out}: cannot read {metadata.DATASET_INFO} ({exc}); is this a blurgen dataset?")
        report.problems.extend(_interrupted(out))
        return report
    manifest = None
    if FileSystems.exists(FileSystems.join(out, metadata.MANIFEST)):
        manifest = metadata.read_json(FileSystems.join(out, metadata.MANIFEST))
    report.name = info["name"]
    keys: set[str] = set()
    for split, path, expected in shard_paths(out, info):
        rep = report.splits.setdefault(split, SplitReport(split))
        rep.shards += 1
        rep.paths.append(path)
        rep.expected += expected
        found = 0
        try:
            for index, data in enumerate(iter_examples(path)):
                ex = _check_record(data, path, index, deep)
                key = ex[schema.KEY]
                if on_record is not None:
                    on_record(split, ex)
                if key in keys:
                    report.problems.append(f"{path}: record {index} repeats key {key!r}")
                keys.add(key)
                found += 1
        except Exception as exc:  # noqa: BLE001 - report and go on to the next shard
            report.problems.append(f"{path}: {reason(exc, path)}")
        rep.records += found
        if found != expected:
            report.problems.append(f"{path}: {found} records, dataset_info.json says {expected}")
    report.problems.extend(_stray_shards(out, info))
    report.problems.extend(_foreign_files(out, info, manifest))
    if manifest is not None:
        for split, n in manifest.get("pairs", {}).items():
            rep = report.splits.setdefault(split, SplitReport(split))
            rep.manifest = n
            if n != rep.records:
                report.problems.append(f"split {split}: {rep.records} records, manifest.json says {n}")
    return report


def writer_note(out: str) -> str | None:
    """A line about the run that holds ``out``'s lock, if any (its lock file is no dataset file)."""
    holder, state = lock.recorded_holder(out, BeamStore())
    if state is None:
        return None
    who = holder.describe() if holder else "a run whose lock record is unreadable"
    if state == lock.RUNNING:
        return (f"note: {out} is being written by {who}; what is checked here is the dataset as it was before "
                f"that run, until it commits")
    if state == lock.ENDED:
        return f"note: {out} holds the lock of {who}, which ended without releasing it; the next run takes it over"
    return f"note: {out} is locked by {who}, on another machine; it may be writing there"


def print_report(report: Report) -> None:
    print(f"{report.out}:")
    for rep in report.splits.values():
        print(f"  {rep.name}: {rep.records} records in {rep.shards} shard(s), "
              f"expected {rep.expected} (manifest: {rep.manifest})")
    for problem in report.problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print("OK: every record's checksums verified and counts match" if report.ok
          else f"{len(report.problems)} problem(s) found")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blurgen inspect", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the dataset folder (local or gs://...)")
    parser.add_argument("--deep", action="store_true", help="also decode every image and check its size")
    parser.add_argument("--sheet", help="write a contact sheet of a few pairs (PNG) here")
    parser.add_argument("--sheet-pairs", type=int, default=6, help="pairs on the sheet (default: %(default)s)")
    parser.add_argument("--split", default=None, help="split to draw the sheet from (default: train)")
    parser.add_argument("--card", action="store_true",
                        help="also write a dataset card (Hugging Face format): DIR/README.md and DIR/card/ "
                             "(statistics pictures), from the same read of the records")
    parser.add_argument("--license", default=None,
                        help="--card: the licence's Hub identifier, such as cc-by-4.0 (default: other, and the "
                             "card asks you to fill it in)")
    parser.add_argument("--overwrite", action="store_true",
                        help="--card: replace a README.md that blurgen did not write (a card blurgen wrote is "
                             "always replaced)")
    lock.add_break_lock_flag(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0 for a sound dataset, 1 when problems were found, 2 for a usage error (``error: ...``)."""
    args = build_parser().parse_args(argv)
    try:
        if args.sheet:
            from pipelines.cards import sheet  # cv2 drawing is only needed here

            sheet.check_sheet_path(args.out, args.sheet)  # before the work, not after it
        note = writer_note(args.out)
        if note:
            print(note, flush=True)
        builder = _card_builder(args)
        # A card is written into the dataset folder: it holds the folder's lock, as its writers do.
        with (lock.output_lock(args.out, command="blurgen inspect --card", break_lock=args.break_lock,
                               store=BeamStore(), flag="DIR", what="the dataset") if builder
              else contextlib.nullcontext()):
            report = inspect_dataset(args.out, deep=args.deep, on_record=builder.add if builder else None)
            print_report(report)
            if args.sheet and report.splits:
                n = sheet.write_sheet(args.out, args.sheet, args.sheet_pairs, args.split)
                print(f"contact sheet of {n} pair(s): {args.sheet}")
            _finish_card(args.out, builder, report)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0 if report.ok else 1


def _card_builder(args: argparse.Namespace) -> Any:
    """The card's builder when ``--card`` is given, after the checks that come before any work."""
    if not args.card:
        if args.license is not None or args.overwrite:
            raise ValueError("--license and --overwrite apply to the card: add --card")
        return None
    from pipelines.cards import cardfiles, cardmeta, datacard

    license = cardmeta.check_license(args.license or cardmeta.DEFAULT_LICENSE)
    cardfiles.check_target(args.out, args.overwrite)
    return datacard.CardBuilder(args.out, license)


def _finish_card(out: str, builder: Any, report: Report) -> None:
    """Write the card of a sound dataset; say why not otherwise, and note a card left from another run."""
    from pipelines.cards import cardfiles

    if builder is None:
        text = cardfiles.read_readme(out) if report.name else None
        written_for = cardfiles.card_fingerprint(text) if text else None
        if written_for and written_for != cardfiles.fingerprint(out):
            print(f"note: {cardfiles.README} is a card of another run's dataset; blurgen inspect {out} --card "
                  "writes it again")
        return
    if not report.ok:
        print("card not written: the dataset has problems (above); a card would state wrong counts", file=sys.stderr)
        return
    path = builder.write(report.name, {s.name: (s.records, s.paths) for s in report.splits.values()})
    print(f"dataset card: {path} (pictures in {out.rstrip('/')}/card/)")


if __name__ == "__main__":
    sys.exit(main())
