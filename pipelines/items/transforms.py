"""The PTransform every pipeline shares: process each input into pairs, or into one reject.

``ProcessInputs(fn)`` applies ``fn(element) -> [(split, Pair), ...]`` to each input. An input
either gives all its pairs or none: expected problems (:class:`~pipelines.sources.rejects.RejectError`,
``ImageError``, ``OSError``) become a reject line, and anything unexpected goes to Beam's
dead-letter output (``with_exception_handling``) and becomes a reject too, so nothing is lost
and one bad file never stops a run. Outputs: ``records`` as ``(split, key, example_bytes)``,
``rejects`` as :class:`~pipelines.sources.rejects.Reject`, ``done`` as one name per written input
(``(name, stats)`` for a unit that carries figures for the manifest's summary).

An input may also stand for several counted units (a frame range of a clip holds several
windows): then ``fn`` returns :class:`Units`, and each :class:`Unit` gives its pairs or its one
reject on its own, emitted as it comes, so the input's outputs are never all held at once.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from blurgen.images import ImageError
from pipelines.items.progress import WorkerCount
from pipelines.shards.examples import encode_example
from pipelines.sources.rejects import Reject, RejectError, from_dead_letter, reject_from

LOG = logging.getLogger(__name__)
RECORD, REJECT, DONE = 0, 1, 2
PROGRESS_EVERY = 25  # inputs
PROGRESS_SECONDS = 30.0


@dataclass(frozen=True)
class Unit:
    """One counted unit of an input: ``pairs`` as ``(split, Pair)`` when written, else its ``reject``;
    ``stats``: ``(name, number)`` figures of a written unit, summarised in the manifest
    (:class:`pipelines.shards.metadata.Summary`)."""

    name: str
    pairs: tuple = ()
    reject: Reject | None = None
    stats: tuple[tuple[str, float], ...] = ()


class Units:
    """What ``fn`` returns for an input that stands for several counted units. The iterable is
    consumed lazily and must yield every unit of the input exactly once and raise nothing (a
    unit that fails is a :class:`Unit` with a reject), so that inputs = written + rejected holds."""

    def __init__(self, units: Iterable[Unit]):
        self.units = units


class _ProcessFn(beam.DoFn):
    def __init__(self, fn: Callable[[Any], list], path_of: Callable[[Any], str], progress_dir: str | None = None):
        self.fn = fn
        self.path_of = path_of
        self.progress_dir = progress_dir
        self.inputs = Metrics.counter("blurgen", "inputs")
        self.pairs = Metrics.counter("blurgen", "pairs")
        self.rejects = Metrics.counter("blurgen", "rejects")

    def setup(self):
        self.seen = 0
        self.started = self.last_report = time.monotonic()
        self.count = WorkerCount(self.progress_dir)

    def finish_bundle(self):
        self.count.flush()

    def _progress(self) -> None:
        self.seen += 1
        now = time.monotonic()
        if self.seen % PROGRESS_EVERY == 0 or now - self.last_report > PROGRESS_SECONDS:
            self.last_report = now
            LOG.info("this worker has processed %d inputs (%.2f inputs/s)",
                     self.seen, self.seen / max(now - self.started, 1e-9))

    def process(self, element):
        self.inputs.inc()
        self._progress()
        self.count.tick()
        path = self.path_of(element)
        try:
            made = self.fn(element)
            if not isinstance(made, Units):
                # Encode everything before emitting anything: an input gives all its pairs or none.
                out = [(split, pair.key, encode_example(pair)) for split, pair in made]
        except (RejectError, ImageError, OSError) as exc:
            self.rejects.inc()
            LOG.debug("rejected %s: %s", path, exc)
            yield REJECT, reject_from(path, exc)
            return
        if isinstance(made, Units):  # each unit on its own, as it comes
            yield from self._each_unit(made.units)
            return
        self.pairs.inc(len(out))
        for rec in out:
            yield RECORD, rec
        yield DONE, path

    def _each_unit(self, units: Iterable[Unit]):
        for unit in units:
            if unit.reject is not None:
                self.rejects.inc()
                yield REJECT, unit.reject
                continue
            out = [(split, pair.key, encode_example(pair)) for split, pair in unit.pairs]
            self.pairs.inc(len(out))
            for rec in out:
                yield RECORD, rec
            yield DONE, (unit.name, unit.stats) if unit.stats else unit.name


def _dead_letter(bad, path_of):
    element, error = bad
    Metrics.counter("blurgen", "rejects").inc()
    return from_dead_letter(path_of(element), error)


class ProcessInputs(beam.PTransform):
    """Inputs in; ``{"records", "rejects", "done"}`` PCollections out (see the module docstring)."""

    def __init__(self, fn: Callable[[Any], list], path_of: Callable[[Any], str], progress_dir: str | None = None):
        super().__init__()
        self.fn = fn
        self.path_of = path_of
        self.progress_dir = progress_dir

    def expand(self, items):
        process = _ProcessFn(self.fn, self.path_of, self.progress_dir)
        good, bad = items | "Process" >> beam.ParDo(process).with_exception_handling()
        records, rejects, done = good | "ByOutcome" >> beam.Partition(lambda o, n: o[0], 3)
        dead = bad | "DeadLetters" >> beam.Map(_dead_letter, self.path_of)
        return {
            "records": records | "Records" >> beam.Map(lambda o: o[1]),
            "rejects": ((rejects | "Rejects" >> beam.Map(lambda o: o[1]), dead)
                        | "AllRejects" >> beam.Flatten()),
            "done": done | "Done" >> beam.Map(lambda o: o[1]),
        }


