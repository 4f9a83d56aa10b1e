"""Progress of a run while it runs: how many inputs are done, of how many, how fast, how long left.

Beam's local runners run the whole pipeline inside ``pipeline.run()``, and their metrics are
readable only at the end; the number of inputs, though, is known at launch. So each worker that
processes inputs keeps its own count in a small file (:class:`WorkerCount`), and the launcher
reads the files from a thread (:class:`Reporter`) and prints one line every few seconds::

    synth: 120 of 480 inputs (25%), 3.1 inputs/s, about 1.9 min left

This needs the workers on this machine: the DirectRunner (in memory or multi-process) and any
runner whose SDK harness runs in this process (``--environment_type LOOPBACK``). On a cluster
the launcher prints where to watch the job instead (:func:`where_to_watch`).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import uuid

from apache_beam.options.pipeline_options import PipelineOptions, PortableOptions, StandardOptions

_LOCAL_RUNNERS = (None, "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")
_WATCH = {
    "DataflowRunner": "the job's page in the Google Cloud console (Dataflow > Jobs)",
    "FlinkRunner": "Flink's web UI (the JobManager's port 8081 by default)",
    "SparkRunner": "Spark's web UI (the master's port 8080, or the driver's 4040)",
}


def is_local(options: PipelineOptions) -> bool:
    """Whether the workers run on this machine (progress files can be read here)."""
    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) or runner is None else type(runner).__name__
    return name in _LOCAL_RUNNERS or options.view_as(PortableOptions).environment_type == "LOOPBACK"


def where_to_watch(options: PipelineOptions) -> str:
    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__
    return _WATCH.get(name, f"{name}'s own monitoring")


class WorkerCount:
    """A worker's count of processed inputs, kept in ``folder/<unique>.count`` (rewritten at most
    every ``every`` seconds, and when the worker is torn down). Picklable until first used."""

    def __init__(self, folder: str | None, every: float = 1.0):
        self.folder, self.every = folder, every
        self.count, self.path, self.written = 0, None, 0.0

    def tick(self) -> None:
        if self.folder is None:
            return
        self.count += 1
        now = time.monotonic()
        if now - self.written >= self.every:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if self.folder is None or not os.path.isdir(self.folder):
            return
        if self.path is None:
            self.path = os.path.join(self.folder, f"{uuid.uuid4().hex}.count")
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.count))
        os.replace(tmp, self.path)
        self.written = time.monotonic() if now is None else now


def read_done(folder: str) -> int:
    """The inputs done so far, summed over the workers' files."""
    done = 0
    for name in os.listdir(folder):
        if name.endswith(".count"):
            try:
                with open(os.path.join(folder, name)) as f:
                    done += int(f.read() or 0)
            except (OSError, ValueError):
                pass  # being replaced right now: counted next time
    return done


def line(label: str, done: int, total: int, seconds: float, unit: str = "inputs") -> str:
    """``synth: 120 of 480 inputs (25%), 3.1 inputs/s, about 1.9 min left``."""
    rate = done / seconds if seconds > 0 else 0.0
    pct = 100.0 * done / total if total else 100.0
    text = f"{label}: {done} of {total} {unit} ({pct:.0f}%)"
    if done and rate > 0:
        left = (total - done) / rate
        text += f", {rate:.2f} {unit}/s, about " + (f"{left / 60:.1f} min" if left >= 60 else f"{left:.0f} s") + " left"
    return text


class Reporter(threading.Thread):
    """Prints :func:`line` every ``interval`` seconds while the run goes on (to stderr)."""

    def __init__(self, folder: str, label: str, total: int, unit: str = "inputs", interval: float = 5.0,
                 stream=None):
        super().__init__(daemon=True)
        self.folder, self.label, self.total, self.unit, self.interval = folder, label, total, unit, interval
        self.stream = stream or sys.stderr
        self.stopped = threading.Event()
        self.started_at = time.monotonic()
        self.last = -1

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.report()

    def report(self) -> None:
        done = min(read_done(self.folder), self.total)
        if done != self.last:
            self.last = done
            print(line(self.label, done, self.total, time.monotonic() - self.started_at, self.unit),
                  file=self.stream, flush=True)

    def stop(self) -> None:
        """Stop, and print the last count (the workers flush theirs at the end of each bundle)."""
        self.stopped.set()
        self.join(timeout=self.interval + 1)
        self.report()
