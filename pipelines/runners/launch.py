"""What every pipeline's launcher does: split flags, prepare the output, run, report, decide the exit code.

Known flags belong to the pipeline; every other flag goes to Beam's ``PipelineOptions`` untouched
(``--runner``, ``--direct_num_workers``, ``--project``, ``--setup_file``, ...), and a flag neither
knows is a usage error (exit 2), not a log line. The module of ``--runner`` is imported first, so
the options it registers (Flink's, Spark's, Dask's) are known. Without ``--runner`` the local
``DirectRunner`` is used. The dataset is written into a staging folder inside ``--out`` and
committed when the run has finished (:mod:`pipelines.shards.commit`).
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import logging
import sys
import tempfile
from typing import Any, Callable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import create_runner

from blurgen.outputs import lock
from pipelines.items import progress
from pipelines.items.transforms import ProcessInputs
from pipelines.runners import engines
from pipelines.shards import commit, metadata
from pipelines.shards.outputlock import locks_out  # noqa: F401 - each pipeline's run() takes it from here
from pipelines.shards.spool import SPOOL_DIR, SpoolRecords
from pipelines.shards.write import ShardPlan, WriteShards, plan_split
from pipelines.sources import inputs

LOG = logging.getLogger("pipelines")


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``synth`` and ``pairs``."""
    parser.add_argument("--out", required=True, help="output directory (local or gs://...)")
    parser.add_argument("--name", default="blurgen", help="dataset name, the shards' file prefix (default: %(default)s)")
    parser.add_argument("--num-shards", default="auto",
                        help="shards per split: a number, or 'auto' for about 128 MiB each (default: %(default)s)")
    parser.add_argument("--max-reject-fraction", type=float, default=0.05,
                        help="exit non-zero when more than this fraction of inputs is rejected (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the dataset already in --out (only once this run has succeeded)")
    parser.add_argument("--verbose", action="store_true", help="show Beam's own log messages too")
    lock.add_break_lock_flag(parser)


def parse_num_shards(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"--num-shards must be a positive number or 'auto', got {text!r}")
    return value


def beam_flags(beam_args: list[str]) -> tuple[set[str], list[str]]:
    """Every flag Beam's ``PipelineOptions`` understand, and those of ``beam_args`` it does not.

    Beam parses its options with one argparse parser over all registered ``PipelineOptions``
    subclasses, and only logs "Discarding unparseable args" for the rest; its
    ``add_extra_args_fn`` hook hands us that same parser, complete, to ask it first.
    """
    known: set[str] = set()
    unknown: list[str] = []

    def ask(parser: argparse.ArgumentParser) -> None:
        known.update(o for action in parser._actions for o in action.option_strings)  # noqa: SLF001
        parser.exit_on_error = False  # a bad value raises here, not SystemExit with Beam's whole usage
        try:
            unknown.extend(parser.parse_known_args(beam_args)[1])
        except argparse.ArgumentError as exc:
            raise ValueError(f"Beam option {exc}") from None

    # retain_unknown_options: no "Discarding" warning; the unknown ones are refused below instead.
    PipelineOptions(beam_args).get_all_options(add_extra_args_fn=ask, retain_unknown_options=True)
    return known, unknown


def _unknown_flag_message(unknown: list[str], own_flags: list[str], beam_known: set[str]) -> str:
    flags = [a.split("=", 1)[0] for a in unknown if a.startswith("-")]
    if not flags:
        return f"unexpected argument(s) {' '.join(unknown)}; see --help for this command's flags"
    parts = []
    for flag in flags:
        close = (difflib.get_close_matches(flag, own_flags, n=1, cutoff=0.75)
                 or difflib.get_close_matches(flag, sorted(beam_known), n=1, cutoff=0.75))
        parts.append(f"{flag} (did you mean {close[0]}?)" if close else flag)
    noun = "flag" if len(flags) == 1 else "flags"
    return (f"unknown {noun} {', '.join(parts)}: not a flag of this command nor one of Apache Beam's "
            f"pipeline options; see --help for this command's flags")


