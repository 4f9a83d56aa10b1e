"""``blurgen-worker``: starts Beam's Python SDK worker for a runner's PROCESS environment.

With ``--environment_type PROCESS`` a portable runner (Flink's, Spark's) starts a command on each
task manager or executor with ``--id`` and ``--provision_endpoint`` (some runners add the logging,
artifact and control endpoints). Beam's Docker images start their Go ``boot`` program there, which
the Python package does not ship; this launcher does its work in Python: it asks the provision
service for the pipeline options and endpoints, fetches the job's staged files into the
semi-persistent folder (``staged/``, where the SDK worker looks for a pickled main session),
sets the environment ``apache_beam.runners.worker.sdk_worker_main`` reads, and becomes that
worker (one per worker id: the runner may ask for siblings with ``--sdk_worker_parallelism``).

Packages staged with ``--setup_file``, ``--requirements_file`` or ``--extra_package`` are not
installed: a PROCESS worker runs in the Python that runs this launcher, which must already hold
blurgen (``pip install blurgen`` on every worker machine). ``BLURGEN_WORKER_DIR``, when set, is
the folder the worker runs in (a local cluster sets it to the folder it was started from, so
relative paths mean there what they mean to the DirectRunner).

    --environment_type PROCESS --environment_config '{"command": "/path/to/venv/bin/blurgen-worker"}'
"""
from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

LOG = logging.getLogger("blurgen-worker")
SDK_WORKER = "apache_beam.runners.worker.sdk_worker_main"
WORKDIR_ENV = "BLURGEN_WORKER_DIR"
# Staged file names that Beam's boot program would install with pip.
_INSTALLED_BY_BOOT = ("requirements.txt", "extra_packages.txt", "workflow.tar.gz", "dataflow_python_sdk.tar")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="blurgen-worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--id", required=True, help="the worker id the runner gave")
    parser.add_argument("--provision_endpoint", required=True)
    parser.add_argument("--logging_endpoint", default="", help="default: the provision service's")
    parser.add_argument("--artifact_endpoint", default="", help="default: the provision service's")
    parser.add_argument("--control_endpoint", default="", help="default: the provision service's")
    parser.add_argument("--semi_persist_dir", default="", help="default: a new temporary folder")
    return parser.parse_known_args(argv)[0]  # flags of newer runners are not ours to refuse


def provision_info(endpoint: str, worker_id: str):
    """The runner's ``ProvisionInfo`` for this worker (pipeline options, endpoints, staged files)."""
    import grpc
    from apache_beam.portability.api import beam_provision_api_pb2, beam_provision_api_pb2_grpc

    with grpc.insecure_channel(endpoint) as channel:
        stub = beam_provision_api_pb2_grpc.ProvisionServiceStub(channel)
        return stub.GetProvisionInfo(beam_provision_api_pb2.GetProvisionInfoRequest(),
                                     metadata=[("worker_id", worker_id)], timeout=300).info


def staged_name(artifact) -> str:
    """The file name an artifact is staged under (``pickled_main_session``, ``workflow.tar.gz``, ...)."""
    from apache_beam.portability import common_urns
    from apache_beam.portability.api import beam_runner_api_pb2

    if artifact.role_urn == common_urns.artifact_roles.STAGING_TO.urn:
        payload = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(artifact.role_payload)
        return os.path.basename(payload.staged_name)
    return ""


def fetch_staged_files(endpoint: str, worker_id: str, dependencies, folder: Path) -> list[str]:
    """Write each staged artifact into ``folder`` under its staged name; returns the names."""
    import grpc
    from apache_beam.portability.api import beam_artifact_api_pb2, beam_artifact_api_pb2_grpc

    if not dependencies:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    with grpc.insecure_channel(endpoint) as channel:
        stub = beam_artifact_api_pb2_grpc.ArtifactRetrievalServiceStub(channel)
        meta = [("worker_id", worker_id)]
        resolved = stub.ResolveArtifacts(beam_artifact_api_pb2.ResolveArtifactsRequest(artifacts=dependencies),
                                         metadata=meta).replacements
        for i, artifact in enumerate(resolved):
            name = staged_name(artifact) or f"artifact-{i}"
            with open(folder / name, "wb") as out:
                for chunk in stub.GetArtifact(beam_artifact_api_pb2.GetArtifactRequest(artifact=artifact),
                                              metadata=meta):
                    out.write(chunk.data)
            names.append(name)
    return names


def worker_environment(info, args: argparse.Namespace, semi_persist_dir: str) -> dict[str, str]:
    """What ``sdk_worker_main`` reads from its environment (less ``WORKER_ID``, one per process)."""
    from apache_beam.portability.api import endpoints_pb2
    from google.protobuf import json_format

    def descriptor(url: str) -> str:
        return str(endpoints_pb2.ApiServiceDescriptor(url=url))

    env = {"PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
           "SEMI_PERSISTENT_DIRECTORY": semi_persist_dir,
           "LOGGING_API_SERVICE_DESCRIPTOR": descriptor(args.logging_endpoint or info.logging_endpoint.url),
           "CONTROL_API_SERVICE_DESCRIPTOR": descriptor(args.control_endpoint or info.control_endpoint.url),
           "RUNNER_CAPABILITIES": " ".join(info.runner_capabilities)}
    if info.HasField("status_endpoint"):
        env["STATUS_API_SERVICE_DESCRIPTOR"] = str(info.status_endpoint)
    for key, var in (("job_name", "JOB_NAME"), ("job_id", "JOB_ID")):
        if key in info.metadata:
            env[var] = info.metadata[key]
    return env


def _die_with_parent() -> None:
    """In a sibling worker: be sent SIGTERM when the first worker (its parent) exits (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def prepare(args: argparse.Namespace) -> tuple[list[str], list[dict[str, str]]]:
    """The SDK worker's command line and, per worker id (this one first, then its siblings), its environment."""
    info = provision_info(args.provision_endpoint, args.id)
    folder = args.semi_persist_dir or tempfile.mkdtemp(prefix="blurgen-worker-")
    staged = fetch_staged_files(args.artifact_endpoint or info.artifact_endpoint.url, args.id,
                                list(info.dependencies), Path(folder) / "staged")
    skipped = [n for n in staged if n in _INSTALLED_BY_BOOT or n.endswith((".whl", ".tar.gz", ".zip"))]
    if skipped:
        LOG.warning("staged packages not installed (install them in %s's environment): %s",
                    sys.executable, ", ".join(skipped))
    base = {**os.environ, **worker_environment(info, args, folder)}
    ids = [args.id, *info.sibling_worker_ids]
    return [sys.executable, "-m", SDK_WORKER], [{**base, "WORKER_ID": i} for i in ids]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    workdir = os.environ.get(WORKDIR_ENV)
    if workdir:
        os.chdir(workdir)
    command, envs = prepare(args)
    for env in envs[1:]:
        subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)  # noqa: S603
    LOG.info("starting %d SDK worker(s) for %s", len(envs), ", ".join(e["WORKER_ID"] for e in envs))
    # Become the first worker: the runner stops it by the pid it started, with nothing left behind.
    os.execve(command[0], command, envs[0])
    return 1  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
