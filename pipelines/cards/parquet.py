"""Pairs to Parquet files that Hugging Face ``datasets`` loads as they are, written as a stream.

The schema is :mod:`pipelines.cards.hubcolumns` in Arrow types: ``blurred`` and ``sharp`` are the
``Image`` feature's storage, a struct ``{bytes: binary, path: string}``, and the schema's
``huggingface`` metadata (what ``datasets`` itself writes there) names them ``Image``, so
``load_dataset("parquet", ...)`` decodes them as images. The image bytes are the shards' own;
the image columns are stored uncompressed and without dictionaries or statistics (PNG and JPEG do
not compress further), the others with Snappy.

:class:`PartWriter` holds one row group at a time: it writes one when ``rows_per_group`` rows or
``group_bytes`` bytes of images are held, so memory is bounded by that, not by the file. 100 rows
per group is what ``datasets`` uses for image data (the Hub's viewer reads row groups).

pyarrow is imported here only; :func:`require_pyarrow` names the extra to install without it.
"""
from __future__ import annotations

import json
from typing import Any

from pipelines.cards import hubcolumns

HUB_EXTRA = "pip install 'blurgen[hub]'"
ROWS_PER_GROUP = 100
GROUP_BYTES = 64 * 2**20
IMAGE_KINDS = (hubcolumns.IMAGE,)


class MissingExtra(RuntimeError):
    """A package of an extra is not installed; the message is the one line to show."""


def require_pyarrow(command: str) -> Any:
    """The ``pyarrow`` module, or :class:`MissingExtra` with the line that says what to install."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - the writer lives there
    except ModuleNotFoundError as exc:
        raise MissingExtra(f"error: {command} needs pyarrow ({exc.name} is not installed): {HUB_EXTRA}") from None
    return pyarrow


def arrow_schema(pa: Any) -> Any:
    """The Arrow schema of :data:`pipelines.cards.hubcolumns.COLUMNS`, with the ``datasets`` features as metadata."""
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    types = {hubcolumns.STRING: pa.string(), hubcolumns.IMAGE: image, hubcolumns.INT64: pa.int64(),
             hubcolumns.KERNEL: pa.list_(pa.list_(pa.float32()))}
    fields = [pa.field(c.name, types[c.kind]) for c in hubcolumns.COLUMNS]
    meta = {"huggingface": json.dumps({"info": {"features": hubcolumns.features_json()}}, sort_keys=True)}
    return pa.schema(fields, metadata=meta)


def _writer_options() -> dict[str, Any]:
    images = [f"{c.name}.{part}" for c in hubcolumns.COLUMNS if c.kind in IMAGE_KINDS for part in ("bytes", "path")]
    others = [c.name for c in hubcolumns.COLUMNS if c.kind not in IMAGE_KINDS]
    return {"compression": {**{p: "NONE" for p in images}, **{p: "SNAPPY" for p in others}},
            "use_dictionary": others, "write_statistics": others}


class PartWriter:
    """One Parquet file, written a row group at a time to ``sink`` (a local path, or an open binary file)."""

    def __init__(self, sink: Any, rows_per_group: int = ROWS_PER_GROUP, group_bytes: int = GROUP_BYTES):
        self.pa = require_pyarrow("blurgen export --to parquet")
        import pyarrow.parquet as pq

        self.schema = arrow_schema(self.pa)
        self.writer = pq.ParquetWriter(sink, self.schema, **_writer_options())
        self.rows_per_group, self.group_bytes = rows_per_group, group_bytes
        self.rows: list[dict[str, Any]] = []
        self.held = 0
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.held += sum(len(row[c.name]["bytes"]) for c in hubcolumns.COLUMNS if c.kind in IMAGE_KINDS)
        if len(self.rows) >= self.rows_per_group or self.held >= self.group_bytes:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            table = self.pa.Table.from_pylist(self.rows, schema=self.schema)
            self.writer.write_table(table, row_group_size=len(self.rows))
            self.written += len(self.rows)
            self.rows, self.held = [], 0

    def close(self) -> None:
        """Write what is held and the file's footer (a file of no rows still has the schema)."""
        self.flush()
        self.writer.close()

    def __enter__(self) -> "PartWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # a failed file is deleted with its folder; end the writer before its file closes
            self.writer.close()
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