def beam_options(beam_args: list[str], parser: argparse.ArgumentParser) -> PipelineOptions:
    """Beam's options from the flags ``parser`` (the command's own) did not take.

    Raises:
      ValueError: a flag Beam does not know either (a typo such as ``--test_fraction`` would
        otherwise be dropped with a log line and the run go on with the default).
    """
    runner = import_runner(beam_args)
    known, unknown = beam_flags(beam_args)
    if unknown:
        own = [o for action in parser._actions for o in action.option_strings if o.startswith("--")]  # noqa: SLF001
        raise ValueError(_unknown_flag_message(unknown, own, known))
    if runner is None:
        # Name the local runner explicitly: the default first tries Prism, which downloads a binary.
        beam_args = ["--runner=DirectRunner", *beam_args]
    beam_args, said = engines.complete_beam_args(beam_args, runner)
    for line in said:
        LOG.info("--runner %s: %s", runner, line)
    return PipelineOptions(beam_args)


def import_runner(beam_args: list[str]) -> str | None:
    """Import the module of ``--runner`` (Beam registers a runner's own options only then);
    returns the name given, or ``None`` when there is none.

    Raises:
      ValueError: Beam knows no such runner, or its module cannot be imported.
    """
    finder = argparse.ArgumentParser(add_help=False)
    finder.add_argument("--runner")
    name = finder.parse_known_args(beam_args)[0].runner
    if name:
        try:
            create_runner(name)
        except (ImportError, ValueError, AttributeError) as exc:
            raise ValueError(f"--runner {name}: {exc}".replace("\n", " ")) from None
    return name


