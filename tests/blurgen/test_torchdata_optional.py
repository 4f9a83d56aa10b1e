"""torch is optional: without it, blurgen.torchdata says which package to install."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_torchdata_without_torch_names_the_extra():
    proc = subprocess.run([sys.executable, "-c", "import blurgen.torchdata"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: blurgen.torchdata needs PyTorch: pip install 'blurgen[torch]' (or pip install torch)")
