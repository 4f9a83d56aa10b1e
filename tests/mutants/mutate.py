"""Mutation check: break one behaviour the project depends on, run the tests that should notice,
and report whether they did.

    .venv/bin/python tests/mutants/mutate.py                 # every mutant in mutations.toml
    .venv/bin/python tests/mutants/mutate.py --only ssim gp  # names containing 'ssim' or 'gp'
    .venv/bin/python tests/mutants/mutate.py --list          # the mutants and their tests
    make mutants                                             # the same as the first line

Each mutant (``tests/mutants/mutations.toml``) is a text substitution in one file: ``old`` must
occur exactly once in it. The project is copied once into a temporary folder (the files git
tracks, plus untracked files it does not ignore; never the working tree itself), and each mutant
is applied to that copy alone, its tests run, and the file put back before the next one. The
tests run with the checkout's ``.venv`` under ``nice``, with ``PYTHONPATH`` set to the copy so
that subprocesses the tests start (the CLI, Beam workers) import the mutated code too, and with
``../shared`` out of reach: a mutant counts as caught only if a test fails without the
published real-blur data. Test files of ``tests/training`` run in their own pytest process, apart
from the others, as in ``make test`` (TensorFlow and tfrecord cannot share one).

Outcomes: ``caught`` (a test failed: its name is shown), ``MISSED`` (every test passed),
``timeout``, ``error`` (pytest could not collect or run the tests). Before the mutants, the
same tests run on the unmutated copy (``--no-baseline`` skips that): a test that already fails
would make every mutant look caught. The exit status is 0 only when every mutant is caught.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MUTATIONS = HERE / "mutations.toml"
TF_TESTS = "tests/training"  # test paths under it run in the TensorFlow process


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments: files or node ids, relative to the root
    why: str = ""


@dataclass(frozen=True)
class Outcome:
    status: str  # "caught", "MISSED", "timeout" or "error"
    detail: str  # the first failing test, or what went wrong
    seconds: float


def load(path: Path = MUTATIONS) -> list[Mutant]:
    """The mutants of ``path`` (a TOML file of ``[[mutant]]`` tables), in file order."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = []
    for entry in data.get("mutant", []):
        unknown = set(entry) - {"name", "file", "old", "new", "tests", "why"}
        if unknown:
            raise ValueError(f"{path}: mutant {entry.get('name')!r} has unknown keys {sorted(unknown)}")
        out.append(Mutant(entry["name"], entry["file"], entry["old"], entry["new"], tuple(entry["tests"]),
                          entry.get("why", "")))
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: mutant names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    return out


def problems(mutants: list[Mutant], root: Path = REPO) -> list[str]:
    """What is wrong with the list against the sources in ``root``: an ``old`` text that does not
    occur exactly once (the code changed under the mutant), a mutant that changes nothing, a test
    path that does not exist."""
    found = []
    for m in mutants:
        path = root / m.file
        if not path.is_file():
            found.append(f"{m.name}: {m.file} does not exist")
            continue
        count = path.read_text(encoding="utf-8").count(m.old)
        if count != 1:
            found.append(f"{m.name}: its 'old' text occurs {count} times in {m.file} (must be once); "
                         "update the mutant to the code as it is now")
        if m.old == m.new:
            found.append(f"{m.name}: 'old' and 'new' are the same")
        if not m.tests:
            found.append(f"{m.name}: names no tests")
        for t in m.tests:
            if not (root / t.split("::", 1)[0]).exists():
                found.append(f"{m.name}: test path {t} does not exist")
    return found


