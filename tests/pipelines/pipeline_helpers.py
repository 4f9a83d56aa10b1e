"""Helpers of the pipelines tests: tiny real photos, bad inputs, a GoPro-shaped tree, shard readers.

A uniquely named module (not ``conftest``), so that it imports the same way whatever other
test folders run in the same pytest process."""
from __future__ import annotations

import glob
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from blurgen.shards import schema
from blurgen.images import decode_image, encode_png, read_image
from pipelines.shards.examples import Pair, decode_example, encode_example

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SAMPLES = sorted(glob.glob(str(REPO / "samples" / "*.png")) + glob.glob(str(REPO / "samples" / "*.jpg")))


def small_copy(path: str, longest: int) -> np.ndarray:
    """A sample photo scaled so that its longest side is ``longest`` px (RGB uint8)."""
    img = read_image(path)
    h, w = img.shape[:2]
    s = longest / max(h, w)
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def write_rgb(path: Path, img: np.ndarray) -> Path:
    """Write RGB (or grey, or RGBA, or 16-bit) pixels with OpenCV's channel order handled."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    assert cv2.imwrite(str(path), img)
    return path


def make_photos(root: Path) -> Path:
    """The five sample photos at 48-64 px, as PNG and JPEG like the originals, in a nested folder."""
    for i, src in enumerate(SAMPLES):
        name = Path(src).name
        sub = root / "nested" if i % 2 else root
        write_rgb(sub / name, small_copy(src, 64 - 4 * i))
    (root / "README.txt").write_text("not a photo; a directory source skips it\n")
    return root


def bad_inputs(root: Path) -> dict[str, str | None]:
    """A folder of awkward inputs; returns {file name: expected reject kind, or None if usable}."""
    root.mkdir(parents=True, exist_ok=True)
    good = small_copy(SAMPLES[0], 48)
    png = encode_png(good)
    ok, jpg = cv2.imencode(".jpg", good)
    (root / "empty.png").write_bytes(b"")
    (root / "truncated.png").write_bytes(png[: len(png) // 2])
    (root / "truncated.jpg").write_bytes(jpg.tobytes()[: len(jpg) // 2])
    (root / "notes.png").write_text("this is a text file with an image's name\n")
    write_rgb(root / "tiny.png", np.full((1, 1, 3), 200, np.uint8))
    write_rgb(root / "deep16.png", (good.astype(np.uint16) * 257))
    rgba = np.concatenate([good, np.full(good.shape[:2] + (1,), 128, np.uint8)], axis=2)
    write_rgb(root / "rgba.png", rgba)
    write_rgb(root / "grey.png", cv2.cvtColor(good, cv2.COLOR_RGB2GRAY))
    write_rgb(root / "good.jpg", good)
    return {"empty.png": "empty", "truncated.png": "truncated", "truncated.jpg": "truncated",
            "notes.png": "not an image", "tiny.png": "too small", "deep16.png": None, "rgba.png": None,
            "grey.png": None, "good.jpg": None}


def gopro_tree(root: Path, frames: int = 2) -> Path:
    """A GOPRO_Large-shaped tree: train/ (2 sequences) and test/ (1), blur, blur_gamma and sharp
    frames of 40x24 px, plus one blurred frame whose sharp partner is missing."""
    rng = np.random.default_rng(0)
    for split, seqs in (("train", ("GOPR0001_00_00", "GOPR0002_00_01")), ("test", ("GOPR0003_00_00",))):
        for seq in seqs:
            for f in range(1, frames + 1):
                sharp = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
                blur = cv2.blur(sharp, (5, 5))
                name = f"{f:06d}.png"
                write_rgb(root / split / seq / "sharp" / name, sharp)
                write_rgb(root / split / seq / "blur" / name, blur)
                write_rgb(root / split / seq / "blur_gamma" / name, cv2.blur(sharp, (3, 3)))
    write_rgb(root / "train" / "GOPR0001_00_00" / "blur" / "000099.png", np.zeros((24, 40, 3), np.uint8))
    return root


def read_shards(out: Path) -> dict[str, list[dict]]:
    """Every record of every split, read with the ``tfrecord`` package's own reader, in file order."""
    from tfrecord.reader import tfrecord_loader

    info = json.loads((out / "dataset_info.json").read_text())
    result = {}
    for split in info["splits"]:
        n = len(split["shardLengths"])
        recs = []
        for i in range(n):
            path = out / f"{info['name']}-{split['name']}.tfrecord-{i:05d}-of-{n:05d}"
            recs.extend(tfrecord_loader(str(path), None))
        result[split["name"]] = recs
    return result


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.tfrecord-*"))}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def records(out: Path) -> dict[str, list[dict]]:
    """Every record per split, read by the tfrecord package and decoded as pipelines.shards.examples does."""
    return {split: [as_example(r) for r in recs] for split, recs in read_shards(out).items()}


def as_example(rec: dict) -> dict:
    """One record as the tfrecord reader gives it, rebuilt through our schema and decoded."""
    kshape = [int(v) for v in rec[schema.KERNEL_SHAPE]]
    return decode_example(encode_example(Pair(
        key=rec[schema.KEY].decode(), blurred=rec[schema.BLURRED], sharp=rec[schema.SHARP],
        height=int(rec[schema.HEIGHT][0]), width=int(rec[schema.WIDTH][0]), source=rec[schema.SOURCE].decode(),
        seed=int(rec[schema.SEED][0]), variant=int(rec[schema.VARIANT][0]), channels=int(rec[schema.CHANNELS][0]),
        blurred_format=rec[schema.BLURRED_FORMAT].decode(), sharp_format=rec[schema.SHARP_FORMAT].decode(),
        kernel=np.asarray(rec[schema.KERNEL], np.float32).reshape(kshape) if kshape else None,
        params=json.loads(rec[schema.PARAMS]))))


def write_expected(out: Path, path: Path) -> int:
    """Pixels as this process decodes them, for the TensorFlow process to compare against."""
    every = [r for recs in records(out).values() for r in recs]
    arrays = {"keys": np.array([r[schema.KEY] for r in every])}
    for i, r in enumerate(every):
        arrays[f"blurred_{i}"] = decode_image(r[schema.BLURRED])
        arrays[f"sharp_{i}"] = decode_image(r[schema.SHARP])
        arrays[f"kernel_{i}"] = np.zeros(0, np.float32) if r[schema.KERNEL] is None else r[schema.KERNEL]
    np.savez(path, **arrays)
    return len(every)


def tf_readback(out: Path, tmp_path: Path) -> tuple[dict, int]:
    n = write_expected(out, tmp_path / "expected.npz")
    proc = subprocess.run([sys.executable, str(HERE / "tf_readback.py"), str(out), str(tmp_path / "expected.npz")],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), n
