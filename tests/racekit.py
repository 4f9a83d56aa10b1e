"""Two runs of one command racing for one output folder, in separate processes, at a chosen offset.

Each run is a real process that runs the real command line (``python -m blurgen.cli synth ...``,
``python -m training.commands fit ...``) through ``runpy``, as ``python -m`` does, but with its heavy
imports (Beam, TensorFlow) done before it is told to go: on a busy machine those imports take
seconds and vary by seconds, which would decide the race instead of the offset under test.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
STARTED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"  # a holder's start time as messages show it

_DRIVER = """
import importlib, pathlib, runpy, sys, warnings
warnings.filterwarnings("ignore", message=".*found in sys.modules after import of package")  # preloaded on purpose
module, ready, preload, *args = sys.argv[1:]
for name in filter(None, preload.split(",")):
    importlib.import_module(name)
pathlib.Path(ready).touch()
sys.stdin.readline()  # go
sys.argv = ["-m", *args]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


@dataclass
class Run:
    proc: subprocess.Popen
    log: Path
    ready: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def go(self) -> None:
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.close()

    def output(self) -> str:
        return self.log.read_text()


def prepare(module: str, args: list[str], preload: list[str], log: Path) -> Run:
    """A process that has imported ``preload`` and waits to run ``python -m module args``."""
    ready = log.with_suffix(".ready")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-c", _DRIVER, module, str(ready), ",".join(preload), *args],
                            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Run(proc, log, ready)


def wait_until(done: Callable[[], bool], run: Run, what: str, seconds: float = 300) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if done():
            return
        assert run.proc.poll() is None, f"the run ended before {what}: {run.output()[-3000:]}"
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {seconds} s")


def race(module: str, first: list[str], second: list[str], preload: list[str], folder: Path,
         offset: float | None, mid_run: Callable[[], bool] | None = None) -> tuple[Run, Run]:
    """Start ``first``, then ``second`` ``offset`` seconds later (``None``: once ``mid_run()``
    holds, the first run being at work); returns both runs, finished."""
    runs = (prepare(module, first, preload, folder / "first.log"),
            prepare(module, second, preload, folder / "second.log"))
    for run in runs:
        wait_until(run.ready.exists, run, "its imports were done")
    runs[0].go()
    if offset is None:
        wait_until(mid_run, runs[0], "it was at work")
    else:
        time.sleep(offset)
    runs[1].go()
    for run in runs:
        run.proc.wait(timeout=900)
    return runs


def winner_and_loser(runs: tuple[Run, Run]) -> tuple[Run, Run]:
    """The run that exited 0 and the one that exited 2 (asserting that is what happened)."""
    codes = [r.proc.returncode for r in runs]
    assert sorted(codes) == [0, 2], {c: r.output()[-3000:] for c, r in zip(codes, runs)}
    return (runs[0], runs[1]) if codes[0] == 0 else (runs[1], runs[0])


def error_lines(run: Run) -> list[str]:
    return [line for line in run.output().splitlines() if line.startswith("error:")]
