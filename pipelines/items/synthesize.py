"""One sharp photo in, its synthetic blurred/sharp pairs out (the per-element work of ``synth``).

For each of ``variants`` degradations of the photo, ``blurgen.degrade_with_params`` blurs the whole
image with the generator ``example_rng(seed, name, variant)``, then aligned patches (if any) are cut
from both images at boxes drawn from ``example_rng(seed, name + "#crop", variant)``. Everything
random is fixed by ``(seed, name, variant)``, so the pairs do not depend on the runner or order.

A pair blurred by a turning camera (the rotation family) stores the grid of local kernels of its
own image (the whole photo, or its patch) in ``kernel``, and their points in its
``params["kernel_grid"]`` (``{"y": rows, "x": columns}``, in the pair's pixels).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from blurgen import degrade_with_params
from blurgen.config import DegradeConfig
from blurgen.kernels.shake import shake_from_params
from blurgen.images import decode_image, encode_image, encode_png
from blurgen.seeding import example_rng
from pipelines.items import crops
from pipelines.shards.examples import Pair
from pipelines.sources.inputs import InputFile, read_bytes
from pipelines.sources.splits import split_of


@dataclass(frozen=True)
class SynthSettings:
    """Everything the per-photo work needs; defaults are the command line's."""

    seed: int = 0
    variants: int = 1
    test_fraction: float = 0.1
    patch: int = 0  # 0: whole images
    patches_per_image: int = 1
    min_size: int = 16
    blurred_format: str = "png"
    blurred_quality: int = 95
    png_level: int | None = None  # None: OpenCV's default PNG settings (fastest)
    degrade: DegradeConfig = field(default_factory=DegradeConfig)

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        if self.variants < 1:
            raise ValueError(f"--variants must be at least 1, got {self.variants}")
        if not 0.0 <= self.test_fraction <= 1.0:
            raise ValueError(f"--test-fraction must be in [0, 1], got {self.test_fraction}")
        if self.patch < 0 or self.patches_per_image < 1:
            raise ValueError(f"--patch must be >= 0 and --patches-per-image >= 1, "
                             f"got {self.patch} and {self.patches_per_image}")
        if self.blurred_format not in ("png", "jpeg"):
            raise ValueError(f"--blurred-format must be 'png' or 'jpeg', got {self.blurred_format!r}")


# Bytes of one encoded pair (two PNGs and the kernel) per byte of input, measured on the samples
# and on 1280x720 JPEG q95 photos: 1.1 to 2.0 for PNG inputs, 6.5 to 14.5 for JPEG inputs; and
# 1.0 to 1.3 bytes per RGB pixel. Only ``auto`` sharding uses them, to pick a shard count.
PAIR_BYTES_PER_INPUT_BYTE = {".png": 2.0}
PAIR_BYTES_PER_INPUT_BYTE_OTHER = 10.0
PAIR_BYTES_PER_PIXEL = 1.3 * 3
UNKNOWN_PAIR_BYTES = 4 * 2**20


def estimate(item: InputFile, s: SynthSettings) -> tuple[str, int, int]:
    """``(split, pairs, bytes)`` that one photo will give, before reading it (bytes are a guess
    from the listed file size; the split and the number of pairs are exact unless it is rejected)."""
    pairs = s.variants * (s.patches_per_image if s.patch else 1)
    if s.patch:
        per_pair = PAIR_BYTES_PER_PIXEL * s.patch ** 2
    elif item.size > 0:
        ext = item.name[item.name.rfind("."):].lower()
        per_pair = item.size * PAIR_BYTES_PER_INPUT_BYTE.get(ext, PAIR_BYTES_PER_INPUT_BYTE_OTHER)
    else:
        per_pair = UNKNOWN_PAIR_BYTES
    return split_of(item.name, s.test_fraction), pairs, int(pairs * per_pair)


def pair_key(name: str, variant: int, patch_index: int | None) -> str:
    return f"{name}#v{variant}" + ("" if patch_index is None else f"p{patch_index}")


def synthesize(item: InputFile, s: SynthSettings) -> list[tuple[str, Pair]]:
    """All pairs of one photo as ``(split, Pair)``; raises ``ImageError``/``RejectError`` to reject it."""
    sharp = decode_image(read_bytes(item.path), item.path)
    crops.check_size(sharp.shape, item.path, s.min_size, s.patch)
    split = split_of(item.name, s.test_fraction)
    height, width = sharp.shape[:2]
    out = []
    for variant in range(s.variants):
        result = degrade_with_params(sharp, example_rng(s.seed, item.name, variant), s.degrade)
        boxes = crops.draw_boxes(height, width, s.patch, s.patches_per_image,
                                 example_rng(s.seed, item.name + "#crop", variant))
        for index, box in enumerate(boxes):
            kernel, extra = _local_kernels(result, box, s) if result.kernel.ndim == 4 else (result.kernel, {})
            blurred_patch, sharp_patch = crops.cut(result.blurred, box), crops.cut(sharp, box)
            blurred_bytes = (encode_png(blurred_patch, s.png_level) if s.blurred_format == "png"
                             else encode_image(blurred_patch, "jpeg", s.blurred_quality))
            out.append((split, Pair(
                key=pair_key(item.name, variant, index if s.patch else None),
                blurred=blurred_bytes, sharp=encode_png(sharp_patch, s.png_level),
                height=box[2], width=box[3], source=item.name, seed=s.seed, variant=variant,
                blurred_format=s.blurred_format, kernel=kernel,
                params={"degrade": result.params, "box": list(box) if s.patch else None, **extra})))
    return out


def _local_kernels(result, box: tuple[int, int, int, int], s: SynthSettings):
    """The grid of local kernels of the pair cut at ``box`` from a rotation-shaken photo, and its
    ``kernel_grid`` parameter (points in the pair's pixels)."""
    kp = result.params["kernel"]
    if not s.patch:
        return result.kernel, {"kernel_grid": {"y": kp["grid_y"], "x": kp["grid_x"]}}
    rot = s.degrade.kernel.rotation
    shake = shake_from_params(kp, result.blurred.shape[0], result.blurred.shape[1], rot.step)
    kernels, ys, xs = shake.local_kernels(rot.grid, box)
    return kernels, {"kernel_grid": {"y": ys.tolist(), "x": xs.tolist()}}
