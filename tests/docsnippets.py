"""The examples of the documentation as tests: fenced blocks marked to run, run on the sample photos.

A fenced block of a page is preceded by one mark (``docs/development.md`` documents them):

* ``<!-- run -->``: run it. ``sh`` blocks run in ``bash -euo pipefail`` with the environment's
  ``blurgen`` first on ``PATH`` and the checkout first on ``PYTHONPATH``; ``python`` blocks are
  executed in the test's process, in one namespace per page. Blocks run in page order, in a fresh
  folder that holds a link ``samples`` to the repository's sample photos.
* ``<!-- not run: REASON -->``: shown only (a cloud project, a published dataset, days of training).
* ``<!-- shown in: PAGE -->`` (the README): each line of the block is a line of a run block of PAGE.

A page with run blocks names its test process near its title, ``<!-- snippets: KIND -->``, KIND one
of :data:`KINDS`, optionally ``, after PAGE``: start from the files PAGE's blocks left.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Which pytest process runs a page's blocks: plain (no TensorFlow, tests/blurgen), tensorflow
# (tests/training), torch and datasets (tests/readers, in their own environment).
KINDS = ("plain", "tensorflow", "torch", "datasets")
# The pages whose every fenced block must carry a mark.
MARKED_PAGES = ("README.md",) + tuple(f"docs/guides/{p.name}" for p in sorted((DOCS / "guides").glob("*.md")))
RUNNERS = {"sh": "sh", "bash": "sh", "python": "python"}
SH_TIMEOUT_S = 600

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!--\s*(run|not run|shown in)\s*(?::\s*(.*?))?\s*-->\s*\Z", re.DOTALL)
_KIND = re.compile(r"^<!--\s*snippets:\s*(\w+)\s*(?:,\s*after\s+([\w./-]+))?\s*-->[ \t]*$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: its page, first line (1-based), language, text and mark."""
    page: str
    line: int
    lang: str
    text: str
    mark: str | None        # "run", "not run", "shown in" or None
    arg: str                # the reason or the page named by the mark

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: str) -> list[Block]:
    """Every top-level fenced block of ``page`` (a path relative to the repository root)."""
    text = (ROOT / page).read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        before = text[:m.start()].rstrip()
        comment_start = before.rfind("<!--")
        mark = _MARK.search(before[comment_start:]) if comment_start >= 0 else None
        found.append(Block(page, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2),
                           mark.group(1) if mark else None, (mark.group(2) or "").strip() if mark else ""))
    return found


def page_kind(page: str) -> tuple[str | None, str | None]:
    """``(kind, page it continues)`` of ``page``'s snippets mark; ``(None, None)`` without one."""
    m = _KIND.search((ROOT / page).read_text(encoding="utf-8"))
    return (m.group(1), m.group(2) and f"docs/{m.group(2)}") if m else (None, None)


def runnable_pages(kind: str) -> list[str]:
    """The pages (``docs/...``) whose snippets run in the process of ``kind``."""
    pages = [str(p.relative_to(ROOT)) for p in sorted(DOCS.rglob("*.md"))]
    return [p for p in pages if page_kind(p)[0] == kind]


