"""Fuzzing the shard readers: mutated shards, what a correct reader must make of them, and the
parent's side of running one reader over thousands of them in a child process.

A case is a sound shard of the corpus put through one to three mutations (:data:`KINDS`): bit
flips (often in a header), a truncation, a record's length set to any 64-bit value with or without
a valid length checksum, a record spliced in from another shard (at a record boundary or at any
byte), the file emptied, or only the records' headers kept. :func:`oracle` says, from the bytes
alone and without the project's code, which records come before the first damage and whether
there is damage; the readers must agree with it.

Each reader runs in its own child process (``tests/fuzz_child.py``) so that a segmentation fault,
a hang or runaway memory fails a test instead of taking pytest down: :func:`run_fuzz` starts the
child, waits with a timeout, measures its peak RSS (``wait4``) and reads back its summary (cases
run, outcomes); on a crash or a hang it reports the case that was running. This module imports
neither TensorFlow nor the ``tfrecord`` package, so both test processes use it.
"""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import google_crc32c
from hypothesis import strategies as st

CHILD = Path(__file__).resolve().parent / "fuzz_child.py"
REPO = CHILD.parents[1]
KINDS = ("bit_flips", "truncate", "length", "splice", "empty", "headers_only")
SHARD_NAME = "blurgen-train.tfrecord-00000-of-00001"
# Peak resident memory allowed to a reader's child over a whole run: the TF-free readers stay near
# 70 to 160 MiB, TensorFlow's near 550 to 600 MiB (its own start); a record allocated at a crafted
# size would pass these bounds.
TF_FREE_RSS_MIB = 400
TF_RSS_MIB = 1024


def fuzz_cases(short: int) -> int:
    """Cases for one reader: ``short`` in `make test`, times ``BLURGEN_FUZZ_SCALE`` (`make fuzz`)."""
    return short * int(os.environ.get("BLURGEN_FUZZ_SCALE", "1"))


def fuzz_seed() -> int:
    """Hypothesis' seed: 0 in `make test` (the same cases every run); `make fuzz` draws one and
    prints it, and ``BLURGEN_FUZZ_SEED=N`` replays it."""
    return int(os.environ.get("BLURGEN_FUZZ_SEED", "0"))


# ---- the TFRecord layout, written out again here so that the oracle does not trust the code it judges

