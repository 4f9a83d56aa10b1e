"""Beam's Flink and Spark runners and the engines themselves, fetched with Maven into ``engines/``.

``make engines`` (the command :mod:`pipelines.engines`, ``python -m pipelines.engines fetch``)
resolves the pinned poms shipped in ``pipelines/runners/maven/`` with ``mvn dependency:copy-dependencies``:

    engines/flink/jars/                    Beam's Flink runner and job service, Flink's JobManager,
                                           TaskManager and client, an slf4j binding
    engines/flink/beam-flink-job-server.jar  a launcher jar: its manifest names the job server's main
                                           class, every jar above (Class-Path) and the Java 17
                                           module openings, so ``java -jar`` runs the job server
    engines/spark/...                      the same for Spark (its jars/ is also a SPARK_HOME's)

Beam publishes no job-server jar for the runner versions Maven Central serves here, but the job
server is only a repackaging of the runner's jars: the launcher jar takes its place.
``synth``, ``pairs`` and ``video`` pass it as ``--flink_job_server_jar`` / ``--spark_job_server_jar``
when the user named none, so ``--runner FlinkRunner --flink_master HOST:8081`` starts the job
server from ``engines/`` and downloads nothing; ``--environment_type PROCESS`` gets the
``blurgen-worker`` launcher (:mod:`pipelines.runners.worker`) unless ``--environment_config``
names a command.
Once fetched, a second ``fetch`` checks the folder against the pom and asks Maven for nothing.

    python -m pipelines.engines fetch [--dest DIR] [--engine flink]   # what `make engines` runs
    python -m pipelines.engines list                                  # versions and what is here
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ENV = "BLURGEN_ENGINES"
POMS = Path(__file__).resolve().parent / "maven"
_STAMP = "fetched.json"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

# The module openings Flink and Spark need on Java 17 (their own launch scripts pass the same);
# every JVM started for them gets these, the launcher jars carry them in their manifests.
JAVA_OPENS = ("java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect", "java.base/java.io",
              "java.base/java.net", "java.base/java.nio", "java.base/java.text", "java.base/java.time",
              "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
              "java.base/java.util.concurrent.locks", "java.base/jdk.internal.ref", "java.base/sun.nio.ch",
              "java.base/sun.nio.cs", "java.base/sun.security.action", "java.base/sun.util.calendar")
JAVA_EXPORTS = ("java.base/sun.net.util", "java.rmi/sun.rmi.registry", "java.security.jgss/sun.security.krb5")


def java_module_flags() -> list[str]:
    """``--add-opens`` / ``--add-exports`` flags of :data:`JAVA_OPENS` and :data:`JAVA_EXPORTS`."""
    return ([f"--add-opens={m}=ALL-UNNAMED" for m in JAVA_OPENS]
            + [f"--add-exports={m}=ALL-UNNAMED" for m in JAVA_EXPORTS])


@dataclass(frozen=True)
class Engine:
    """One engine: its pom, the job server's main class and the runner flag that takes the jar."""

    name: str
    title: str
    job_server_main: str
    jar_flag: str

    @property
    def pom(self) -> Path:
        return POMS / f"{self.name}.xml"

    def versions(self) -> dict[str, str]:
        """The pinned versions, from the pom's ``<properties>`` (``beam.version``, ``flink.version``, ...)."""
        root = ElementTree.parse(self.pom).getroot()
        props = root.find("m:properties", _POM_NS)
        return {re.sub(r"^\{.*\}", "", p.tag): (p.text or "").strip() for p in (props if props is not None else [])}


ENGINES = {
    "flink": Engine("flink", "Flink", "org.apache.beam.runners.flink.FlinkJobServerDriver", "--flink_job_server_jar"),
    "spark": Engine("spark", "Spark", "org.apache.beam.runners.spark.SparkJobServerDriver", "--spark_job_server_jar"),
}


