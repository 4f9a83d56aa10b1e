"""What ``make engines`` fetches and writes, the flags it adds to a Flink or Spark run, and the
``blurgen-worker`` launcher that PROCESS environments start (against real gRPC services that
answer as a runner's provision and artifact services do). The clusters themselves run in
test_runners.py."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from apache_beam.options.pipeline_options import FlinkRunnerOptions, PortableOptions, SparkRunnerOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import (beam_artifact_api_pb2_grpc, beam_provision_api_pb2,
                                         beam_provision_api_pb2_grpc, beam_runner_api_pb2, endpoints_pb2)
from apache_beam.runners.portability.artifact_service import ArtifactRetrievalService
from google.protobuf import struct_pb2

from pipelines import synth
from pipelines.runners import engines, launch, worker


def _unwrapped_manifest(jar: Path) -> tuple[list[bytes], dict[str, str]]:
    raw = zipfile.ZipFile(jar).read("META-INF/MANIFEST.MF")
    lines = raw.split(b"\r\n")
    attrs: dict[str, str] = {}
    last = None
    for line in lines:
        if line.startswith(b" "):
            attrs[last] += line[1:].decode()
        elif line:
            last, value = line.decode().split(": ", 1)
            attrs[last] = value
    return lines, attrs


def test_launcher_jar_names_every_jar_in_lines_of_72_bytes(tmp_path):
    jars = tmp_path / "flink" / "jars"
    jars.mkdir(parents=True)
    names = [f"a-dependency-with-a-rather-long-name-number-{i:03d}-1.2.3.jar" for i in range(40)] + ["x.jar"]
    for name in names:
        (jars / name).write_bytes(b"")
    (jars / "notes.txt").write_text("not a jar")
    out = tmp_path / "flink" / "job-server.jar"
    engines.write_launcher_jar(jars, "org.example.Main", out)
    lines, attrs = _unwrapped_manifest(out)
    assert max(len(line) for line in lines) == 72, "wrapped at exactly 72 bytes"
    assert attrs["Main-Class"] == "org.example.Main"
    assert attrs["Class-Path"].split(" ") == [f"jars/{n}" for n in sorted(names)]
    assert set(attrs["Add-Opens"].split(" ")) == set(engines.JAVA_OPENS)


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac is not installed (a JDK compiles the test class)")
def test_java_runs_the_main_class_named_by_a_launcher_jar(tmp_path):
    """Java itself reads the manifest: the main class lives in a jar the Class-Path names."""
    src = tmp_path / "src" / "Hello.java"
    src.parent.mkdir()
    src.write_text('public class Hello { public static void main(String[] a) throws Exception {'
                   ' Object o = java.lang.reflect.Field.class; System.out.println("hello " + a[0]); } }')
    subprocess.run(["javac", "-d", str(tmp_path / "classes"), str(src)], check=True)
    jars = tmp_path / "engine" / "jars"
    jars.mkdir(parents=True)
    for i in range(30):  # a Class-Path long enough to wrap many times
        shutil.copy(Path(zipfile.__file__), jars / f"padding-jar-with-a-long-name-{i:02d}.jar")
    subprocess.run(["jar", "cf", str(jars / "zz-hello.jar"), "-C", str(tmp_path / "classes"), "Hello.class"],
                   check=True)
    engines.write_launcher_jar(jars, "Hello", tmp_path / "engine" / "launcher.jar")
    proc = subprocess.run(["java", "-jar", str(tmp_path / "engine" / "launcher.jar"), "there"],
                          capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "hello there"


def _fake_maven(bin_dir: Path, body: str) -> dict[str, str]:
    bin_dir.mkdir(exist_ok=True)
    mvn = bin_dir / "mvn"
    mvn.write_text("#!/bin/sh\n" + body)
    mvn.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


# As real Maven does, a relative -DoutputDirectory is taken from the pom's folder, not the caller's.
_COPYING_MAVEN = """prev=""; for a in "$@"; do case "$a" in -DoutputDirectory=*) d="${a#-DoutputDirectory=}";; esac
[ "$prev" = "-f" ] && pom="$a"; prev="$a"; done
cd "$(dirname "$pom")" && mkdir -p "$d" && echo jar > "$d/beam-runner-1.jar" && echo jar > "$d/engine-2.jar"
"""
_FAILING_MAVEN = """echo "[INFO] Scanning for projects..."
echo "[ERROR] Failed to execute goal on project flink: Could not resolve dependencies: not found (404)"
echo "[ERROR] "
exit 1
"""


def test_fetch_writes_the_engine_then_works_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", _fake_maven(tmp_path / "bin", _COPYING_MAVEN)["PATH"])
    folder = tmp_path / "engines"
    assert engines.fetch(folder, ["flink"]) == 0
    assert sorted(p.name for p in engines.jars_dir("flink", folder).iterdir()) == ["beam-runner-1.jar", "engine-2.jar"]
    assert engines.is_fetched("flink", folder) and not engines.is_fetched("spark", folder)
    _, attrs = _unwrapped_manifest(engines.job_server_jar("flink", folder))
    assert attrs["Main-Class"] == engines.ENGINES["flink"].job_server_main
    assert "fetched Flink (beam 2.62.0, flink 1.19" in capsys.readouterr().out
    # Offline: Maven fails now, and is not asked.
    monkeypatch.setenv("PATH", _fake_maven(tmp_path / "bin", _FAILING_MAVEN)["PATH"])
    assert engines.fetch(folder, ["flink"]) == 0
    assert "already in" in capsys.readouterr().out
    (engines.jars_dir("flink", folder) / "engine-2.jar").unlink()
    assert not engines.is_fetched("flink", folder), "a jar gone: fetch again"


def test_fetch_into_a_relative_folder_lands_in_the_callers_folder(tmp_path, monkeypatch):
    # `make engines` passes `--dest engines`: the jars belong under the caller's folder, not the pom's.
    monkeypatch.setenv("PATH", _fake_maven(tmp_path / "bin", _COPYING_MAVEN)["PATH"])
    monkeypatch.chdir(tmp_path)
    assert engines.fetch(Path("engines"), ["flink"]) == 0
    assert (tmp_path / "engines" / "flink" / "jars" / "engine-2.jar").is_file()
    assert engines.is_fetched("flink", Path("engines"))


def test_a_failed_fetch_is_one_line_and_leaves_the_previous_fetch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", _fake_maven(tmp_path / "bin", _COPYING_MAVEN)["PATH"])
    folder = tmp_path / "engines"
    assert engines.fetch(folder, ["spark"]) == 0
    stamp = folder / "spark" / "fetched.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "pom_sha256": "an older pom"}))
    capsys.readouterr()
    monkeypatch.setenv("PATH", _fake_maven(tmp_path / "bin", _FAILING_MAVEN)["PATH"])
    assert engines.fetch(folder, ["spark"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("engines: could not fetch Spark (beam 2.62.0, spark 3.5")
    assert "Could not resolve dependencies: not found (404)" in err and "run `make engines` again" in err
    assert (engines.jars_dir("spark", folder) / "engine-2.jar").is_file(), "the previous jars are kept"
    assert not (folder / "spark" / "jars.incomplete").exists()


def test_fetched_job_server_jars_are_passed_unless_the_user_names_one(tmp_path, monkeypatch):
    monkeypatch.setenv(engines.ENV, str(tmp_path))
    parser = synth.build_parser()

    def options(*args):
        return launch.beam_options(list(args), parser)

    flink_jar, spark_jar = engines.job_server_jar("flink"), engines.job_server_jar("spark")
    assert options("--runner", "FlinkRunner").view_as(FlinkRunnerOptions).flink_job_server_jar is None, "absent"
    for jar in (flink_jar, spark_jar):
        jar.parent.mkdir(parents=True)
        jar.write_bytes(b"jar")
    assert options("--runner", "FlinkRunner").view_as(FlinkRunnerOptions).flink_job_server_jar == str(flink_jar)
    assert options("--runner=SparkRunner").view_as(SparkRunnerOptions).spark_job_server_jar == str(spark_jar)
    given = options("--runner=FlinkRunner", "--flink_job_server_jar", "/mine.jar")
    assert given.view_as(FlinkRunnerOptions).flink_job_server_jar == "/mine.jar"
    fetched_version = options("--runner=FlinkRunner", "--flink_version", "1.19")
    assert fetched_version.view_as(FlinkRunnerOptions).flink_job_server_jar == str(flink_jar)
    other_version = options("--runner=FlinkRunner", "--flink_version=2.2")
    assert other_version.view_as(FlinkRunnerOptions).flink_job_server_jar is None, "not the fetched Flink"
    assert options("--runner=DirectRunner").view_as(FlinkRunnerOptions).flink_job_server_jar is None


def test_process_workers_get_the_launcher_unless_a_command_is_named():
    parser = synth.build_parser()
    config = launch.beam_options(["--environment_type", "PROCESS"], parser).view_as(PortableOptions).environment_config
    command = json.loads(config)["command"]
    assert command == str(Path(sys.executable).with_name("blurgen-worker")) and os.access(command, os.X_OK)
    mine = '{"command": "/opt/boot"}'
    given = launch.beam_options(["--environment_type=PROCESS", f"--environment_config={mine}"], parser)
    assert given.view_as(PortableOptions).environment_config == mine
    loopback = launch.beam_options(["--environment_type", "LOOPBACK"], parser)
    assert loopback.view_as(PortableOptions).environment_config is None


class _Provision(beam_provision_api_pb2_grpc.ProvisionServiceServicer):
    def __init__(self, info):
        self.info, self.asked_by = info, []

    def GetProvisionInfo(self, request, context):
        self.asked_by.append(dict(context.invocation_metadata()).get("worker_id"))
        return beam_provision_api_pb2.GetProvisionInfoResponse(info=self.info)


def _staged(name: str, data: bytes) -> beam_runner_api_pb2.ArtifactInformation:
    return beam_runner_api_pb2.ArtifactInformation(
        type_urn=common_urns.artifact_types.EMBEDDED.urn,
        type_payload=beam_runner_api_pb2.EmbeddedFilePayload(data=data).SerializeToString(),
        role_urn=common_urns.artifact_roles.STAGING_TO.urn,
        role_payload=beam_runner_api_pb2.ArtifactStagingToRolePayload(staged_name=name).SerializeToString())


@pytest.fixture()
def runner_services():
    """A provision and an artifact service on one local port, as a runner serves them."""
    options = struct_pb2.Struct()
    options.update({"beam:option:job_name:v1": "j", "beam:option:experiments:v1": ["beam_fn_api"]})
    info = beam_provision_api_pb2.ProvisionInfo(
        pipeline_options=options, runner_capabilities=["beam:protocol:a:v1", "beam:protocol:b:v1"],
        logging_endpoint=endpoints_pb2.ApiServiceDescriptor(url="localhost:1001"),
        control_endpoint=endpoints_pb2.ApiServiceDescriptor(url="localhost:1002"),
        dependencies=[_staged("pickled_main_session", b"session"), _staged("workflow.tar.gz", b"tgz")],
        sibling_worker_ids=["1-2", "1-3"], metadata={"job_id": "job-7"})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provision = _Provision(info)
    beam_provision_api_pb2_grpc.add_ProvisionServiceServicer_to_server(provision, server)
    beam_artifact_api_pb2_grpc.add_ArtifactRetrievalServiceServicer_to_server(ArtifactRetrievalService(open), server)
    port = server.add_insecure_port("localhost:0")
    info.artifact_endpoint.url = f"localhost:{port}"
    server.start()
    yield f"localhost:{port}", provision
    server.stop(None)


def test_launcher_gives_each_worker_the_environment_the_sdk_worker_reads(runner_services, tmp_path, caplog):
    endpoint, provision = runner_services
    args = worker.parse_args(["--id=1-1", f"--provision_endpoint={endpoint}", f"--semi_persist_dir={tmp_path}",
                              "--a_flag_of_a_newer_runner=1"])
    command, envs = worker.prepare(args)
    assert provision.asked_by == ["1-1"]
    assert command == [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"]
    assert [e["WORKER_ID"] for e in envs] == ["1-1", "1-2", "1-3"]
    env = envs[0]
    assert json.loads(env["PIPELINE_OPTIONS"]) == {"beam:option:job_name:v1": "j",
                                                   "beam:option:experiments:v1": ["beam_fn_api"]}
    assert env["LOGGING_API_SERVICE_DESCRIPTOR"].strip() == 'url: "localhost:1001"'
    assert env["CONTROL_API_SERVICE_DESCRIPTOR"].strip() == 'url: "localhost:1002"'
    assert env["RUNNER_CAPABILITIES"] == "beam:protocol:a:v1 beam:protocol:b:v1"
    assert env["SEMI_PERSISTENT_DIRECTORY"] == str(tmp_path) and env["JOB_ID"] == "job-7"
    assert "STATUS_API_SERVICE_DESCRIPTOR" not in env
    assert (tmp_path / "staged" / "pickled_main_session").read_bytes() == b"session"
    assert "staged packages not installed" in caplog.text and "workflow.tar.gz" in caplog.text
    # Endpoints given on the command line win over the provision service's.
    args = worker.parse_args(["--id=2", f"--provision_endpoint={endpoint}", "--control_endpoint=host:9"])
    assert worker.prepare(args)[1][0]["CONTROL_API_SERVICE_DESCRIPTOR"].strip() == 'url: "host:9"'
