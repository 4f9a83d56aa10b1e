"""The child process of the readers' fuzzing (see tests/fuzzkit.py): one reader, many mutated shards.

    python tests/fuzz_child.py READER --corpus DIR --work DIR --cases N --seed S

Hypothesis draws ``N`` cases from the sound shards under ``--corpus`` (after the few that every
run includes: :func:`fuzzkit.landmarks`); each is written to
``WORK/case/`` as the only shard of a dataset (with a ``dataset_info.json``, for ``inspect``) and
handed to ``READER``. A case passes when the reader reads exactly the records before the first
damage that :func:`fuzzkit.oracle` finds (at most those, for a reader that stops at the first
error), reports damage where there is some and only then, and says so in one-line errors that
name the shard. Anything else (another exception, an error of several lines, a case running
longer than ``--case-timeout`` seconds) fails the case; Hypothesis then shrinks it and this
process exits 1 with the smallest failing case. A crash ends the process with its signal, and
``WORK/current.txt`` names the case that was running. The last line of stdout is a JSON summary:
cases run, mutation kinds and outcomes seen (the parent measures the peak RSS).

Readers: ``records``, ``pairs`` and ``inspect`` (TF-free: pipelines' reader and ``blurgen
inspect``), ``torch`` (``blurgen.torchdata.PairDataset``), ``tf-scan``, ``tf-eval`` and
``tf-train`` (``training.data.shards``: the corrupt-shard scan, ``score``'s input and ``fit``'s input
with ``--ignore-errors``), and ``selftest-crash``, ``selftest-memory``, ``selftest-hang`` and
``selftest-lenient`` (which trusts every length and checksum), which misbehave on purpose to show
that the fuzzing notices.
"""
from __future__ import annotations

import argparse
import collections
import faulthandler
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, Phase, example, given, seed, settings

# The repository first, not tests/ (whose training/ and blurgen/ folders would shadow the packages).
sys.path[0] = str(Path(__file__).resolve().parents[1])
sys.path.append(str(Path(__file__).resolve().parent))
import fuzzkit  # noqa: E402

Reader = Callable[[str, Path], object]  # (shard path, dataset folder) -> an iterator of records, or
# a (records, errors) summary for the readers that report instead of raising


def _records(path: str, folder: Path):
    from pipelines import reader
    return reader.read_records(path)


def _pairs(path: str, folder: Path):
    from pipelines import reader
    return reader.iter_pairs([path])


def _inspect(path: str, folder: Path):
    from pipelines import inspection
    report = inspection.inspect_dataset(str(folder))
    return report.splits["train"].records, report.problems


def _torch(path: str, folder: Path):
    from torch.utils.data import DataLoader

    from blurgen.torchdata import PairDataset
    return iter(DataLoader(PairDataset(path), batch_size=None))


def _tf_scan(path: str, folder: Path):
    from training.data import shards as data
    (report,) = data.scan_shards([path])
    return report.records, [f"{report.path}: {report.error}"] if report.error else []


def _tf_eval(path: str, folder: Path):
    from training.data import shards as data
    return data.iterate_checked(data.eval_dataset(path), [path])


def _tf_train(path: str, folder: Path):
    from training.data import shards as data
    return iter(data.train_dataset(path, batch=1, crop=8, shuffle_buffer=4, ignore_errors=True, repeat=False))


def _selftest(misbehave: str) -> Reader:
    def read(path: str, folder: Path):
        good, damaged = fuzzkit.oracle(Path(path).read_bytes())
        if damaged and misbehave == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if damaged and misbehave == "hang":
            time.sleep(3600)
        if misbehave == "memory":
            bytearray(700 << 20)  # zero-filled: every page is touched
        return iter(good)
    return read


def _lenient(path: str, folder: Path):
    """A reader that checks nothing, as the ``tfrecord`` package's: it must fail the fuzzing."""
    data, at = Path(path).read_bytes(), 0
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 8], "little")
        yield data[at + 12:at + 12 + length]
        at += 16 + length


# name: (reader, reads exactly the records before the damage (else at most those), must report damage)
READERS: dict[str, tuple[Reader, bool, bool]] = {
    "records": (_records, True, True), "pairs": (_pairs, True, True), "inspect": (_inspect, True, True),
    "torch": (_torch, True, True), "tf-scan": (_tf_scan, True, True), "tf-eval": (_tf_eval, False, True),
    "tf-train": (_tf_train, True, False),
    **{f"selftest-{m}": (_selftest(m), True, False) for m in ("crash", "memory", "hang")},
    "selftest-lenient": (_lenient, True, True),
}


def outcome(read: Reader, path: str, folder: Path) -> tuple[list, list[str]]:
    """``(records read, errors)``. A ValueError (the project's one kind of error for bad input)
    ends the reading as an error; any other exception fails the case."""
    items: list = []
    try:
        got = read(path, folder)
        if isinstance(got, tuple):
            return [None] * got[0], list(got[1])
        for item in got:
            items.append(item)
    except ValueError as exc:
        return items, [str(exc)]
    return items, []


def check(name: str, case: fuzzkit.Case, path: str, folder: Path, stats: collections.Counter) -> None:
    read, exact, reports = READERS[name]
    good, damaged = fuzzkit.oracle(case.data)
    items, errors = outcome(read, path, folder)
    for error in errors:
        assert error.strip() and "\n" not in error.strip(), f"not a one-line error: {error!r}"
        assert str(folder) in error, f"the error does not name the shard: {error!r}"
    if reports and damaged:
        assert errors, f"{len(good)} records before damage, and no error"
        if name != "tf-eval":  # score's input names the shard; the others also the record
            assert any(f"record {len(good)} " in e for e in errors), f"the damaged record is not named: {errors}"
    if not reports or (not damaged and name != "inspect"):  # inspect also compares counts with the metadata
        assert not errors, f"{'a sound shard' if not damaged else 'damage'} ({len(good)} records) refused: {errors}"
    assert len(items) == len(good) if exact else len(items) <= len(good), \
        f"read {len(items)} records, {len(good)} come before the damage (damaged: {damaged})"
    if name == "records":
        assert items == good, "the records read differ from the records in the file"
    stats["error" if errors else "read"] += 1
    stats["damaged" if damaged else "sound"] += 1
    for step in case.steps:
        stats[step.split("(")[0]] += 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("reader", choices=sorted(READERS))
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--cases", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--case-timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    corpus = [f.read_bytes() for f in sorted(args.corpus.rglob("*.tfrecord-*"))]
    folder = args.work / "case"
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / fuzzkit.SHARD_NAME)
    (folder / "dataset_info.json").write_text(json.dumps(
        {"name": "blurgen", "splits": [{"name": "train", "shardLengths": ["0"]}]}))
    stats: collections.Counter = collections.Counter()

    @seed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
    @given(fuzzkit.cases(corpus))
    def run(case: fuzzkit.Case) -> None:
        (args.work / "current.txt").write_text(f"{' then '.join(case.steps)} (the shard: {path})")
        Path(path).write_bytes(case.data)
        faulthandler.dump_traceback_later(args.case_timeout, exit=True)  # a hang in C code ends too
        try:
            check(args.reader, case, path, folder, stats)
        finally:
            faulthandler.cancel_dump_traceback_later()
        stats["cases"] += 1

    for case in fuzzkit.landmarks(corpus):
        run = example(case)(run)
    run()
    print(json.dumps({"reader": args.reader, "cases": stats.pop("cases", 0), "seed": args.seed,
                      "stats": dict(stats)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
