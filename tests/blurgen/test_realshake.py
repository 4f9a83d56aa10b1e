"""The recorded-shake extents blurgen ships are the extents of the published kernels."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from blurgen.kernels.realshake import RECORDED

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_extents_equal_those_measured_on_the_published_kernels(real_blur):
    spec = importlib.util.spec_from_file_location("recorded_extents", ROOT / "benchmarks" / "recorded_extents.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    measured = script.measured()
    assert {r.name: list(r.kernels) for r in RECORDED} == measured
    assert sum(len(k) for k in measured.values()) == 16
