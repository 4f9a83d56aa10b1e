"""Shared test helpers: where the repo's sample photos and the shared real-blur data live.

Tests that use the published real-blur data take the ``real_blur`` fixture. Where the data is
absent they skip, saying why (``make test`` prints the reasons), except in CI (``CI=true``, as CI
services set it), where the data ships beside the checkout: there a missing ``../shared`` fails
the test, so that a broken CI checkout cannot turn real-data tests into silent skips.
"""
from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
REAL_BLUR = ROOT.parent / "shared" / "data" / "real-blur"


def in_ci() -> bool:
    """Whether the suite runs in CI: ``CI`` set to true, 1 or yes (any case)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def real_blur() -> pathlib.Path:
    """The published blur datasets beside the checkout; skips where a checkout has none, fails in CI."""
    if not REAL_BLUR.is_dir():
        reason = (f"{REAL_BLUR} is absent: the published real-blur data ships only beside the project's CI "
                  "checkout (../shared/data/real-blur), not with the package")
        if in_ci():
            pytest.fail(f"{reason}; CI={os.environ['CI']} requires it (the CI checkout is incomplete)")
        pytest.skip(reason)
    return REAL_BLUR


@pytest.fixture
def samples() -> pathlib.Path:
    """The repo's sample photos (samples/*.png, *.jpg)."""
    return SAMPLES