def subprocess_env() -> dict[str, str]:
    """The environment of ``sh`` blocks: this environment's commands and the checkout's code first."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    return env


def run_block(block: Block, workdir: Path, namespace: dict) -> None:
    """Run one block in ``workdir``; a failure raises AssertionError with the block's place and output."""
    runner = RUNNERS.get(block.lang)
    assert runner, f"{block.where}: a run block must be sh or python, not {block.lang!r}"
    if runner == "sh":
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=workdir, env=subprocess_env(),
                              capture_output=True, text=True, timeout=SH_TIMEOUT_S)
        assert done.returncode == 0, (f"{block.where}: exit {done.returncode}\n{block.text}\n"
                                      f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
        return
    old = Path.cwd()
    os.chdir(workdir)
    try:
        # Padded so that a traceback names the line of the page.
        exec(compile("\n" * block.line + block.text, block.page, "exec"), namespace)
    finally:
        os.chdir(old)


class PageRunner:
    """Runs pages' run blocks, each page in a fresh folder; leading ``sh`` blocks that another page
    already ran identically are not run again: their folder is copied (the commands are
    deterministic, so their files would be the same bytes)."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.snapshots: dict[tuple[str, ...], Path] = {}
        self.finished: dict[str, Path] = {}

    def _place(self, name: str) -> Path:
        """A new folder name for ``name`` under the scratch folder (not yet made)."""
        base = re.sub(r"[^\w.-]", "_", name)
        work, n = self.scratch / base, 0
        while work.exists():
            n += 1
            work = self.scratch / f"{base}-{n}"
        return work

    def _snapshot(self, key: tuple[str, ...], work: Path) -> None:
        copy = self.scratch / f"snapshot-{len(self.snapshots)}"
        shutil.copytree(work, copy, symlinks=True)
        self.snapshots[key] = copy

    def run(self, page: str) -> Path:
        """Run ``page``'s blocks; returns the folder they ran in."""
        if page in self.finished:
            return self.finished[page]
        _, after = page_kind(page)
        work = self._place(page)
        todo = [b for b in blocks(page) if b.mark == "run"]
        assert todo, f"{page} says it has snippets but marks none to run"
        done, key = 0, (after or "",)
        while done < len(todo) and todo[done].lang in ("sh", "bash") and key + (todo[done].text,) in self.snapshots:
            key += (todo[done].text,)
            done += 1
        if done:  # what the same commands left, on top of what the page it continues left
            shutil.copytree(self.snapshots[key], work, symlinks=True)
        elif after:
            shutil.copytree(self.run(after), work, symlinks=True)
        else:
            work.mkdir(parents=True)
            (work / "samples").symlink_to(ROOT / "samples", target_is_directory=True)
        namespace: dict = {"__name__": "__docs__"}
        leading = all(b.lang in ("sh", "bash") for b in todo[:done])
        for block in todo[done:]:
            run_block(block, work, namespace)
            leading = leading and block.lang in ("sh", "bash")
            if leading:
                key += (block.text,)
                self._snapshot(key, work)
        self.finished[page] = work
        return work


def problems_with_marks() -> list[str]:
    """What is wrong with the marks of the pages that must mark every block (empty: nothing)."""
    problems = []
    runnable_text: dict[str, list[str]] = {}  # page: the lines of its run blocks
    for page in MARKED_PAGES:
        kind, after = page_kind(page)
        if kind is not None and kind not in KINDS:
            problems.append(f"{page}: snippets kind {kind!r} is not one of {KINDS}")
        if after and not (ROOT / after).is_file():
            problems.append(f"{page}: continues {after}, which does not exist")
        for b in blocks(page):
            if b.mark is None:
                problems.append(f"{b.where}: a ```{b.lang} block without <!-- run -->, <!-- not run: why --> "
                                "or <!-- shown in: PAGE -->")
            elif b.mark == "not run" and not b.arg:
                problems.append(f"{b.where}: <!-- not run --> must say why")
            elif b.mark == "run" and kind is None:
                problems.append(f"{b.where}: a run block on a page without <!-- snippets: KIND -->")
            elif b.mark == "shown in":
                target = f"docs/{b.arg}"
                if target not in runnable_text:
                    runnable_text[target] = [ln.strip() for x in blocks(target) if x.mark == "run"
                                             for ln in x.text.splitlines()] if (ROOT / target).is_file() else []
                missing = [ln.strip() for ln in b.text.splitlines()
                           if ln.strip() and ln.strip() not in runnable_text[target]]
                if missing:
                    problems.append(f"{b.where}: not in a run block of {target}: {missing[0]!r}")
    return problems
