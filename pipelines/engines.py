"""``blurgen engines``: fetch Beam's Flink and Spark runners and the engines with Maven, or list them.

    python -m pipelines.engines fetch [--dest DIR] [--engine flink]   # what `make engines` runs
    python -m pipelines.engines list                                  # versions and what is here

The work is :mod:`pipelines.runners.engines`'s: the pinned poms, the Maven call, the launcher jar.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.runners.engines import ENGINES, describe, engines_dir, fetch, is_fetched


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.engines",
                                     description="Beam's Flink and Spark runners and the engines themselves, "
                                                 "fetched with Maven into ``engines/``.")
    parser.add_argument("action", choices=("fetch", "list"))
    parser.add_argument("--dest", type=Path, default=None, help=f"folder for the engines (default: {engines_dir()})")
    parser.add_argument("--engine", action="append", choices=sorted(ENGINES),
                        help="fetch only this engine (repeatable; default: all)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    folder = args.dest or engines_dir()
    names = args.engine or list(ENGINES)
    if args.action == "list":
        for name in names:
            state = "fetched" if is_fetched(name, folder) else "not fetched"
            print(f"{ENGINES[name].title}: {describe(ENGINES[name])}; {folder / name} ({state})")
        return 0
    return 1 if fetch(folder, names) else 0


if __name__ == "__main__":
    sys.exit(main())
