"""The runners the README claims: each gives the DirectRunner's shards byte for byte.

DirectRunner in memory and with two processes are compared in test_synth_e2e.py; here Beam's
Python job service (PortableRunner), FlinkRunner and SparkRunner (each skips with its reason where
Java or the job-server jar that `make engines` fetches is absent), and the launcher's handling of
runner modules: their own options, runners without metrics, and the fetched job-server jars.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import FlinkRunnerOptions, SparkRunnerOptions

from pipelines import engines, launch, synth

from pipeline_helpers import REPO, shard_bytes

BASE = ["--variants", "2", "--seed", "5", "--test-fraction", "0.4", "--num-shards", "2"]


@pytest.fixture(scope="module")
def direct_out(photos, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("direct") / "out"
    synth.run(["--src", str(photos), "--out", str(out), *BASE, "--runner=DirectRunner"])
    return out


def _same_as_direct(direct_out: Path, out: Path) -> None:
    first, second = shard_bytes(direct_out), shard_bytes(out)
    assert len(first) == 4 and first == second
    assert (direct_out / "dataset_info.json").read_bytes() == (out / "dataset_info.json").read_bytes()


@pytest.mark.slow
def test_a_runners_own_options_are_known(photos, tmp_path):
    """In a fresh process, where nothing has imported the runner's module before the launcher."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pipelines.synth", "--src", str(photos), "--out", str(tmp_path / "out"),
                           *BASE, "--runner", "runner_for_tests.NoMetricsRunner", "--no_metrics_runner_label", "x"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "5 inputs = 5 written + 0 rejected" in proc.stdout


@pytest.mark.slow
def test_a_runner_without_metrics_counts_from_metadata(photos, tmp_path):
    manifest = synth.run(["--src", str(photos), "--out", str(tmp_path / "out"), *BASE,
                          "--runner", "runner_for_tests.NoMetricsRunner"])
    assert manifest["counters_from"] == "metadata"
    assert manifest["counters"] == {"inputs": 5, "pairs": 10, "rejects": 0, "bytes": manifest["bytes"]}
    assert manifest["bytes"] == sum(p.stat().st_size for p in (tmp_path / "out").glob("*.tfrecord-*"))


def test_an_unknown_runner_is_a_one_line_error(photos, tmp_path, capsys):
    assert synth.main(["--src", str(photos), "--out", str(tmp_path / "o"), "--runner", "NoSuchRunner"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --runner NoSuchRunner: Unexpected pipeline runner") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_fetched_job_server_jars_are_passed_unless_the_user_names_one(tmp_path, monkeypatch):
    flink_jar = tmp_path / engines.flink_artifact(FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS[-1])
    spark_jar = tmp_path / engines.spark_artifact("3")
    monkeypatch.setenv(engines.ENV, str(tmp_path))
    parser = synth.build_parser()
    options = launch.beam_options(["--runner", "FlinkRunner", "--environment_type", "LOOPBACK"], parser)
    assert options.view_as(FlinkRunnerOptions).flink_job_server_jar is None, "absent: Beam downloads it"
    flink_jar.write_bytes(b"jar")
    spark_jar.write_bytes(b"jar")
    options = launch.beam_options(["--runner", "FlinkRunner", "--environment_type", "LOOPBACK"], parser)
    assert options.view_as(FlinkRunnerOptions).flink_job_server_jar == str(flink_jar)
    options = launch.beam_options(["--runner=SparkRunner"], parser)
    assert options.view_as(SparkRunnerOptions).spark_job_server_jar == str(spark_jar)
    options = launch.beam_options(["--runner=FlinkRunner", "--flink_job_server_jar", "/mine.jar"], parser)
    assert options.view_as(FlinkRunnerOptions).flink_job_server_jar == "/mine.jar"
    options = launch.beam_options(["--runner=FlinkRunner", "--flink_version", "1.19"], parser)
    assert options.view_as(FlinkRunnerOptions).flink_job_server_jar is None, "no jar of that Flink version"
    assert launch.beam_options(["--runner=DirectRunner"], parser).view_as(FlinkRunnerOptions).flink_job_server_jar is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_python_job_service_gives_the_same_shards(photos, direct_out, tmp_path):
    port = _free_port()
    service = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                                "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(("localhost", port)) == 0:
                    break
            assert service.poll() is None, "the job service exited"
            time.sleep(0.2)
        out = tmp_path / "portable"
        synth.run(["--src", str(photos), "--out", str(out), *BASE, "--runner", "PortableRunner",
                   "--job_endpoint", f"localhost:{port}", "--environment_type", "LOOPBACK"])
        _same_as_direct(direct_out, out)
    finally:
        service.terminate()
        service.wait(timeout=60)


def _engine_or_skip(kind: str) -> None:
    if shutil.which("java") is None:
        pytest.skip(f"java is not installed: the {kind} job server is a Java program (install Java 17)")
    flag, jar = engines.job_server_jar(f"{kind}Runner", FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS[-1], "3",
                                       engines.engines_dir())
    if not jar.is_file():
        pytest.skip(f"{jar} is absent: `make engines` fetches it from Maven Central (it could not here, "
                    f"or was not run); Beam would download it at run time, which tests never do")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["Flink", "Spark"])
def test_cluster_engines_give_the_same_shards(kind, photos, direct_out, tmp_path):
    """Embedded mode: Beam's job server starts the engine's local cluster inside its JVM."""
    _engine_or_skip(kind)
    out = tmp_path / kind
    synth.run(["--src", str(photos), "--out", str(out), *BASE, "--runner", f"{kind}Runner",
               "--environment_type", "LOOPBACK"])
    _same_as_direct(direct_out, out)