class _OurWorkerLogs(logging.Filter):
    """Keeps the log lines that multi-process workers forward when they come from this package
    (progress, shards written) or are errors, and drops Beam's routine worker warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "/pipelines/" in record.getMessage()


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
    LOG.setLevel(logging.INFO)
    if not verbose:
        forwarded = logging.getLogger("apache_beam.runners.portability.local_job_service")
        forwarded.setLevel(logging.INFO)
        if not any(isinstance(f, _OurWorkerLogs) for f in forwarded.filters):
            forwarded.addFilter(_OurWorkerLogs())


def prepare_out(out: str, name: str, overwrite: bool) -> str:
    """Check ``--out``, clear what killed runs left there, and return an empty staging folder inside it.

    Raises:
      ValueError: ``--out`` is a file or cannot be written, or holds a dataset that may not be
        replaced (another ``--name``, or the same one without ``--overwrite``).
    """
    return commit.prepare(out, name, overwrite)


def execute(build: Callable[[beam.Pipeline], None], options: PipelineOptions, out: str) -> dict[str, Any]:
    """Build and run the pipeline, wait for it, and return the manifest it wrote into ``out``
    (plus Beam's counters under ``counters``, ``None`` for a runner that keeps no metrics)."""
    pipeline = beam.Pipeline(options=options)
    build(pipeline)
    result = pipeline.run()
    result.wait_until_finish()
    manifest = metadata.read_json(FileSystems.join(out, metadata.MANIFEST))
    manifest["counters"] = beam_counters(result)
    return manifest


def beam_counters(result: Any) -> dict[str, int] | None:
    """The ``blurgen`` counters of a finished run, summed over steps; ``None`` when the runner
    does not keep metrics (its ``metrics()`` raises ``NotImplementedError``)."""
    try:
        found = result.metrics().query(beam.metrics.MetricsFilter().with_namespace("blurgen"))["counters"]
    except NotImplementedError:
        return None
    counters: dict[str, int] = {}
    for c in found:
        # One result per step that counts: sum the steps. Spark's portable runner keeps only
        # attempted values (committed is None); without retries they are the same.
        value = c.committed if c.committed is not None else c.attempted
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + value
    LOG.info("Beam counters: %s", ", ".join(f"{k}={v}" for k, v in sorted(counters.items())))
    return counters


def counters_from_metadata(manifest: dict[str, Any], listed_inputs: int) -> dict[str, int]:
    """What the Beam counters would hold, from the written metadata (for runners without metrics)."""
    return {"inputs": listed_inputs, "pairs": manifest["pairs_total"], "rejects": manifest["rejected"],
            "bytes": manifest["bytes"]}


# A pipeline that gives no estimate of its output gets this many bytes per input in auto sharding.
DEFAULT_INPUT_BYTES = 4 * 2**20


def shard_plan(items: list, num_shards: int | None, estimate: Callable[[Any], tuple[str, int, int]] | None,
               units: int | None = None) -> ShardPlan:
    """Shards per split, planned from the listed inputs before the run starts.

    ``estimate(item) -> (split, records, bytes)`` says what one input will give (``bytes`` only
    sets how many shards ``auto`` makes); without it every split gets ``num_shards``, or for
    ``auto`` one shard per ``TARGET_SHARD_BYTES`` of ``DEFAULT_INPUT_BYTES`` per input (per
    counted unit, when ``units`` says how many the items stand for).
    """
    if estimate is not None:
        return ShardPlan.from_estimates((estimate(item) for item in items), num_shards)
    count = len(items) if units is None else units
    return ShardPlan({}, plan_split(count, count * DEFAULT_INPUT_BYTES, num_shards))


def run_dataset(args: argparse.Namespace, pipeline: str, sources: list[str], items: list, listing_rejects: list,
                item_type: type, fn: Callable, path_of: Callable, parameters: dict[str, Any],
                options: PipelineOptions, num_shards: int | None, units: int | None = None,
                estimate: Callable[[Any], tuple[str, int, int]] | None = None) -> dict[str, Any]:
    """What every dataset pipeline does once its inputs are listed: prepare ``--out``, record the
    inputs, run ``fn`` over them into shards and metadata in a staging folder, commit them into
    ``--out``, and return the manifest.

    ``args`` supplies the common flags (``--out``, ``--name``, ``--overwrite``, ``--seed``);
    ``pipeline`` and ``sources`` are recorded in the manifest beside ``parameters``. ``units``: the
    inputs counted when an item stands for several (``transforms.Units``); default one per item.
    ``estimate`` plans ``auto`` sharding (see :func:`shard_plan`). A run that fails
    (:func:`failures`) does not replace a dataset already in ``--out``: it is kept aside, and the
    manifest's ``kept_at`` says where.
    """
    parameters = {k: v for k, v in parameters.items() if k != "break_lock"}  # how the run started, not what it made
    staging = prepare_out(args.out, args.name, args.overwrite)
    inputs_path = write_inputs(staging, items)
    run_info = {"pipeline": pipeline, "name": args.name, "out": args.out, "sources": sources,
                "inputs": (len(items) if units is None else units) + len(listing_rejects), "seed": args.seed,
                "parameters": parameters, "versions": metadata.package_versions()}
    plan = shard_plan(items, num_shards, estimate, units)
    with tempfile.TemporaryDirectory(prefix="blurgen-progress-") as progress_dir:
        reporter = None
        if progress.is_local(options):
            reporter = progress.Reporter(progress_dir, pipeline, len(items), "inputs" if units is None else "items")
            reporter.start()
        else:
            print(f"{pipeline}: {len(items)} inputs submitted to {progress.where_to_watch(options)}; "
                  "watch the job there", file=sys.stderr, flush=True)

        def build(p: beam.Pipeline) -> None:
            build_dataset(p, inputs_path, item_type, fn, path_of, listing_rejects, staging, args.name, plan, run_info,
                          progress_dir if reporter else None)

        try:
            manifest = execute(build, options, staging)
        except BaseException:
            commit.discard(staging)  # a failed run's spool files can be large; the old dataset is untouched
            raise
        finally:
            if reporter:
                reporter.stop()
    if manifest["counters"] is None:
        manifest["counters"] = counters_from_metadata(manifest, len(items))
        manifest["counters_from"] = "metadata"
    if failures(manifest) and commit.existing_dataset(args.out)[1]:
        manifest["kept_at"] = commit.keep_failed(args.out, args.name, staging)
    else:
        commit.commit(args.out, staging)
    return manifest


def failures(manifest: dict[str, Any]) -> list[str]:
    """Why the run counts as failed (empty when it succeeded)."""
    why = []
    seen, rejected = manifest["inputs"], manifest["rejected"]
    limit = manifest["parameters"]["max_reject_fraction"]
    if not manifest["balanced"]:  # pragma: no cover - would be a bug in the pipeline
        why.append(f"inputs ({seen}) != written ({manifest['written']}) + rejected ({rejected})")
    if manifest["pairs_total"] == 0:
        why.append("no pairs were written")
    if seen and rejected / seen > limit:
        why.append(f"{rejected} of {seen} inputs rejected ({rejected / seen:.1%}), "
                   f"more than --max-reject-fraction {limit}")
    return why


def report(manifest: dict[str, Any], out: str) -> int:
    """Print the counts and where the outputs are; return the exit code."""
    say = lambda text: print(text, flush=True)  # noqa: E731
    say(f"{manifest['inputs']} inputs = {manifest['written']} written + {manifest['rejected']} rejected")
    for split, n in sorted(manifest["pairs"].items()):
        say(f"  {split}: {n} pairs in {len(manifest['shards'][split])} shard(s)")
    if manifest["rejects_by_kind"]:
        say("  rejects: " + ", ".join(f"{n} {k}" for k, n in manifest["rejects_by_kind"].items())
            + f" (see {FileSystems.join(manifest.get('kept_at') or out, metadata.REJECTS)})")
    kept = manifest.get("kept_at")
    if kept:
        say(f"the dataset already in {out} was left as it was; this run's shards and metadata are in {kept}")
        out = kept
    say(f"shards and metadata in {out} ({manifest['bytes']} bytes); manifest: {FileSystems.join(out, metadata.MANIFEST)}")
    why = failures(manifest)
    for reason in why:
        print(f"FAILED: {reason}", file=sys.stderr, flush=True)
    return 1 if why else 0


def main(run: Callable[[list[str] | None], dict[str, Any]], argv: list[str] | None) -> int:
    """Run ``run(argv)``, print its report and return the exit code (2 for a usage error)."""
    try:
        manifest = run(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return report(manifest, manifest["out"])


def write_inputs(out: str, items: list) -> str:
    """Write the listed inputs (dataclasses) to ``out/inputs.jsonl``, one JSON object a line
    (``out`` is the run's staging folder; the file is committed with the dataset).

    The pipeline reads them back with ``ReadFromText`` instead of embedding them in the job with
    ``Create``: a list of a million paths would exceed a runner's job-size limit, a file does not.
    The file stays beside the shards as the record of every input considered.
    """
    path = FileSystems.join(out, metadata.INPUTS)
    lines = "".join(json.dumps(dataclasses.asdict(item), sort_keys=True) + "\n" for item in items)
    inputs.write_bytes(path, lines.encode("utf-8"))
    return path


def _counted_reject(reject: Any) -> Any:
    Metrics.counter("blurgen", "rejects").inc()
    return reject


def _parse_item(line: str, item_type: type) -> Any:
    return item_type(**json.loads(line))


def build_dataset(p: beam.Pipeline, inputs_path: str, item_type: type, fn: Callable,
                  path_of: Callable[[Any], str], listing_rejects: list, out: str, name: str,
                  num_shards: int | None | ShardPlan, run_info: dict[str, Any],
                  progress_dir: str | None = None) -> None:
    """The graph both pipelines share: inputs -> pairs or rejects -> spool -> shards -> metadata.

    Everything is written into ``out`` (the staging folder); ``num_shards`` is a :class:`ShardPlan`
    or, as before, a count (``None``: ``auto`` without an estimate, see :func:`shard_plan`).
    Records go to spool files in the step that makes them, so only small entries move on.
    ``progress_dir``: a local folder where the workers count their inputs (:mod:`pipelines.items.progress`).
    """
    plan = num_shards if isinstance(num_shards, ShardPlan) else shard_plan([], num_shards, None)
    outcome = (p
               | "ReadInputs" >> beam.io.ReadFromText(inputs_path)
               | "ParseInputs" >> beam.Map(_parse_item, item_type)
               | "Spread" >> beam.Reshuffle()  # a small list is one split: spread it over the workers
               | "MakePairs" >> ProcessInputs(fn, path_of, progress_dir))
    early = (p
             | "ListingRejects" >> beam.Create(listing_rejects)
             | "CountListingRejects" >> beam.Map(_counted_reject))
    rejects = (outcome["rejects"], early) | "Rejects" >> beam.Flatten()
    entries = outcome["records"] | "SpoolRecords" >> SpoolRecords(FileSystems.join(out, SPOOL_DIR))
    shards = entries | "Shards" >> WriteShards(out, name, plan)
    _ = (shards, rejects, outcome["done"]) | "Metadata" >> metadata.WriteMetadata(out, run_info)
