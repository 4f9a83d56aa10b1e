"""The YAML header of a dataset card, as the Hugging Face Hub and ``huggingface_hub.DatasetCard`` read it.

``license``, ``pretty_name``, ``task_categories: [image-to-image]``, ``tags``, ``size_categories``,
``configs`` (one ``default`` config whose splits are the Parquet files ``blurgen export --to
parquet`` writes under ``data/``) and ``dataset_info``: the features of :mod:`pipelines.cards.hubcolumns`
and each split's exact ``num_examples`` and ``num_bytes`` (the bytes of the split's shard files,
which hold the same encoded images the Parquet files hold), and ``dataset_size``, their sum.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pipelines.cards import hubcolumns

DEFAULT_LICENSE = "other"
TASK = "image-to-image"
DATA_DIR = "data"
_LICENSE = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"), (10**11, "10B<n<100B"),
          (10**12, "100B<n<1T"))
_SPLIT_ORDER = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitFacts:
    name: str
    examples: int  # records in the shards
    num_bytes: int  # bytes of the split's shard files
    shards: int


def check_license(value: str) -> str:
    """A Hub licence identifier (lower case, such as ``cc-by-4.0``, ``apache-2.0``, ``other``)."""
    if not _LICENSE.match(value):
        raise ValueError(f"--license {value!r}: give the Hub's licence identifier in lower case, such as "
                         "cc-by-4.0, cc0-1.0, apache-2.0, mit or other")
    return value


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` label for ``n`` examples."""
    return next((label for top, label in _SIZES if n < top), "n>1T")


def split_order(names: list[str]) -> list[str]:
    known = [s for s in _SPLIT_ORDER if s in names]
    return known + sorted(s for s in names if s not in known)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists, strings (double-quoted as JSON, which YAML reads), numbers,
    booleans and None. Kept small on purpose: the card needs nothing more, and no YAML package."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            name = key if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) else json.dumps(key)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{name}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{name}: {_scalar(item)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[indent + 2:]}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return "\n".join(lines)
    return pad + _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value))


def ordered(splits: tuple[SplitFacts, ...] | list[SplitFacts]) -> list[SplitFacts]:
    """Splits in the order train, validation, test, then the others by name."""
    order = split_order([s.name for s in splits])
    return sorted(splits, key=lambda s: order.index(s.name))


def header(name: str, splits: tuple[SplitFacts, ...], license: str) -> dict[str, Any]:
    """The card's YAML metadata as a dict."""
    splits = ordered(splits)
    total = sum(s.examples for s in splits)
    return {
        "license": license,
        "pretty_name": f"{name}: blurred/sharp pairs for motion deblurring",
        "task_categories": [TASK],
        "tags": ["motion-deblurring", "deblurring", "image-restoration", "blurgen"],
        "size_categories": [size_category(total)],
        "configs": [{"config_name": "default", "default": True,
                     "data_files": [{"split": s.name, "path": f"{DATA_DIR}/{s.name}-*.parquet"} for s in splits]}],
        "dataset_info": {"features": hubcolumns.features_yaml(),
                         "splits": [{"name": s.name, "num_bytes": s.num_bytes, "num_examples": s.examples}
                                    for s in splits],
                         "dataset_size": sum(s.num_bytes for s in splits)},
    }
