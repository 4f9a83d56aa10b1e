"""Beam's Flink and Spark job servers: where ``make engines`` puts them and how a run finds them.

Beam's ``FlinkRunner`` and ``SparkRunner`` start a Java job server from a jar. Without
``--flink_job_server_jar`` / ``--spark_job_server_jar`` Beam downloads the jar from Maven Central
at run time; ``make engines`` (``python -m pipelines.engines fetch``) fetches the same jars with
Maven into the project's ``engines/`` folder (git-ignored; ``BLURGEN_ENGINES`` names another), and
:func:`add_job_server_jar` passes the fetched file for the user when they named none, so a run
needs no download and no extra flag. The jar must match the installed Beam's version (and for
Flink the ``--flink_version``, Beam's default unless given).

    python -m pipelines.engines fetch            # what `make engines` runs
    python -m pipelines.engines list             # the coordinates and where each jar would go
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import apache_beam

ENV = "BLURGEN_ENGINES"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
_GROUP = "org.apache.beam"


def engines_dir() -> Path:
    """``$BLURGEN_ENGINES``, or ``engines/`` beside the package (the checkout's root)."""
    return Path(os.environ.get(ENV) or Path(__file__).resolve().parents[1] / "engines")


def flink_artifact(flink_version: str, beam_version: str = apache_beam.__version__) -> str:
    return f"beam-runners-flink-{flink_version}-job-server-{beam_version}.jar"


def spark_artifact(spark_version: str = "3", beam_version: str = apache_beam.__version__) -> str:
    return f"beam-runners-spark-{spark_version}-job-server-{beam_version}.jar"


def _runner_kind(runner: str | None) -> str | None:
    """``"flink"``, ``"spark"`` or ``None`` for a ``--runner`` value as Beam accepts it."""
    if not runner:
        return None
    last = runner.rsplit(".", 1)[-1].lower()
    last = last[: -len("runner")] if last.endswith("runner") else last
    return last if last in ("flink", "spark") else None


def job_server_jar(runner: str | None, flink_version: str, spark_version: str, folder: Path) -> tuple[str, Path] | None:
    """``(flag, jar)`` for the runner when it needs a job server, else ``None``."""
    kind = _runner_kind(runner)
    if kind == "flink":
        return "--flink_job_server_jar", folder / flink_artifact(flink_version)
    if kind == "spark":
        return "--spark_job_server_jar", folder / spark_artifact(spark_version)
    return None


def add_job_server_jar(beam_args: list[str], runner: str | None, flink_version: str, spark_version: str,
                       folder: Path | None = None) -> tuple[list[str], str | None]:
    """``beam_args`` with the fetched job-server jar added when the runner needs one, the user
    named none and the file exists; and a line saying what was done (``None`` when nothing)."""
    found = job_server_jar(runner, flink_version, spark_version, folder or engines_dir())
    if found is None:
        return beam_args, None
    flag, jar = found
    if any(a == flag or a.startswith(flag + "=") for a in beam_args):
        return beam_args, None
    if not jar.is_file():
        return beam_args, (f"{jar} is absent (run `make engines`); Beam will download its job server "
                           f"from Maven Central itself")
    return [*beam_args, f"{flag}={jar}"], f"using the job server fetched by `make engines`: {jar}"


def coordinates(flink_version: str, spark_version: str = "3") -> list[tuple[str, str]]:
    """``(maven coordinate, file name)`` of each job server for the installed Beam."""
    beam = apache_beam.__version__
    return [(f"{_GROUP}:beam-runners-flink-{flink_version}-job-server:{beam}:jar", flink_artifact(flink_version)),
            (f"{_GROUP}:beam-runners-spark-{spark_version}-job-server:{beam}:jar", spark_artifact(spark_version))]


def fetch(folder: Path, flink_version: str) -> int:
    """Fetch each job server jar that ``folder`` lacks with ``mvn dependency:copy``; returns the
    number that could not be fetched (each is reported on one line)."""
    if shutil.which("mvn") is None:
        print("engines: `mvn` is not installed; install Maven (and Java 17) to fetch Beam's job servers",
              file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    for coordinate, file in coordinates(flink_version):
        if (folder / file).is_file():
            print(f"engines: {folder / file} is already here")
            continue
        cmd = ["mvn", "-q", "-B", f"{_DEPENDENCY_PLUGIN}:copy", f"-Dartifact={coordinate}",
               f"-DoutputDirectory={folder}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0 and (folder / file).is_file():
            print(f"engines: fetched {coordinate} -> {folder / file}")
            continue
        failed += 1
        plain = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)  # Maven colours its output even with -B
        why = [line for line in plain.splitlines() if "[ERROR]" in line][:1]
        print(f"engines: could not fetch {coordinate}: {why[0] if why else proc.stderr.strip()[-300:]}",
              file=sys.stderr)
    return failed


def main(argv: list[str] | None = None) -> int:
    from apache_beam.options.pipeline_options import FlinkRunnerOptions

    parser = argparse.ArgumentParser(prog="python -m pipelines.engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("fetch", "list"))
    parser.add_argument("--dest", type=Path, default=None, help=f"folder for the jars (default: {engines_dir()})")
    parser.add_argument("--flink-version", default=FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS[-1],
                        choices=FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS,
                        help="Flink version of the job server (default: Beam's default, %(default)s)")
    args = parser.parse_args(argv)
    folder = args.dest or engines_dir()
    if args.action == "list":
        for coordinate, file in coordinates(args.flink_version):
            state = "present" if (folder / file).is_file() else "absent"
            print(f"{coordinate} -> {folder / file} ({state})")
        return 0
    return 1 if fetch(folder, args.flink_version) else 0


if __name__ == "__main__":
    sys.exit(main())