def engines_dir() -> Path:
    """``$BLURGEN_ENGINES``; else ``engines/`` in the checkout blurgen runs from, or
    ``~/.cache/blurgen/engines`` for an installed package."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    root = Path(__file__).resolve().parents[2]
    return root / "engines" if (root / "setup.cfg").is_file() else Path.home() / ".cache" / "blurgen" / "engines"


def jars_dir(name: str, folder: Path | None = None) -> Path:
    return (folder or engines_dir()) / name / "jars"


def job_server_jar(name: str, folder: Path | None = None) -> Path:
    """The launcher jar of engine ``name`` (``"flink"`` or ``"spark"``), fetched or not."""
    return (folder or engines_dir()) / name / f"beam-{name}-job-server.jar"


def _pom_digest(engine: Engine) -> str:
    return hashlib.sha256(engine.pom.read_bytes()).hexdigest()


def is_fetched(name: str, folder: Path | None = None) -> bool:
    """Whether ``folder`` holds engine ``name`` as its current pom asks (jars and launcher jar)."""
    stamp = (folder or engines_dir()) / name / _STAMP
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    jars = jars_dir(name, folder)
    return (recorded.get("pom_sha256") == _pom_digest(ENGINES[name]) and job_server_jar(name, folder).is_file()
            and all((jars / j).is_file() for j in recorded.get("jars", [None])))


def missing_reason(name: str, folder: Path | None = None) -> str | None:
    """Why engine ``name`` cannot run here (no Java, not fetched), or ``None`` when it can."""
    if shutil.which("java") is None:
        return f"java is not installed: {ENGINES[name].title} and Beam's job server are Java programs (install Java 17)"
    if not is_fetched(name, folder):
        return (f"{job_server_jar(name, folder).parent} does not hold the {ENGINES[name].title} engine: "
                "`make engines` fetches it from Maven Central")
    return None


def _manifest_line(key: str, value: str) -> bytes:
    """One manifest attribute, wrapped as the jar format requires (72 bytes a line, continuation
    lines start with a space)."""
    data = f"{key}: {value}".encode("utf-8")
    lines, data = [data[:72]], data[72:]
    while data:
        lines.append(b" " + data[:71])
        data = data[71:]
    return b"\r\n".join(lines) + b"\r\n"


def write_launcher_jar(jars: Path, main_class: str, out: Path) -> None:
    """A jar holding only a manifest: ``Main-Class``, ``Class-Path`` (every jar in ``jars``,
    relative to ``out``) and the Java module openings, so ``java -jar out`` runs ``main_class``."""
    rel = os.path.relpath(jars, out.parent).replace(os.sep, "/")
    class_path = " ".join(f"{rel}/{j.name}" for j in sorted(jars.glob("*.jar")))
    manifest = (b"Manifest-Version: 1.0\r\n" + _manifest_line("Main-Class", main_class)
                + _manifest_line("Class-Path", class_path) + _manifest_line("Add-Opens", " ".join(JAVA_OPENS))
                + _manifest_line("Add-Exports", " ".join(JAVA_EXPORTS)) + b"\r\n")
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
    tmp.replace(out)


def _maven_error(output: str) -> str:
    """Maven's first error line, plain (Maven colours its output even with -B)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    errors = [line.replace("[ERROR]", "").strip() for line in plain.splitlines() if "[ERROR]" in line]
    errors = [e for e in errors if e] or [plain.strip().splitlines()[-1] if plain.strip() else "no output"]
    return errors[0][:400]


