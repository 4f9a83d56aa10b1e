"""``blurgen inspect DIR``: check a written dataset against its metadata, record by record.

Every record's framing and both CRC32C checksums are verified, each length before its data is
read (the ``tfrecord`` package's reader checks neither), every record must parse as an Example of
the schema with a unique key, and the records per shard and per split must equal
``dataset_info.json`` and ``manifest.json``. Every problem is one line with its reason.
The folder must hold one dataset (no shards of another name, metadata of one run) and no commit
that a killed run left half done.
With ``--deep`` every image is also decoded and its size checked; ``--sheet`` draws a contact sheet.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from blurgen import schema
from blurgen.images import decode_image
from pipelines import commit, metadata, records
from pipelines.examples import decode_example


@dataclass
class SplitReport:
    name: str
    shards: int = 0
    records: int = 0
    expected: int = 0
    manifest: int | None = None


@dataclass
class Report:
    """What ``inspect`` found; ``problems`` is empty for a sound dataset."""

    out: str
    splits: dict[str, SplitReport] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def shard_paths(out: str, info: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """``(split, path, expected_records)`` of every shard ``dataset_info.json`` lists."""
    for split in info["splits"]:
        lengths = [int(n) for n in split["shardLengths"]]
        for index, expected in enumerate(lengths):
            file = schema.shard_name(info["name"], split["name"], index, len(lengths))
            yield split["name"], FileSystems.join(out, file), expected


def iter_examples(path: str) -> Iterator[bytes]:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        yield from records.read_records(f, path)


def reason(exc: BaseException, path: str) -> str:
    """What went wrong, in one line, never empty: the message without a leading ``path: `` (the
    report names the path itself), or the exception's kind where it says nothing (``MemoryError``)."""
    text = " ".join(str(exc).split())
    if text.startswith(f"{path}: "):
        text = text[len(path) + 2:]
    if isinstance(exc, (KeyError, MemoryError)) or not text:
        text = f"{type(exc).__name__}: {text}" if text else f"{type(exc).__name__} (no message)"
    return text


def _check_record(data: bytes, path: str, index: int, deep: bool) -> str:
    ex = decode_example(data)
    if deep:
        for side in (schema.BLURRED, schema.SHARP):
            img = decode_image(ex[side], f"{path} record {index} ({side})")
            if img.shape[:2] != (ex[schema.HEIGHT], ex[schema.WIDTH]):
                raise ValueError(f"{side} is {img.shape[1]}x{img.shape[0]}, the record says "
                                 f"{ex[schema.WIDTH]}x{ex[schema.HEIGHT]}")
    return ex[schema.KEY]


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


def inspect_dataset(out: str, deep: bool = False) -> Report:
    """Read every shard of the dataset in ``out`` and compare it with the metadata."""
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
    keys: set[str] = set()
    for split, path, expected in shard_paths(out, info):
        rep = report.splits.setdefault(split, SplitReport(split))
        rep.shards += 1
        rep.expected += expected
        found = 0
        try:
            for index, data in enumerate(iter_examples(path)):
                key = _check_record(data, path, index, deep)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0 for a sound dataset, 1 when problems were found, 2 for a usage error (``error: ...``)."""
    args = build_parser().parse_args(argv)
    try:
        if args.sheet:
            from pipelines import sheet  # cv2 drawing is only needed here

            sheet.check_sheet_path(args.out, args.sheet)  # before the work, not after it
        report = inspect_dataset(args.out, deep=args.deep)
        print_report(report)
        if args.sheet and report.splits:
            n = sheet.write_sheet(args.out, args.sheet, args.sheet_pairs, args.split)
            print(f"contact sheet of {n} pair(s): {args.sheet}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
