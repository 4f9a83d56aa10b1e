"""``--setup_file``: the sdist Beam builds for remote workers holds the pipelines, TF-free."""
from __future__ import annotations

import shutil
import tarfile

import pytest
from apache_beam.runners.portability.stager import Stager

from pipeline_helpers import REPO


@pytest.mark.slow
def test_beam_stager_packs_the_pipelines(tmp_path):
    src = tmp_path / "repo"
    src.mkdir()
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    for pkg in ("blurgen", "pipelines"):
        shutil.copytree(REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    # Exactly what Beam runs for --setup_file before it uploads the package to Dataflow.
    sdist = Stager._build_setup_package(str(src / "setup.py"), str(tmp_path / "dist"))
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        # requires.txt is in every setuptools' sdist (PKG-INFO lists Requires-Dist only in newer ones)
        requires_txt = next(tar.extractfile(m).read().decode() for m in tar.getmembers()
                            if m.name.endswith(".egg-info/requires.txt"))
    for module in ("synth", "pairs", "items/transforms", "shards/write", "shards/records", "shards/examples",
                   "shards/metadata", "inspection", "cli", "runners/launch", "footage/windows"):
        assert f"pipelines/{module}.py" in names
    assert "blurgen/shards/schema.py" in names
    core = [line for line in requires_txt.split("\n[", 1)[0].splitlines() if line.strip()]  # before any [extra]
    assert any("apache-beam" in r for r in core) and not any("tensorflow" in r for r in core)
