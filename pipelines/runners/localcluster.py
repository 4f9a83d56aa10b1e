"""Local Flink and Spark clusters of separate processes, from the jars ``make engines`` fetched.

:class:`FlinkCluster` is a Flink session cluster: one JobManager and N TaskManagers, each its own
JVM, configured as Flink's own scripts would (memory flags from Flink's ``BashJavaUtils``).
:class:`SparkCluster` is a Spark standalone cluster: a master and N workers, each its own JVM; a
worker starts one executor JVM per application. Jobs reach them through Beam's job server, started
by ``--runner FlinkRunner --flink_master ...`` or ``--runner SparkRunner --spark_master_url ...``
(:meth:`runner_args`), with PROCESS workers (:mod:`pipelines.runners.worker`).

Each cluster is a context manager. Every process is started in a session (process group) of its
own and stopped with that group, so the SDK workers and executors it started go with it: SIGTERM,
then SIGKILL after a grace period. The worker processes run in the folder the cluster was started
from (``BLURGEN_WORKER_DIR``), so relative paths mean what they mean to the DirectRunner.

    with FlinkCluster(engines.jars_dir("flink"), Path("/tmp/flink")) as flink:
        synth.run(["--src", "photos", "--out", "/tmp/out", *flink.runner_args()])
        print(flink.workers_used())
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from pipelines.runners import engines
from pipelines.runners.worker import WORKDIR_ENV

STARTUP_S = 240.0  # JVMs start slowly on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _port_or_free(port: int, what: str, notes: list[str]) -> int:
    """``port``, or a free one for 0 or when ``port`` is in use (said in ``notes``)."""
    if port == 0:
        return free_port()
    with socket.socket() as sock:
        if sock.connect_ex(("localhost", port)) != 0:
            return port
    chosen = free_port()
    notes.append(f"port {port} is in use: {what} is on port {chosen}")
    return chosen


def _get_json(url: str) -> dict | list | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.load(reply)
    except (OSError, ValueError):
        return None


class Processes:
    """Processes started each in its own session, logged to ``logs/NAME.log``, stopped by group."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=cwd, start_new_session=True)
        self.started.append((name, proc))
        return proc

    def check(self) -> None:
        """Raise naming the first process that has exited, with the end of its log."""
        for name, proc in self.started:
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with status {proc.returncode}; its log ends:\n{tail}")

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to every group, then SIGKILL to the groups still there after ``grace_s``."""
        for _, proc in self.started:
            _signal_group(proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace_s
        for _, proc in self.started:
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, proc in self.started:  # the leader may be gone while children it started remain
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        self.started.clear()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java:
        raise RuntimeError("java is not installed: Flink and Spark are Java programs (install Java 17)")
    return java


def _wait(ready, what: str, procs: Processes, timeout_s: float = STARTUP_S) -> None:
    end = time.monotonic() + timeout_s
    while not ready():
        procs.check()
        if time.monotonic() > end:
            raise RuntimeError(f"{what} not ready after {timeout_s:.0f} s; logs in {procs.logs}")
        time.sleep(1.0)


class _Cluster:
    def __init__(self, jars: Path, workdir: Path, workers: int):
        if not jars.is_dir():
            raise RuntimeError(f"{jars} is absent: `make engines` fetches it")
        self.jars, self.workdir, self.workers = jars, workdir, workers
        self.procs = Processes(workdir / "logs")
        self.env = {**os.environ, WORKDIR_ENV: os.getcwd()}
        self.notes: list[str] = []  # what was chosen for the user (a port in use)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:  # pragma: no cover - each cluster has its own
        raise NotImplementedError

    def stop(self) -> None:
        self.procs.stop()

    def _java(self, heap_and_main: list[str]) -> list[str]:
        return [_java(), *engines.java_module_flags(), "-cp", str(self.jars / "*"), *heap_and_main]


class FlinkCluster(_Cluster):
    """A Flink session cluster: a JobManager and ``workers`` TaskManagers of ``slots`` slots each."""

    def __init__(self, jars: Path, workdir: Path, workers: int = 2, rest_port: int = 8081, slots: int = 1,
                 taskmanager_mb: int = 1280):
        super().__init__(jars, workdir, workers)
        self.rest_port, self.slots, self.taskmanager_mb = rest_port, slots, taskmanager_mb

    def _config(self) -> Path:
        conf = self.workdir / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        settings = {
            "jobmanager.rpc.address": "localhost", "jobmanager.bind-host": "localhost",
            "jobmanager.rpc.port": free_port(), "jobmanager.memory.process.size": "1024m",
            "taskmanager.host": "localhost", "taskmanager.bind-host": "localhost",
            "taskmanager.memory.process.size": f"{self.taskmanager_mb}m",
            "taskmanager.numberOfTaskSlots": self.slots,
            # Beam's batch shuffles ask for more sort-shuffle buffers than a small TaskManager has.
            "taskmanager.network.sort-shuffle.min-buffers": 64,
            "rest.address": "localhost", "rest.bind-address": "localhost", "rest.port": self.rest_port,
            "io.tmp.dirs": str(self.workdir / "tmp"),
        }
        (self.workdir / "tmp").mkdir(exist_ok=True)
        (conf / "config.yaml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
        return conf

    def _memory_flags(self, conf: Path, which: str) -> tuple[list[str], list[str]]:
        """JVM flags and ``-D`` settings for a JobManager (``JM``) or TaskManager (``TM``), as
        Flink's start scripts compute them with ``BashJavaUtils``."""
        cmd = self._java(["org.apache.flink.runtime.util.bash.BashJavaUtils", f"GET_{which}_RESOURCE_PARAMS",
                          "--configDir", str(conf)])
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        results = [line.split(":", 1)[1] for line in out.splitlines() if line.startswith("BASH_JAVA_UTILS_EXEC_RESULT:")]
        if len(results) < 2:
            raise RuntimeError(f"Flink's BashJavaUtils gave no memory settings: {out[-1000:]}")
        return results[-2].split(), results[-1].split()

    def start(self) -> None:
        self.rest_port = _port_or_free(self.rest_port, "Flink's REST API", self.notes)
        conf = self._config()
        jvm, dyn = self._memory_flags(conf, "JM")
        self.procs.start("jobmanager", self._java([*jvm, "org.apache.flink.runtime.entrypoint."
                                                   "StandaloneSessionClusterEntrypoint", "--configDir", str(conf),
                                                   *dyn]), self.env)
        jvm, dyn = self._memory_flags(conf, "TM")
        for i in range(self.workers):
            self.procs.start(f"taskmanager-{i + 1}", self._java([*jvm, "org.apache.flink.runtime.taskexecutor."
                                                                 "TaskManagerRunner", "--configDir", str(conf),
                                                                 *dyn]), self.env)
        _wait(lambda: (_get_json(f"{self.url}/overview") or {}).get("taskmanagers") == self.workers,
              f"Flink's {self.workers} TaskManagers", self.procs)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rest_port}"

    def runner_args(self) -> list[str]:
        """Beam's flags for a run on this cluster: Flink's parallelism is 1 unless asked; SDK
        workers are kept a minute for the next task instead of one Python started per task."""
        return ["--runner", "FlinkRunner", "--flink_master", f"localhost:{self.rest_port}",
                "--parallelism", str(self.workers * self.slots), "--environment_type", "PROCESS",
                "--environment_cache_millis", "60000"]

    def job_ids(self) -> set[str]:
        """The jobs this cluster has run or is running."""
        return {job["jid"] for job in (_get_json(f"{self.url}/jobs/overview") or {}).get("jobs", [])}

    def workers_used(self, job_ids: set[str]) -> int:
        """How many TaskManagers ran subtasks of these jobs."""
        used: set[str] = set()
        for jid in job_ids:
            for vertex in (_get_json(f"{self.url}/jobs/{jid}") or {}).get("vertices", []):
                tms = _get_json(f"{self.url}/jobs/{jid}/vertices/{vertex['id']}/taskmanagers") or {}
                used.update(tm["taskmanager-id"] for tm in tms.get("taskmanagers", []))
        return len(used)


