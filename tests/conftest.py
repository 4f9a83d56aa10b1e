"""Shared test helpers: where the repo's sample photos and the shared real-blur data live."""
from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
REAL_BLUR = ROOT.parent / "shared" / "data" / "real-blur"


@pytest.fixture
def real_blur() -> pathlib.Path:
    """The published blur datasets beside the checkout; skips where a checkout has none."""
    if not REAL_BLUR.is_dir():
        pytest.skip(f"{REAL_BLUR} is absent: the published real-blur data ships only beside the "
                    "project's CI checkout (../shared/data/real-blur), not with the package")
    return REAL_BLUR


@pytest.fixture
def samples() -> pathlib.Path:
    """The repo's sample photos (samples/*.png, *.jpg)."""
    return SAMPLES
