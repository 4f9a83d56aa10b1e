"""The runners the README claims: each gives the DirectRunner's dataset byte for byte.

DirectRunner in memory and with two processes are compared in test_synth_e2e.py; here Beam's
Python job service (PortableRunner), a Flink and a Spark cluster of separate processes (each skips
with its reason where Java or what `make engines` fetches is absent, and fails under CI, which
fetches them first), and the launcher's handling of runner modules: their own options and runners
without metrics. test_engines.py covers what `make engines` writes and the worker launcher.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import synth
from pipelines.runners import engines, localcluster

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
    """Skip, saying why, where the engine cannot run; under CI (which runs `make engines` first) fail."""
    why = engines.missing_reason(kind)
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{kind}: {why}")
        pytest.skip(f"{kind}: {why}")


def _same_dataset(expected: Path, got: Path) -> None:
    """Every file byte for byte, ``manifest.json`` less its ``out`` path."""
    names = sorted(p.name for p in expected.iterdir())
    assert names == sorted(p.name for p in got.iterdir())
    assert len(shard_bytes(expected)) == 4
    for name in names:
        if name == "manifest.json":
            first, second = (json.loads((d / name).read_text()) for d in (expected, got))
            for m in (first, second):
                m.pop("out"), m["parameters"].pop("out")
            assert first == second
        else:
            assert (expected / name).read_bytes() == (got / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["flink", "spark"])
def test_clusters_of_separate_processes_give_the_same_dataset(kind, photos, tmp_path, monkeypatch):
    """A Flink session cluster (JobManager and two TaskManagers) or a Spark standalone cluster
    (master and two workers), each process its own JVM, run through Beam's job server with PROCESS
    workers started by blurgen-worker; the photos are named by a relative path, as a user would."""
    _engine_or_skip(kind)
    monkeypatch.chdir(photos.parent)
    cluster_type = localcluster.FlinkCluster if kind == "flink" else localcluster.SparkCluster
    ports = {"rest_port": 0} if kind == "flink" else {"master_port": 0, "ui_port": 0}
    with cluster_type(engines.jars_dir(kind), tmp_path / "cluster", workers=2, **ports) as cluster:
        before = cluster.job_ids()
        # In a process of its own, as a user runs it: Beam stops the job server it started when
        # that process exits, not when the run ends.
        proc = subprocess.run([sys.executable, "-m", "pipelines.synth", "--src", photos.name, "--out",
                               str(tmp_path / kind), *BASE, *cluster.runner_args()],
                              capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert cluster.workers_used(cluster.job_ids() - before) == 2, "both TaskManagers / workers ran tasks"
        pids = [proc.pid for _, proc in cluster.procs.started]
    synth.run(["--src", photos.name, "--out", str(tmp_path / "direct"), *BASE])
    _same_dataset(tmp_path / "direct", tmp_path / kind)
    for pid in pids:  # each process group is gone: JVMs, executors and SDK workers
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