class SparkCluster(_Cluster):
    """A Spark standalone cluster: a master and ``workers`` workers of ``cores`` cores each."""

    def __init__(self, jars: Path, workdir: Path, workers: int = 2, master_port: int = 7077, ui_port: int = 8080,
                 cores: int = 1, worker_mb: int = 1024):
        super().__init__(jars, workdir, workers)
        self.master_port, self.ui_port, self.cores, self.worker_mb = master_port, ui_port, cores, worker_mb

    def _spark_home(self) -> Path:
        """A SPARK_HOME whose ``jars/`` are the fetched jars: a worker builds its executors'
        class path from it, as in Spark's own distribution."""
        home = self.workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "jars").exists():
            (home / "jars").symlink_to(self.jars.resolve(), target_is_directory=True)
        return home

    def start(self) -> None:
        self.master_port = _port_or_free(self.master_port, "Spark's master", self.notes)
        self.ui_port = _port_or_free(self.ui_port, "Spark's web UI", self.notes)
        self.env.update(SPARK_HOME=str(self._spark_home()), SPARK_SCALA_VERSION="2.12")
        self.procs.start("master", self._java(["-Xmx256m", "org.apache.spark.deploy.master.Master", "--host",
                                               "localhost", "--port", str(self.master_port), "--webui-port",
                                               str(self.ui_port)]), self.env)
        _wait(lambda: _get_json(f"http://localhost:{self.ui_port}/json/") is not None, "Spark's master", self.procs)
        for i in range(self.workers):
            work = self.workdir / f"work-{i + 1}"
            self.procs.start(f"worker-{i + 1}", self._java([
                "-Xmx256m", "org.apache.spark.deploy.worker.Worker", "--host", "localhost", "--cores",
                str(self.cores), "--memory", f"{self.worker_mb}m", "--work-dir", str(work), "--webui-port", "0",
                self.master_url]), self.env)
        _wait(lambda: (_get_json(f"http://localhost:{self.ui_port}/json/") or {}).get("aliveworkers") == self.workers,
              f"Spark's {self.workers} workers", self.procs)

    @property
    def master_url(self) -> str:
        return f"spark://localhost:{self.master_port}"

    def runner_args(self) -> list[str]:
        return ["--runner", "SparkRunner", "--spark_master_url", self.master_url, "--environment_type", "PROCESS",
                "--environment_cache_millis", "60000"]

    def job_ids(self) -> set[str]:
        """The applications whose executors the workers have started (``app-...``)."""
        return {p.name for i in range(self.workers) for p in (self.workdir / f"work-{i + 1}").glob("app-*")}

    def workers_used(self, job_ids: set[str]) -> int:
        """How many workers started an executor for these applications that ran tasks (its log
        says ``Running task``)."""
        used = 0
        for i in range(self.workers):
            logs = [log for app in job_ids for log in (self.workdir / f"work-{i + 1}" / app).glob("*/stderr")]
            used += any("Running task" in log.read_text(errors="replace") for log in logs)
        return used
