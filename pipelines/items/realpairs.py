"""One real blurred/sharp pair in, its examples out (the per-element work of ``pairs``).

Both images are decoded to RGB uint8 by one rule (:func:`decode_pair`: EXIF orientation applied
to both or to neither) and re-encoded as PNG, so every shard holds one format whatever the
source. Real pairs carry no kernel. Patches, when asked for, are cut at the same boxes from both
images, drawn from ``example_rng(seed, key + "#crop", 0)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgen.images import decode_image, encode_png
from blurgen.images.orientation import apply_orientation, describe, read_orientation
from blurgen.seeding import example_rng
from pipelines.items import crops
from pipelines.shards.examples import Pair
from pipelines.sources import inputs
from pipelines.sources.layouts import PairInput
from pipelines.sources.rejects import ORIENTATION_DIFFERS, PARTNER_MISSING, SIZES_DIFFER, RejectError


@dataclass(frozen=True)
class PairSettings:
    layout: str = "folders"
    seed: int = 0
    patch: int = 0
    patches_per_image: int = 1
    min_size: int = 16
    png_level: int | None = None  # None: OpenCV's default PNG settings (fastest)
    blurred_side: str = "left"  # side-by-side only: which half is the blurred image

    def __post_init__(self) -> None:
        if self.blurred_side not in ("left", "right"):
            raise ValueError(f"--blurred-side must be 'left' or 'right', got {self.blurred_side!r}")
        if self.patch < 0 or self.patches_per_image < 1:
            raise ValueError("--patch must be >= 0 and --patches-per-image >= 1")


def _read(path: str, partner: str | None) -> bytes:
    if partner is not None and not inputs.exists(path):
        raise RejectError(PARTNER_MISSING, f"{path}: does not exist, so {partner} has no partner; "
                                           f"check the dataset is complete")
    return inputs.read_bytes(path)


def _halves(image: np.ndarray, item: PairInput, blurred_side: str) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    if w % 2:
        raise RejectError(SIZES_DIFFER, f"{item.blurred}: {w}x{h} px has an odd width, so its two halves "
                                        f"differ in size; expected an A|B image of two equal halves")
    left, right = image[:, : w // 2], image[:, w // 2:]
    return (left, right) if blurred_side == "left" else (right, left)


def decode_pair(blurred_data: bytes, sharp_data: bytes, item: PairInput) -> tuple[np.ndarray, np.ndarray]:
    """Both images of a pair by one rule: decoded as stored, then both turned by their EXIF
    orientation when the two tags agree (two frames of one camera). Tags that differ would turn
    one image against the other, so the pair is rejected, naming both tags."""
    tag_b, tag_s = read_orientation(blurred_data), read_orientation(sharp_data)
    if tag_b != tag_s:
        raise RejectError(ORIENTATION_DIFFERS, (
            f"{item.blurred}: EXIF orientation {describe(tag_b)}, but its sharp partner {item.sharp} has "
            f"orientation {describe(tag_s)}; a viewer would turn one against the other, so the pair cannot be "
            f"aligned. Give both files the same orientation tag (e.g. exiftool -n -Orientation=1 on both) "
            f"or re-export them the same way"))
    blurred = decode_image(blurred_data, item.blurred, orientation=False)
    sharp = decode_image(sharp_data, item.sharp, orientation=False)
    return apply_orientation(blurred, tag_b), apply_orientation(sharp, tag_s)


def load_images(item: PairInput, s: PairSettings) -> tuple[np.ndarray, np.ndarray]:
    """``(blurred, sharp)`` RGB uint8 of the same shape, or a ``RejectError``/``ImageError``."""
    if item.sharp is None:
        return _halves(decode_image(_read(item.blurred, None), item.blurred), item, s.blurred_side)
    if not inputs.exists(item.sharp):
        raise RejectError(PARTNER_MISSING, f"{item.blurred}: its sharp partner {item.sharp} does not exist; "
                                           f"check the dataset is complete")
    blurred, sharp = decode_pair(_read(item.blurred, item.sharp), _read(item.sharp, item.blurred), item)
    if blurred.shape != sharp.shape:
        raise RejectError(SIZES_DIFFER, f"{item.blurred}: {blurred.shape[1]}x{blurred.shape[0]} px but its sharp "
                                        f"partner {item.sharp} is {sharp.shape[1]}x{sharp.shape[0]} px; "
                                        f"the pair cannot be aligned")
    return blurred, sharp


# Bytes of one encoded pair (two PNGs) per RGB pixel, measured on sample photos: 1.0 to 1.3.
# Only ``auto`` sharding uses the estimate; a whole image's size is not known before reading it,
# so it counts as a 1280x720 frame (GoPro's size).
PAIR_BYTES_PER_PIXEL = 1.3 * 3
UNKNOWN_PAIR_PIXELS = 1280 * 720


def estimate(item: PairInput, s: PairSettings) -> tuple[str, int, int]:
    """``(split, pairs, bytes)`` that one listed pair will give, before reading it (bytes are a guess)."""
    pairs = s.patches_per_image if s.patch else 1
    pixels = s.patch ** 2 if s.patch else UNKNOWN_PAIR_PIXELS
    return item.split, pairs, int(pairs * pixels * PAIR_BYTES_PER_PIXEL)


def make_pairs(item: PairInput, s: PairSettings) -> list[tuple[str, Pair]]:
    blurred, sharp = load_images(item, s)
    crops.check_size(sharp.shape, item.blurred, s.min_size, s.patch)
    h, w = sharp.shape[:2]
    boxes = crops.draw_boxes(h, w, s.patch, s.patches_per_image, example_rng(s.seed, item.key + "#crop", 0))
    out = []
    for index, box in enumerate(boxes):
        out.append((item.split, Pair(
            key=item.key + (f"#p{index}" if s.patch else ""),
            blurred=encode_png(crops.cut(blurred, box), s.png_level),
            sharp=encode_png(crops.cut(sharp, box), s.png_level),
            height=box[2], width=box[3], source=item.source, seed=s.seed, variant=0,
            params={"layout": s.layout, "box": list(box) if s.patch else None})))
    return out