def copy_project(dest: Path, root: Path = REPO) -> Path:
    """Copy the files git tracks in ``root`` and the untracked ones it does not ignore into
    ``dest/blurgen`` (a folder whose parent holds no ``shared``), and return that folder."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=root, check=True, capture_output=True).stdout.decode().split("\0")
    target = dest / "blurgen"
    for rel in filter(None, listing):
        src = root / rel
        if not src.is_file():  # deleted in the working tree but still in the index
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target / rel)
    return target


def groups(tests: tuple[str, ...]) -> list[list[str]]:
    """The tests split into pytest processes: the non-TensorFlow ones, then tests/training."""
    other = [t for t in tests if not t.startswith(TF_TESTS)]
    tf = [t for t in tests if t.startswith(TF_TESTS)]
    return [g for g in (other, tf) if g]


def _environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("CI", None)  # in CI mode a test that needs ../shared fails; here it must skip
    return env


_FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)  # "FAILED node id - message"


def run_tests(copy: Path, tests: tuple[str, ...], python: str, timeout: float) -> Outcome:
    """Run ``tests`` in ``copy``, stopping at the first failure; one pytest process per group."""
    start = time.monotonic()
    for group in groups(tests):
        cmd = ["nice", "-n", "10", python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *group]
        proc = subprocess.Popen(cmd, cwd=copy, env=_environment(copy), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        left = timeout - (time.monotonic() - start)
        try:
            out, _ = proc.communicate(timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the pytest we started and its own children
            proc.communicate()
            return Outcome("timeout", f"over {timeout:.0f} s", time.monotonic() - start)
        if proc.returncode == 1:
            hit = _FAILED.search(out)
            return Outcome("caught", hit.group(1) if hit else "a test failed", time.monotonic() - start)
        if proc.returncode != 0:
            tail = " | ".join(out.strip().splitlines()[-3:])
            return Outcome("error", f"pytest exit {proc.returncode}: {tail[-300:]}", time.monotonic() - start)
    return Outcome("MISSED", "all passed", time.monotonic() - start)


def apply(copy: Path, m: Mutant) -> str:
    """Write the mutant into the copy; returns the file's original text."""
    path = copy / m.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(m.old, m.new, 1), encoding="utf-8")
    return text


def table(rows: list[tuple[Mutant, Outcome]]) -> str:
    """A Markdown table: mutant, result, the test that caught it, seconds."""
    lines = ["| mutant | result | caught by | s |", "|---|---|---|---:|"]
    for m, o in rows:
        lines.append(f"| {m.name} | {o.status} | {o.detail.replace('|', '/')} | {o.seconds:.0f} |")
    return "\n".join(lines)


def baseline_passes(copy: Path, mutants: list[Mutant], python: str, timeout: float) -> bool:
    """Run every mutant's tests on the unmutated copy; True when all pass."""
    every = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
    base = run_tests(copy, every, python, timeout)
    said = "all passed" if base.status == "MISSED" else base.status
    print(f"baseline (unmutated, {len(every)} test paths): {said} in {base.seconds:.0f} s", flush=True)
    if base.status != "MISSED":
        print(f"the tests fail without any mutant ({base.detail}); fix that first", file=sys.stderr)
    return base.status == "MISSED"


def run_mutants(copy: Path, mutants: list[Mutant], python: str, timeout: float) -> list[tuple[Mutant, Outcome]]:
    """Each mutant applied alone to ``copy``, its tests run, the file put back; one line printed per mutant."""
    rows = []
    for m in mutants:
        original = apply(copy, m)
        try:
            outcome = run_tests(copy, m.tests, python, timeout)
        finally:
            (copy / m.file).write_text(original, encoding="utf-8")
        rows.append((m, outcome))
        print(f"{outcome.status:8} {outcome.seconds:6.0f} s  {m.name}  ({outcome.detail})", flush=True)
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[],
                        help="run the mutants whose names contain any of these (any case)")
    parser.add_argument("--list", action="store_true", help="list the mutants and their tests, run nothing")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the tests unmutated first")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per mutant (default %(default)s)")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"),
                        help="the interpreter with the project installed (default: the checkout's .venv)")
    parser.add_argument("--markdown", help="also write the table to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    mutants = [m for m in load() if not args.only or any(s.lower() in m.name.lower() for s in args.only)]
    if not mutants:
        parser.error(f"no mutant name contains any of {args.only}")
    if args.list:
        for m in mutants:
            print(f"{m.name}\n    {m.file}: {m.why}\n    tests: {' '.join(m.tests)}")
        return 0
    wrong = problems(mutants)
    if wrong:
        print("the mutation list does not fit the code:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="blurgen-mutants-") as tmp:
        copy = copy_project(Path(tmp))
        print(f"project copied to {copy}; {len(mutants)} mutants", flush=True)
        if not args.no_baseline and not baseline_passes(copy, mutants, args.python, args.timeout * 2):
            return 2
        rows = run_mutants(copy, mutants, args.python, args.timeout)
    text = table(rows)
    caught = sum(o.status == "caught" for _, o in rows)
    print(f"\n{text}\n\n{caught} of {len(rows)} mutants caught")
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
