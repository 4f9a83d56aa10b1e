"""The columns of a dataset as the Hugging Face Hub sees it: one home for the Parquet export and the card.

``blurgen export --to parquet`` writes these columns, and the dataset card declares them in its
``dataset_info.features``, so the two cannot disagree. ``blurred`` and ``sharp`` are Hugging Face
``Image`` features: a struct ``{bytes, path}`` holding the encoded image exactly as the shard stores
it (PNG, or JPEG where the blurred image was stored so), ``path`` empty. Every other field of the
shard's Example follows, so nothing is lost: the kernel as a list of rows (empty for real pairs
and video) and the degradation parameters as the same canonical JSON text.

This module needs neither pyarrow nor ``datasets``; :mod:`pipelines.export` turns it into a Parquet schema.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blurgen.shards import schema
from pipelines.shards.examples import params_json

STRING, IMAGE, INT64, KERNEL = "string", "image", "int64", "kernel"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # STRING, IMAGE, INT64 or KERNEL (a list of rows of float32)
    doc: str


COLUMNS: tuple[Column, ...] = (
    Column(schema.KEY, STRING, "stable unique id of the pair"),
    Column(schema.BLURRED, IMAGE, "the blurred image (encoded bytes as stored in the shards)"),
    Column(schema.SHARP, IMAGE, "the sharp image, pixel-aligned with `blurred`"),
    Column(schema.BLURRED_FORMAT, STRING, "`png` or `jpeg`"),
    Column(schema.SHARP_FORMAT, STRING, "`png` or `jpeg`"),
    Column(schema.HEIGHT, INT64, "height in pixels (both images)"),
    Column(schema.WIDTH, INT64, "width in pixels (both images)"),
    Column(schema.CHANNELS, INT64, "3 for RGB, 1 for grey"),
    Column(schema.KERNEL, KERNEL, "the blur kernel, float32 rows (blurred = sharp convolved with it, in linear "
                                  "light; its centre pixel is the origin); empty for real pairs and video"),
    Column(schema.SOURCE, STRING, "the input the pair was made from"),
    Column(schema.SEED, INT64, "the run's seed"),
    Column(schema.VARIANT, INT64, "which degradation of the source this is"),
    Column(schema.PARAMS, STRING, "JSON object: every random draw that made the pair (kernel family, exposure, "
                                  "noise levels, ...)"),
)
NAMES = tuple(c.name for c in COLUMNS)


def feature_json(column: Column) -> dict[str, Any]:
    """The ``datasets`` feature of a column as its JSON form (``Features.to_dict``). Lists are written as
    ``Sequence``, which every ``datasets`` release reads (4.0 and later read it as ``List``)."""
    if column.kind == IMAGE:
        return {"_type": "Image"}
    if column.kind == KERNEL:
        row = {"feature": {"dtype": "float32", "_type": "Value"}, "_type": "Sequence"}
        return {"feature": row, "_type": "Sequence"}
    return {"dtype": column.kind, "_type": "Value"}


def features_json() -> dict[str, Any]:
    return {c.name: feature_json(c) for c in COLUMNS}


def features_yaml() -> list[dict[str, Any]]:
    """The features as a dataset card's ``dataset_info.features`` list."""
    out: list[dict[str, Any]] = []
    for c in COLUMNS:
        if c.kind == KERNEL:
            out.append({"name": c.name, "sequence": {"sequence": "float32"}})
        else:
            out.append({"name": c.name, "dtype": c.kind})
    return out


def row(ex: dict[str, Any]) -> dict[str, Any]:
    """One record (as :func:`pipelines.shards.examples.decode_example` gives it) as a row of :data:`COLUMNS`."""
    kernel = ex[schema.KERNEL]
    values = dict(ex)
    values[schema.BLURRED] = {"bytes": ex[schema.BLURRED], "path": None}
    values[schema.SHARP] = {"bytes": ex[schema.SHARP], "path": None}
    values[schema.KERNEL] = [] if kernel is None else kernel.tolist()
    values[schema.PARAMS] = params_json(ex[schema.PARAMS])
    return {name: values[name] for name in NAMES}
