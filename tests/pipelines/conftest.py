"""Fixtures of the pipelines tests (helpers live in pipeline_helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_helpers import make_photos


@pytest.fixture(scope="session")
def photos(tmp_path_factory) -> Path:
    """The five sample photos at 48-64 px, as PNG and JPEG like the originals, in a nested folder."""
    return make_photos(tmp_path_factory.mktemp("photos"))