def fetch_engine(engine: Engine, folder: Path, mvn: str = "mvn") -> str | None:
    """Fetch one engine into ``folder/<name>/``; returns ``None`` or the one-line reason it failed.
    The jars go to a temporary folder first, so a failed fetch leaves the previous one whole.
    Maven takes a relative output folder from the pom's folder, so the path given to it is absolute."""
    home = folder.resolve() / engine.name
    home.mkdir(parents=True, exist_ok=True)
    staging = home / "jars.incomplete"
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [mvn, "-B", "-q", "-f", str(engine.pom), "dependency:copy-dependencies",
           f"-DoutputDirectory={staging}", "-DincludeScope=runtime"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        return f"{mvn} could not be run ({exc})"
    jars = sorted(p.name for p in staging.glob("*.jar")) if staging.is_dir() else []
    if proc.returncode != 0 or not jars:
        shutil.rmtree(staging, ignore_errors=True)
        if proc.returncode == 0:
            return f"Maven finished but wrote no jars into {staging}"
        return _maven_error(proc.stdout + proc.stderr)
    shutil.rmtree(home / "jars", ignore_errors=True)
    staging.rename(home / "jars")
    write_launcher_jar(home / "jars", engine.job_server_main, job_server_jar(engine.name, folder))
    stamp = {"pom_sha256": _pom_digest(engine), "versions": engine.versions(), "jars": jars}
    (home / _STAMP).write_text(json.dumps(stamp, indent=1) + "\n")
    return None


def fetch(folder: Path, names: list[str]) -> int:
    """Fetch each engine of ``names`` that ``folder`` lacks; prints one line per engine and
    returns how many could not be fetched."""
    failed = 0
    for name in names:
        engine = ENGINES[name]
        if is_fetched(name, folder):
            print(f"engines: {engine.title} is already in {folder / name} (as {engine.pom.name} asks; Maven not asked)")
            continue
        if shutil.which("mvn") is None:
            why = "`mvn` is not installed (apt-get install maven openjdk-17-jdk-headless)"
        else:
            why = fetch_engine(engine, folder)
        if why is None:
            count = len(list(jars_dir(name, folder).glob("*.jar")))
            print(f"engines: fetched {engine.title} ({describe(engine)}): {count} jars in {jars_dir(name, folder)}")
        else:
            failed += 1
            print(f"engines: could not fetch {engine.title} ({describe(engine)}) with Maven: {why}; "
                  "check that Maven Central is reachable (and Maven installed), then run `make engines` again",
                  file=sys.stderr)
    return failed


def describe(engine: Engine) -> str:
    """The pinned versions of one engine, as one line: ``"beam 2.62.0, flink 1.19.1"``."""
    return ", ".join(f"{k.replace('.version', '')} {v}" for k, v in engine.versions().items())


def _runner_kind(runner: str | None) -> str | None:
    """``"flink"``, ``"spark"`` or ``None`` for a ``--runner`` value as Beam accepts it."""
    if not runner:
        return None
    last = runner.rsplit(".", 1)[-1].lower()
    last = last[: -len("runner")] if last.endswith("runner") else last
    return last if last in ENGINES else None


def _given(beam_args: list[str], flag: str) -> str | None:
    """The value of ``flag`` in ``beam_args`` (``--flag v`` or ``--flag=v``), else ``None``."""
    for i, arg in enumerate(beam_args):
        if arg == flag and i + 1 < len(beam_args):
            return beam_args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _job_server_arg(beam_args: list[str], kind: str, folder: Path) -> tuple[list[str], str | None]:
    engine = ENGINES[kind]
    if _given(beam_args, engine.jar_flag) is not None:
        return [], None
    fetched = engine.versions().get(f"{kind}.version", "")
    wanted = _given(beam_args, f"--{kind}_version")  # Beam's: a Flink minor version, or Spark's major
    if wanted is not None and not fetched.startswith(wanted + "."):
        return [], f"--{kind}_version {wanted}: `make engines` fetches {engine.title} {fetched} only"
    jar = job_server_jar(kind, folder)
    if not jar.is_file():
        return [], (f"{jar} is absent (run `make engines`); Beam will try to download its own job server "
                    "from Maven Central")
    return [f"{engine.jar_flag}={jar}"], f"using the job server fetched by `make engines`: {jar}"


def worker_command() -> str | None:
    """The ``blurgen-worker`` launcher installed beside this Python (or on ``PATH``), if any."""
    beside = Path(sys.executable).with_name("blurgen-worker")
    return str(beside) if beside.is_file() else shutil.which("blurgen-worker")


def _worker_arg(beam_args: list[str]) -> tuple[list[str], str | None]:
    if (_given(beam_args, "--environment_type") or "").upper() != "PROCESS":
        return [], None
    if _given(beam_args, "--environment_config") is not None or "process_command=" in " ".join(beam_args):
        return [], None
    command = worker_command()
    if command is None:
        raise ValueError("--environment_type PROCESS: the blurgen-worker launcher is not installed beside "
                         f"{sys.executable}; install blurgen there (pip install .) or name a worker command with "
                         "--environment_config '{\"command\": \"/path/to/launcher\"}'")
    return [f"--environment_config={json.dumps({'command': command})}"], f"PROCESS workers started by {command}"


def complete_beam_args(beam_args: list[str], runner: str | None, folder: Path | None = None) -> tuple[list[str], list[str]]:
    """``beam_args`` with what a Flink or Spark run needs and the user did not name: the job-server
    jar fetched by ``make engines`` (when present and of the Flink/Spark version asked for) and, for
    ``--environment_type PROCESS``, the worker launcher; and one line per thing done or not done.

    Raises:
      ValueError: PROCESS workers without a command and no ``blurgen-worker`` installed.
    """
    added, said = [], []
    kind = _runner_kind(runner)
    if kind is not None:
        args, line = _job_server_arg(beam_args, kind, folder or engines_dir())
        added += args
        said += [line] if line else []
    args, line = _worker_arg(beam_args)
    added += args
    said += [line] if line else []
    return [*beam_args, *added], said

