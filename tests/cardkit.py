"""A small real dataset for the card and export tests: ``synth`` on drawn photos with one fixed kernel.

Used by tests/pipelines (``make test``) and tests/readers (``make test-readers``, where ``datasets``
and ``huggingface_hub`` live), so it needs only blurgen and Beam. Every pair is blurred by the same
defocus disc with the camera off (no tone curve, no noise), so the statistics have known answers.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from blurgen.kernels import crop_to_support, defocus_kernel

RADIUS = 3.5
CANVAS = 85  # the default trajectory canvas, on which defocus discs are drawn
SIZES = ((64, 48), (48, 64), (56, 56), (64, 40), (40, 40), (72, 52))  # (width, height)
CONFIG = {"kernel": {"weights": [0.0, 0.0, 1.0], "defocus_radius": [RADIUS, RADIUS]},
          "camera": {"linear": "none", "noise": "none"}}


def the_kernel() -> np.ndarray:
    """The kernel every pair was blurred with, as ``degrade`` crops and stores it."""
    return crop_to_support(defocus_kernel(RADIUS, CANVAS))


def draw_photo(index: int, width: int, height: int) -> np.ndarray:
    """A photo-like RGB uint8 image: a smooth gradient under sharp-edged blocks of colour."""
    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack([(x * 3 + 40) % 256, (y * 2 + 60) % 256, np.full_like(x, 90 + 20 * index)], -1).astype(np.uint8)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 8))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(img, (x0, y0), (x0 + int(rng.integers(4, 20)), y0 + int(rng.integers(4, 20))), colour, -1)
    return img


def make_inputs(root: Path) -> Path:
    """The drawn photos as PNG files, and one empty file (a reject of kind 'empty')."""
    root.mkdir(parents=True, exist_ok=True)
    for i, (w, h) in enumerate(SIZES):
        assert cv2.imwrite(str(root / f"photo{i}.png"), cv2.cvtColor(draw_photo(i, w, h), cv2.COLOR_RGB2BGR))
    (root / "broken.png").write_bytes(b"")
    return root


def make_dataset(root: Path) -> tuple[Path, dict]:
    """``synth`` the inputs into ``root/dataset`` (2 variants, both splits, 2 shards each); returns
    the folder and the manifest."""
    from pipelines import synth

    root.mkdir(parents=True, exist_ok=True)
    config = root / "degrade.json"
    config.write_text(json.dumps(CONFIG))
    out = root / "dataset"
    manifest = synth.run(["--src", str(make_inputs(root / "photos")), "--out", str(out), "--config", str(config),
                          "--variants", "2", "--test-fraction", "0.4", "--num-shards", "2",
                          "--max-reject-fraction", "0.5", "--runner=DirectRunner"])
    return out, manifest
