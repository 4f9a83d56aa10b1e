"""The dataset card and the Parquet export as the Hugging Face libraries read them, with no TensorFlow here.

A real ``synth`` dataset (tests/cardkit.py) gets its card (``blurgen inspect --card``) and its
export (``blurgen export --to parquet``); ``huggingface_hub.DatasetCard`` parses the card, and
``datasets.load_dataset`` loads the export, both ways a user would, compared pair by pair with the
TFRecord reader of ``blurgen.shards.reader``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is not installed here: "
                                                  "make test-readers installs it")
hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed here: make test-readers installs it")
import cardkit  # noqa: E402

from pipelines import export, inspection, reader  # noqa: E402


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hub")
    dataset, _ = cardkit.make_dataset(root)
    assert inspection.main([str(dataset), "--card", "--license", "cc-by-4.0"]) == 0
    out = root / "hf"
    assert export.main([str(dataset), "--to", "parquet", str(out), "--rows-per-group", "5"]) == 0
    return dataset, out


@pytest.fixture(autouse=True)
def local_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not ~/.cache


def shard_pairs(dataset: Path, split: str) -> dict[str, tuple[bytes, bytes]]:
    """``key -> (blurred bytes, sharp bytes)`` of a split, read by blurgen's TFRecord reader."""
    from blurgen.shards import schema
    from pipelines.shards.examples import decode_example

    found = {}
    for path in reader.list_shards(str(dataset / f"*-{split}.tfrecord-*")):
        for data in reader.read_records(path):
            ex = decode_example(data)
            found[ex[schema.KEY]] = (ex[schema.BLURRED], ex[schema.SHARP])
    return found


def test_the_card_parses_and_its_split_counts_are_the_shards(made):
    dataset, out = made
    card = hub.DatasetCard.load(dataset / "README.md")
    meta = card.data.to_dict()
    assert meta["license"] == "cc-by-4.0" and meta["task_categories"] == ["image-to-image"]
    counts = {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]}
    assert counts == {split: len(shard_pairs(dataset, split)) for split in ("train", "test")} == {"train": 8, "test": 4}
    info = datasets.info.DatasetInfosDict.from_dataset_card_data(card.data)["default"]
    assert isinstance(info.features["blurred"], datasets.Image) and isinstance(info.features["sharp"], datasets.Image)
    assert hub.DatasetCard.load(out / "README.md").data.to_dict() == meta  # the card beside the export


@pytest.mark.parametrize("how", ["data_dir", "card configs"])
def test_datasets_loads_the_same_pairs_as_the_tfrecord_reader(made, how):
    dataset, out = made
    if how == "data_dir":
        ds = datasets.load_dataset("parquet", data_dir=str(out))
    else:  # the folder as a dataset repository: its README's configs, split counts checked against the card
        ds = datasets.load_dataset(str(out), verification_mode="all_checks")
    assert "tensorflow" not in sys.modules
    for split in ("train", "test"):
        raw = ds[split].cast_column("blurred", datasets.Image(decode=False)).cast_column(
            "sharp", datasets.Image(decode=False))
        got = {r["key"]: (r["blurred"]["bytes"], r["sharp"]["bytes"]) for r in raw}
        assert got == shard_pairs(dataset, split)
    row = ds["test"].with_format("numpy")[0]
    pair = next(p for p in reader.iter_pairs(reader.list_shards(str(dataset / "*-test.tfrecord-*")))
                if p["key"] == row["key"])
    np.testing.assert_array_equal(row["blurred"], pair["blurred"])
    np.testing.assert_array_equal(row["sharp"], pair["sharp"])
    np.testing.assert_array_equal(np.stack(row["kernel"]), cardkit.the_kernel())