def _masked(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def header(length: int, valid: bool = True) -> bytes:
    raw = struct.pack("<Q", length)
    return raw + struct.pack("<I", (_masked(raw) + (0 if valid else 1)) & 0xFFFFFFFF)


def framed(data: bytes) -> bytes:
    return header(len(data)) + data + struct.pack("<I", _masked(data))


def oracle(data: bytes, ceiling: int = 256 << 20) -> tuple[list[bytes], bool]:
    """``(records before the first damage, whether there is damage)`` of a shard's bytes."""
    good, at = [], 0
    while at < len(data):
        if len(data) - at < 12 or _masked(data[at:at + 8]) != struct.unpack_from("<I", data, at + 8)[0]:
            return good, True
        (length,) = struct.unpack_from("<Q", data, at)
        end = at + 12 + length + 4
        if length > ceiling or end > len(data):
            return good, True
        payload = data[at + 12:at + 12 + length]
        if _masked(payload) != struct.unpack_from("<I", data, end - 4)[0]:
            return good, True
        good.append(payload)
        at = end
    return good, False


def record_offsets(data: bytes) -> list[int]:
    """Where each record starts, following the length fields as far as they stay in the file
    (no checks: a mutated shard's offsets are still good places to aim at)."""
    out, at = [], 0
    while at + 12 <= len(data):
        out.append(at)
        at += 16 + struct.unpack_from("<Q", data, at)[0]
    return out


def craft_length(path: str, index: int, length: int, valid: bool = True) -> int:
    """Make record ``index`` of the shard at ``path`` claim ``length`` bytes, its length checksum
    recomputed (``valid``) as a faulty writer or a crafted file would have it; returns its offset."""
    data = Path(path).read_bytes()
    at = record_offsets(data)[index]
    Path(path).write_bytes(data[:at] + header(length, valid) + data[at + 12:])
    return at


# ---- mutations

@dataclass(frozen=True)
class Case:
    """A mutated shard's bytes and the mutations that made it (shown when a case fails; the
    failing shard itself is left in the child's work folder)."""

    data: bytes
    steps: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Case({len(self.data)} bytes: {' then '.join(self.steps)})"

    def _repr_pretty_(self, printer, cycle) -> None:  # how Hypothesis prints a falsifying example
        printer.text(repr(self))


def _aim(draw, data: bytes) -> int:
    """A byte position: often inside a record's header, else anywhere."""
    offsets = record_offsets(data)
    if offsets and draw(st.booleans()):
        return min(draw(st.sampled_from(offsets)) + draw(st.integers(0, 11)), len(data) - 1)
    return draw(st.integers(0, len(data) - 1))


def _bit_flips(draw, data, corpus):
    if not data:
        return data, "bit_flips(empty file)"
    buf, where = bytearray(data), []
    for _ in range(draw(st.integers(1, 8))):
        at, bit = _aim(draw, data), draw(st.integers(0, 7))
        buf[at] ^= 1 << bit
        where.append(f"{at}.{bit}")
    return bytes(buf), f"bit_flips({', '.join(where)})"


def _truncate(draw, data, corpus):
    ends = [o + d for o in record_offsets(data) for d in (0, 1, 8, 11, 12, 13)]
    at = draw(st.sampled_from(ends) if ends and draw(st.booleans()) else st.integers(0, len(data)))
    return data[:min(at, len(data))], f"truncate({at})"


def _length(draw, data, corpus):
    offsets = record_offsets(data)
    if not offsets:
        return data, "length(no record)"
    at = draw(st.sampled_from(offsets))
    left = len(data) - at - 12
    special = [0, 1, left - 5, left - 4, left - 3, left, left + 1, (256 << 20), (256 << 20) + 1,
               2**31 - 1, 2**31, 2**32, 40 << 30, 2**63, 2**64 - 1]
    value = draw(st.sampled_from([v for v in special if v >= 0]) | st.integers(0, 2**64 - 1))
    valid = draw(st.booleans())
    return data[:at] + header(value, valid) + data[at + 12:], f"length(at={at}, value={value}, valid={valid})"


def _splice(draw, data, corpus):
    other = draw(st.sampled_from(corpus))
    starts = record_offsets(other)
    if not starts:
        return data, "splice(no record)"
    i = draw(st.integers(0, len(starts) - 1))
    piece = other[starts[i]:starts[i + 1] if i + 1 < len(starts) else len(other)]
    boundaries = record_offsets(data) + [len(data)]
    at = draw(st.sampled_from(boundaries) if draw(st.booleans()) else st.integers(0, len(data)))
    replace = draw(st.booleans()) and at in boundaries[:-1]
    end = boundaries[boundaries.index(at) + 1] if replace else at
    return data[:at] + piece + data[end:], f"splice(record {i} of another shard at {at}, replace={replace})"


def _empty(draw, data, corpus):
    return b"", "empty"


def _headers_only(draw, data, corpus):
    offsets = record_offsets(data)
    if not offsets:
        return data, "headers_only(no record)"
    keep = draw(st.integers(1, len(offsets)))
    return b"".join(data[o:o + 12] for o in offsets[:keep]), f"headers_only({keep})"


MUTATE = {"bit_flips": _bit_flips, "truncate": _truncate, "length": _length, "splice": _splice,
          "empty": _empty, "headers_only": _headers_only}


# How often each mutation is drawn: an empty file is one case, not a tenth of them.
_DRAWN = ("bit_flips", "bit_flips", "truncate", "length", "length", "length", "splice", "splice",
          "headers_only", "empty")


@st.composite
def cases(draw, corpus: list[bytes]) -> Case:
    """A mutated shard: a corpus shard through one to three mutations."""
    data = draw(st.sampled_from(corpus))
    steps: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if steps and not data:
            break
        data, what = MUTATE[draw(st.sampled_from(_DRAWN))](draw, data, corpus)
        steps.append(what)
    return Case(data, tuple(steps))


def landmarks(corpus: list[bytes]) -> list[Case]:
    """Cases every run includes, whatever it draws: the lengths that crashed TensorFlow's reader
    (40 GiB, the largest uint64, over the ceiling), each with a valid checksum, an empty file and
    a lone header."""
    base = corpus[0]
    starts = record_offsets(base)
    out = []
    for i, value in ((0, 40 << 30), (len(starts) - 1, 2**64 - 1), (min(1, len(starts) - 1), (256 << 20) + 1)):
        at = starts[i]
        out.append(Case(base[:at] + header(value) + base[at + 12:], (f"length(at={at}, value={value}, valid=True)",)))
    out.append(Case(b"", ("empty",)))
    out.append(Case(base[:12], ("headers_only(1)",)))
    return out


# ---- the parent's side

@dataclass(frozen=True)
class Ran:
    """A finished child process: exit code (negative: the signal that ended it), its output, its
    peak resident memory in MiB and its CPU seconds, as the kernel counted them (``wait4``)."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_mib: float
    cpu_s: float
    timed_out: bool


# Runs the command as its own child and reports how it ended. A process's peak RSS (ru_maxrss)
# starts from its parent's RSS at the fork, so the command is forked from this small process
# (about 10 MiB), not from pytest (hundreds of MiB, with TensorFlow).
_MEASURE = """import json, os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"status": status, "maxrss_kib": ru.ru_maxrss, "cpu_s": ru.ru_utime + ru.ru_stime}, f)
"""


def run_measured(cmd: list[str], timeout: float, **popen) -> Ran:
    """Run ``cmd`` to its end (killed after ``timeout`` seconds), measuring its peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        report, out, err = (Path(tmp) / name for name in ("report.json", "out", "err"))
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(report), *cmd], stdout=o, stderr=e,
                                    start_new_session=True, **popen)
            try:
                proc.wait(timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and the command under it
                proc.wait()
                timed_out = True
        ended = json.loads(report.read_text()) if report.exists() else {"status": 9, "maxrss_kib": 0, "cpu_s": 0}
        return Ran(os.waitstatus_to_exitcode(ended["status"]), out.read_text("utf-8", "replace"),
                   err.read_text("utf-8", "replace"), ended["maxrss_kib"] / 1024, ended["cpu_s"], timed_out)


def run_fuzz(reader: str, corpus: Path, work: Path, cases: int, seed: int, python: str = sys.executable,
             case_timeout: float = 60.0) -> dict:
    """Run ``cases`` mutated shards through ``reader`` in a child process; its summary.

    Raises:
      AssertionError: the child crashed (a signal), hung (a case over ``case_timeout`` seconds, or
        the whole run over a generous limit), or a case failed (Hypothesis' smallest failing case
        is in the message).
    """
    work.mkdir(parents=True, exist_ok=True)
    cmd = [python, str(CHILD), reader, "--corpus", str(corpus), "--work", str(work), "--cases", str(cases),
           "--seed", str(seed), "--case-timeout", str(case_timeout)]
    limit = 120 + 10 * cases  # a backstop: the child ends a case that runs over case_timeout itself
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONFAULTHANDLER": "1"}
    ran = run_measured(cmd, limit, cwd=REPO, env=env)
    if ran.timed_out:
        raise AssertionError(f"{reader}: hung (no end after {limit} s) on {_current(work)}; "
                             f"stderr: {_tail(ran.stderr)}")
    if ran.returncode < 0:
        raise AssertionError(f"{reader}: crashed ({signal.Signals(-ran.returncode).name}) on {_current(work)}; "
                             f"stderr: {_tail(ran.stderr)}")
    if "Timeout (" in ran.stderr and ran.returncode != 0:
        raise AssertionError(f"{reader}: hung (a case ran over {case_timeout:g} s) on {_current(work)}")
    if ran.returncode != 0:
        raise AssertionError(f"{reader}: a case failed (exit {ran.returncode}); the case running: {_current(work)}\n"
                             f"{_tail(ran.stderr, 6000)}")
    return {**json.loads(ran.stdout.strip().splitlines()[-1]), "peak_rss_mib": round(ran.peak_rss_mib, 1),
            "cpu_s": round(ran.cpu_s, 1)}


def check_summary(summary: dict, cases: int, peak_rss_mib: float) -> None:
    """Every case ran, the run was not vacuous (at 50 cases or more: every mutation kind was
    drawn, and both sound and damaged shards met), and the child's peak RSS stayed under
    ``peak_rss_mib``."""
    stats = summary["stats"]
    assert summary["cases"] >= cases, f"only {summary['cases']} of {cases} cases ran"
    if cases >= 50:
        missing = [k for k in (*KINDS, "sound", "damaged") if not stats.get(k)]
        assert not missing, f"never drawn or met: {missing} ({stats})"
    assert summary["peak_rss_mib"] <= peak_rss_mib, \
        f"{summary['reader']}: peak RSS {summary['peak_rss_mib']} MiB, over the bound of {peak_rss_mib} MiB"


def _current(work: Path) -> str:
    """The case the child was running, as it wrote it down before starting it."""
    try:
        return (work / "current.txt").read_text()
    except OSError:
        return "(no case started)"


def _tail(text: str, n: int = 2000) -> str:
    return text[-n:]
