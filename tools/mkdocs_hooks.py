"""MkDocs hooks that build the pages which must not drift from the code (``mkdocs.yml`` loads them).

* ``reference/commands.md``: every command's ``--help``, run at build time: the ``blurgen`` group and
  each of its subcommands (listed from the group itself, so a new subcommand appears on its own),
  and the ``python -m`` tools beside it. A command whose ``--help`` fails fails the build.
* ``architecture.md`` and ``changelog.md``: the repository's ``ARCHITECTURE.md`` and ``CHANGELOG.md``,
  with their links rewritten to the site's pages.
* API pages: ``::: blurgen.degrade`` names objects by their public import path. ``blurgen`` binds
  its public names lazily (a module ``__getattr__``), which the static analysis of mkdocstrings
  cannot follow, so such a path is resolved here at build time to the module that defines the
  object, and the heading keeps the public path.
"""
from __future__ import annotations

import functools
import importlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("mkdocs.hooks.blurgen")

# The tools that are not subcommands of ``blurgen``, as a user runs them.
EXTRA_COMMANDS = (
    ("python -m training.compare", ["-m", "training.compare"]),
    ("python -m training.describe", ["-m", "training.describe"]),
    ("python -m training.lpips convert", ["-m", "training.lpips", "convert"]),
    ("python -m pipelines.engines", ["-m", "pipelines.engines"]),
    ("blurgen-worker", ["-m", "pipelines.runners.worker"]),
)
# Help text is wrapped by click and argparse to this many columns.
HELP_COLUMNS = "88"


def _script(name: str) -> str:
    """The console script ``name`` of the environment that runs MkDocs."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name}: no such command beside {sys.executable}; install blurgen there "
                           "(make docs does: pip install -e '.[docs]')")
    return found


def _help(argv: list[str]) -> str:
    """The ``--help`` text of ``argv``, run in a scratch folder with the checkout first on the path."""
    env = dict(os.environ, COLUMNS=HELP_COLUMNS, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory(prefix="help-") as scratch:
        done = subprocess.run(argv + ["--help"], cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} --help exited {done.returncode}: {done.stderr.strip()[-500:]}")
        # Defaults under the working folder or the checkout would show the builder's own paths.
        text = done.stdout
        for path, name in ((Path(scratch).resolve(), "$PWD"), (ROOT, "<checkout>")):
            text = re.sub(r"\s*".join(map(re.escape, str(path))), name, text)
        return text.rstrip()


def _blurgen_subcommands() -> list[str]:
    """The names of the ``blurgen`` group's subcommands, as its own help lists them."""
    text = _help([_script("blurgen")])
    section = text.split("Commands:", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\w[\w-]*)\s", section, re.MULTILINE)]


def commands_page() -> str:
    """Markdown of every command's help."""
    blurgen = _script("blurgen")
    subs = _blurgen_subcommands()
    runs = [("blurgen", [blurgen])] + [(f"blurgen {s}", [blurgen, s]) for s in subs]
    runs += [(title, [sys.executable] + argv) for title, argv in EXTRA_COMMANDS]
    with ThreadPoolExecutor(max_workers=3) as pool:
        texts = list(pool.map(lambda run: _help(run[1]), runs))
    lines = ["# Commands", "",
             "Every command's own `--help`, as this version prints it (the page is generated when the site "
             "is built). Guides: [make a dataset](../guides/photos.md), [train and score](../guides/train.md), "
             "[deblur](../guides/deblur.md).", ""]
    lines += [f"- [`{title}`](#{_anchor(title)})" for title, _ in runs]
    for (title, _), text in zip(runs, texts):
        lines += ["", f"## `{title}` {{#{_anchor(title)}}}", "", "```text", text, "```"]
    return "\n".join(lines) + "\n"


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


# Links of the repository's top-level Markdown files, as the site's pages name them.
_LINKS = (
    (re.compile(r"\]\(docs/([\w./-]+\.md)"), r"](\1"),
    (re.compile(r"\]\(README\.md#[\w-]*\)"), "](index.md)"),
    (re.compile(r"\]\(README\.md\)"), "](index.md)"),
    (re.compile(r"\]\(ARCHITECTURE\.md"), "](architecture.md"),
    (re.compile(r"\]\(CHANGELOG\.md"), "](changelog.md"),
)


def repository_page(name: str) -> str:
    """A top-level Markdown file of the repository with its links made the site's."""
    text = (ROOT / name).read_text(encoding="utf-8")
    for pattern, repl in _LINKS:
        text = pattern.sub(repl, text)
    return text


def on_files(files, config):
    """Add the generated pages to the site."""
    generated = {
        "reference/commands.md": commands_page(),
        "architecture.md": repository_page("ARCHITECTURE.md"),
        "changelog.md": repository_page("CHANGELOG.md"),
    }
    for uri, content in generated.items():
        files.append(File.generated(config, uri, content=content))
    return files


@functools.lru_cache(maxsize=None)
def _static_package(name: str):
    import griffe
    return griffe.load(name, search_paths=[str(ROOT)], allow_inspection=False)


def _found_statically(path: str) -> bool:
    package, _, rest = path.partition(".")
    try:
        obj = _static_package(package)
        return not rest or obj[rest] is not None
    except (KeyError, ImportError, AttributeError):
        return False


def resolve(path: str) -> str:
    """The path mkdocstrings can load for the public path ``path``: itself, or its defining module's."""
    if _found_statically(path):
        return path
    module_name, _, attr = path.rpartition(".")
    obj = getattr(importlib.import_module(module_name), attr)
    real = f"{obj.__module__}.{obj.__qualname__}"
    if not _found_statically(real):
        raise RuntimeError(f"::: {path}: found at run time as {real}, which the static analysis cannot load")
    return real


_DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*\n((?:[ \t]+options:[ \t]*\n)?)", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    """Point each ``::: public.path`` at an object the static analysis loads; keep its public name."""
    def rewrite(match: re.Match) -> str:
        path = match.group(1)
        real = resolve(path)
        if real == path:
            return match.group(0)
        # The directive's own options (if any) follow the ``options:`` line this replaces.
        label = path.rpartition(".")[2]
        return f"::: {real}\n    options:\n      heading: \"{path}\"\n      toc_label: \"{label}\"\n"
    return _DIRECTIVE.sub(rewrite, markdown)
