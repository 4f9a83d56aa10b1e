"""Small shards for the reader tests, written as the pipelines write them (our Example encoder
and TFRecord framing), without Beam; used by tests/pipelines and tests/readers alike."""
from __future__ import annotations

import json

from pathlib import Path

import numpy as np

from blurgen.shards import schema
from blurgen.images import encode_png
from pipelines.shards import metadata, records
from pipelines.shards.examples import Pair, encode_example


def pair_images(index: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A recognisable pair: sharp holds ``index`` in its first pixel and a gradient elsewhere;
    blurred is sharp shifted by one grey level, so the two differ everywhere but stay aligned."""
    y, x = np.mgrid[0:height, 0:width]
    sharp = np.stack([(x * 7) % 256, (y * 5) % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    sharp[0, 0] = (index % 256, index // 256, 9)
    blurred = (sharp.astype(int) + 1).clip(0, 255).astype(np.uint8)
    blurred[0, 0] = sharp[0, 0]
    return blurred, sharp


def write_shards(out: Path, count: int, shards: int, height: int = 24, width: int = 32,
                 split: str = "train") -> list[str]:
    """``count`` pairs keyed ``pair-0000``... spread over ``shards`` files; returns the keys."""
    out.mkdir(parents=True, exist_ok=True)
    keys = [f"pair-{i:04d}" for i in range(count)]
    per_shard: list[list[bytes]] = [[] for _ in range(shards)]
    for i, key in enumerate(keys):
        blurred, sharp = pair_images(i, height, width)
        kernel = np.full((3, 5), 1 / 15, np.float32) if i % 2 else None
        per_shard[i % shards].append(encode_example(Pair(
            key=key, blurred=encode_png(blurred), sharp=encode_png(sharp), height=height, width=width,
            source=f"src/{i}.png", variant=i, kernel=kernel, params={"index": i})))
    for s, data in enumerate(per_shard):
        with open(out / schema.shard_name("blurgen", split, s, shards), "wb") as f:
            records.write_records(f, data)
    return keys


def index_of(img: np.ndarray) -> int:
    """The pair index stored in the first pixel of a whole (uncropped) image."""
    return int(img[0, 0, 0]) + 256 * int(img[0, 0, 1])


def write_dataset(out: Path, count: int, shards: int, height: int = 24, width: int = 32) -> list[str]:
    """:func:`write_shards` (split ``train``) with a ``dataset_info.json`` beside them, as
    ``blurgen inspect`` expects a dataset; returns the shard paths."""
    write_shards(out, count, shards, height, width)
    paths = [str(out / schema.shard_name("blurgen", "train", s, shards)) for s in range(shards)]
    infos = [{"split": "train", "index": s, "records": len(range(s, count, shards)),
              "bytes": Path(p).stat().st_size} for s, p in enumerate(paths)]
    info = metadata.dataset_info_json("blurgen", infos, "reader test pairs")
    (out / metadata.DATASET_INFO).write_text(json.dumps(info))
    return paths

