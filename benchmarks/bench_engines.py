"""Flink and Spark clusters of separate processes against the DirectRunner: the same bytes, and the time.

    make cluster-check                    # = the line below, on samples/
    .venv/bin/python benchmarks/bench_engines.py --src samples --keep out/ --engines flink,spark

For each engine the script starts a local cluster from the jars ``make engines`` fetched (Flink:
a JobManager and two TaskManagers; Spark: a master and two workers; every one its own JVM), runs
``blurgen synth --src DIR`` with its default settings on it through Beam's job server (only the
runner's own flags added: ``--runner``, the master, ``--environment_type PROCESS``,
``--environment_cache_millis`` and Flink's ``--parallelism``), runs the DirectRunner on the same
photos, and compares every file of the two
datasets byte for byte (``manifest.json`` less its ``out`` path). On Flink it also runs ``pairs``
and ``video`` once each, on pairs and a clip made from the first photos. It prints one line per
run::

    flink: identical, 6 files, 200.0 s (11.8x the DirectRunner's 17.0 s); tasks on 2 TaskManagers

``--keep DIR`` leaves the synth datasets in ``DIR/<engine>/`` and ``DIR/direct/`` (the pairs and
video datasets in ``DIR/<engine>-pairs/``, ``DIR/direct-pairs/``, ...; their inputs in
``DIR/inputs/``). Every process the script starts (cluster JVMs, executors, job servers, SDK
workers) runs in a process group of its own and is stopped with it on every way out: success,
failure, Ctrl-C, SIGTERM. Exit status 1 when a dataset differs or a run fails.
"""
from __future__ import annotations

import argparse
import atexit
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from blurgen import images  # noqa: E402
from pipelines.runners import engines  # noqa: E402
from pipelines.runners.localcluster import FlinkCluster, Processes, SparkCluster  # noqa: E402
from pipelines.sources import inputs

_TIMING = re.compile(r"(seconds|elapsed|duration|_time|_at)$")
_RUNS: list[Processes] = []  # what atexit and the signal handlers stop


def _stop_everything() -> None:
    for procs in _RUNS:
        procs.stop(grace_s=5.0)


