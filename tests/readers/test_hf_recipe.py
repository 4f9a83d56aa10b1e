"""The Hugging Face guide's recipe, run as written there: Dataset.from_generator over the shards."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is not installed here: "
                                                  "make test-readers installs it")
from readerkit import pair_images, write_shards  # noqa: E402

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "read-huggingface.md"


def _recipe() -> str:
    """The guide's code block that builds the dataset from the shards."""
    text = GUIDE.read_text()
    section = text.split("## From the shards", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_guide_recipe_builds_a_dataset_of_every_pair(tmp_path, monkeypatch):
    write_shards(tmp_path / "shards", count=9, shards=3, height=24, width=32)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not ~/.cache
    scope: dict = {}
    exec(compile(_recipe(), "docs/guides/read-huggingface.md", "exec"), scope)
    ds = scope["ds"]
    assert ds.num_rows == 9 and sorted(ds["key"]) == [f"pair-{i:04d}" for i in range(9)]
    row = ds.with_format("numpy")[4]
    i = int(str(row["key"]).split("-")[1])
    blurred, sharp = pair_images(i, 24, 32)
    np.testing.assert_array_equal(np.asarray(row["sharp"]), sharp)
    np.testing.assert_array_equal(np.asarray(row["blurred"]), blurred)
    odd = ds.filter(lambda r: r["key"] == "pair-0001")[0]
    assert np.asarray(odd["kernel"]).shape == (3, 5)