def _on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with` and `finally`, then atexit


def normalised_manifest(data: bytes) -> dict:
    """``manifest.json`` without what differs between runs of the same job: the ``out`` path (at
    the top and among the parameters) and timing fields, should there be any."""
    def clean(obj):
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items() if not _TIMING.search(k)}
        return obj
    manifest = clean(json.loads(data))
    manifest.pop("out", None)
    manifest.get("parameters", {}).pop("out", None)
    return manifest


def compare(expected: Path, got: Path) -> tuple[int, list[str]]:
    """The number of files in ``expected`` and the names of those that differ (or exist in one only)."""
    first = {p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file()}
    second = {p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()}
    differ = sorted(first ^ second)
    for name in sorted(first & second):
        a, b = (expected / name).read_bytes(), (got / name).read_bytes()
        same = normalised_manifest(a) == normalised_manifest(b) if name == "manifest.json" else a == b
        if not same:
            differ.append(name)
    return len(first), differ


def run_pipeline(module: str, args: list[str], log: Path) -> float:
    """``python -m pipelines.<module> ARGS`` in this folder, in a process group of its own (the job
    server and whatever else it starts stop with it); returns the wall time in seconds."""
    procs = Processes(log.parent)
    _RUNS.append(procs)
    start = time.perf_counter()
    try:
        proc = procs.start(log.stem, [sys.executable, "-m", f"pipelines.{module}", *args], cwd=Path.cwd())
        code = proc.wait()
        elapsed = time.perf_counter() - start
    finally:
        procs.stop(grace_s=5.0)
        _RUNS.remove(procs)
    if code != 0:
        tail = log.read_text(errors="replace")[-1500:]
        raise RuntimeError(f"{module} {' '.join(args)} exited with status {code}; {log} ends:\n{tail}")
    return elapsed


def _readable_photos(srcs: list[str], count: int) -> list[tuple[str, object]]:
    photos, _ = inputs.merge_sources(srcs)
    found = []
    for item in photos:
        try:
            found.append((item.name, images.read_image(item.path)))
        except Exception:  # noqa: BLE001 - an unreadable photo is the pipelines' business, not ours
            continue
        if len(found) == count:
            break
    return found


def _scaled(img, longest: int):
    scale = longest / max(img.shape[:2])
    return cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def make_derived_inputs(srcs: list[str], folder: Path) -> tuple[list[str], list[str]] | None:
    """Arguments of a ``pairs`` run (folders of sharp photos and their box-blurred copies) and of a
    ``video`` run (a clip of 15 frames panning across the first photo), made from the photos."""
    photos = _readable_photos(srcs, 4)
    if not photos:
        return None
    sharp, blurred, clip = folder / "sharp", folder / "blurred", folder / "clips" / "pan"
    for d in (sharp, blurred, clip):
        d.mkdir(parents=True, exist_ok=True)
    for name, img in photos:
        small = _scaled(img, 256)
        stem = name.rsplit(".", 1)[0].replace("/", "_")
        images.write_image(sharp / f"{stem}.png", small)
        images.write_image(blurred / f"{stem}.png", cv2.blur(small, (9, 1)))
    wide = _scaled(photos[0][1], 400)
    h, w = min(120, wide.shape[0]), min(160, wide.shape[1] - 15 * 4)
    for i in range(15):
        images.write_image(clip / f"f{i}.png", wide[:h, 4 * i:4 * i + w])
    return (["--layout", "folders", "--blurred", str(blurred), "--sharp", str(sharp)], ["--src", str(clip.parent)])


def _line(label: str, files: int, differ: list[str], seconds: float, direct_s: float, where: str) -> str:
    state = "identical" if not differ else f"DIFFERENT ({', '.join(differ[:5])})"
    return (f"{label}: {state}, {files} files, {seconds:.1f} s ({seconds / direct_s:.1f}x the DirectRunner's "
            f"{direct_s:.1f} s); {where}")


def _fresh(out: Path) -> Path:
    """``out``, emptied when it holds an earlier run's dataset; anything else there is an error."""
    if out.exists():
        if not (out / "manifest.json").is_file() and any(out.iterdir()):
            raise RuntimeError(f"{out} holds files that are not a dataset of an earlier check: move them away")
        shutil.rmtree(out)
    return out


def check_engine(name: str, cluster, jobs: list[tuple[str, str, list[str]]], work: Path,
                 direct: dict[str, tuple[Path, float]]) -> bool:
    """Run each ``(label, module, args)`` job on ``cluster`` and compare it with the direct run."""
    start = time.perf_counter()
    kind = "TaskManagers" if name == "flink" else "workers"
    with cluster:
        print(f"{name}: cluster up in {time.perf_counter() - start:.0f} s ({cluster.workers} {kind}, each its "
              f"own JVM)" + "".join(f"; {n}" for n in cluster.notes), flush=True)
        ok = True
        for label, module, args in jobs:
            slug = label.replace(" ", "-")
            out = _fresh(work / slug)
            before = cluster.job_ids()
            seconds = run_pipeline(module, [*args, "--out", str(out), *cluster.runner_args()],
                                   work / "logs" / f"{slug}.log")
            expected, direct_s = direct[label.replace(name, "direct", 1)]
            files, differ = compare(expected, out)
            used = cluster.workers_used(cluster.job_ids() - before)
            print(_line(label, files, differ, seconds, direct_s, f"tasks on {used} {kind}"), flush=True)
            ok = ok and not differ
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", action="append", help="photos, as `blurgen synth --src` takes them (default: samples/)")
    parser.add_argument("--keep", type=Path, help="leave the datasets in this folder (default: a temporary one, removed)")
    parser.add_argument("--engines", default="flink,spark", help="comma-separated: flink, spark (default: %(default)s)")
    parser.add_argument("--flink-port", type=int, default=8081, help="Flink's REST port (0: any free one)")
    parser.add_argument("--spark-port", type=int, default=7077, help="Spark master's port (0: any free one)")
    parser.add_argument("--spark-ui-port", type=int, default=8080, help="Spark master's web UI (0: any free one)")
    args = parser.parse_args(argv)
    srcs = args.src or [str(REPO / "samples")]
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = [n for n in names if n not in engines.ENGINES]
    if unknown:
        parser.error(f"--engines: unknown {', '.join(unknown)}; choose from {', '.join(engines.ENGINES)}")
    for name in names:
        why = engines.missing_reason(name)
        if why:
            print(f"error: {name}: {why}", file=sys.stderr)
            return 2
    atexit.register(_stop_everything)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            return _check(srcs, names, args.keep.resolve(), args)
        with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
            return _check(srcs, names, Path(tmp), args)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _check(srcs: list[str], names: list[str], work: Path, args: argparse.Namespace) -> int:
    synth = [a for s in srcs for a in ("--src", s)]
    jobs = {"": ("synth", synth)}
    if "flink" in names:
        shutil.rmtree(work / "inputs", ignore_errors=True)
    derived = make_derived_inputs(srcs, work / "inputs") if "flink" in names else None
    if derived:
        jobs.update({" pairs": ("pairs", derived[0]), " video": ("video", derived[1])})
    print(f"photos: {' '.join(srcs)}; datasets in {work}", flush=True)
    direct = {}
    for suffix, (module, job_args) in jobs.items():
        label = "direct" + suffix
        out = _fresh(work / label.replace(" ", "-"))
        seconds = run_pipeline(module, [*job_args, "--out", str(out)], work / "logs" / f"{label.replace(' ', '-')}.log")
        direct[label] = (out, seconds)
        print(f"{label}: {len(list(out.iterdir()))} files, {seconds:.1f} s", flush=True)
    ok = True
    for name in names:
        engine_jobs = [(name + suffix, module, job_args) for suffix, (module, job_args) in jobs.items()
                       if name == "flink" or not suffix]
        # The cluster's own files (configuration, logs, executors' copies of the jars) are temporary.
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            if name == "flink":
                cluster = FlinkCluster(engines.jars_dir("flink"), Path(tmp), rest_port=args.flink_port)
            else:
                cluster = SparkCluster(engines.jars_dir("spark"), Path(tmp), master_port=args.spark_port,
                                       ui_port=args.spark_ui_port)
            ok = check_engine(name, cluster, engine_jobs, work, direct) and ok
    if derived is None and "flink" in names:
        print("flink pairs, flink video: not run (no readable photo to make their inputs from)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
