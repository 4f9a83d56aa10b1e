"""The realism benchmark's picture: the same crops of real blurred images, restored by each recipe's model.

Rows: two of Levin's images, two of Koehler's photos, one held-out photo blurred with Lai's largest
kernel; columns: blurred | one per recipe | sharp, each cell captioned with the crop's PSNR. The crop
of each image is the 192 px window where the sharp image has the most detail (largest mean
gradient), so the picture shows edges, where deblurring shows.

:func:`draw` is called by ``bench_realism.py`` (TensorFlow-free); it runs this file as a script in a
subprocess, which loads each model once, restores the whole images and composes the picture.
"""
from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from blurgen.pictures import preview  # noqa: E402
from blurgen.images import read_image, write_image  # noqa: E402

CROP = 192
# (set folder under work/real, blurred file name)
IMAGES = (("levin", "im_1_ker_4.png"), ("levin", "im_3_ker_8.png"), ("koehler", "Blurry1_2.jpg"),
          ("koehler", "Blurry4_3.jpg"), ("lai", "Storm_lai4.png"))


def detail_window(sharp: np.ndarray, size: int = CROP) -> tuple[int, int]:
    """``(top, left)`` of the ``size`` px window with the largest mean gradient magnitude, on a 16 px grid."""
    grey = cv2.cvtColor(sharp, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mag = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    integral = cv2.integral(mag)
    h, w = grey.shape
    best, where = -1.0, (0, 0)
    for top in range(0, max(h - size, 0) + 1, 16):
        for left in range(0, max(w - size, 0) + 1, 16):
            b, r = min(top + size, h), min(left + size, w)
            total = integral[b, r] - integral[top, r] - integral[b, left] + integral[top, left]
            if total > best:
                best, where = total, (top, left)
    return where


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def compose(work: pathlib.Path, names: list[str], models: list[str], out: pathlib.Path) -> None:
    """Restore each chosen image with each model (TensorFlow) and write the picture to ``out``."""
    from training.inference.restorer import Restorer
    images = [(s, n) for s, n in IMAGES if (work / "real" / s / "blurred" / n).exists()]
    restorers = [Restorer(m) for m in models]
    rows, captions = [], []
    for folder, name in images:
        blurred = preview.as_rgb(read_image(work / "real" / folder / "blurred" / name))
        sharp = preview.as_rgb(read_image(work / "real" / folder / "sharp" / name))
        top, left = detail_window(sharp)
        cut = (slice(top, top + CROP), slice(left, left + CROP))
        cells = [blurred[cut]] + [r(blurred)[cut] for r in restorers] + [sharp[cut]]
        rows.append(cells)
        scores = ", ".join(f"{label} {psnr(sharp[cut], c):.2f}" for label, c in zip(["blurred", *names], cells[:-1]))
        captions.append([f"{folder}/{name}, {CROP} px crop at ({top}, {left}): PSNR {scores}"])
    picture = preview.sheet(["blurred", *names, "sharp"], rows, CROP, captions)
    picture = preview.titled(picture, ["The same crops of real blurred images restored by the model of each recipe",
                                       "(python benchmarks/bench_realism.py; each model: --preset cpu on that recipe's data)"])
    write_image(out, picture)


def draw(work: pathlib.Path, rows: dict, sets: dict, out: pathlib.Path, log: pathlib.Path) -> pathlib.Path | None:
    """The picture for the recipes of ``rows`` (bench_realism's results), in a TensorFlow subprocess;
    None where the real sets are absent."""
    import realsets
    if not (work / "real").is_dir():
        return None
    spec = json.dumps({"work": str(work), "names": list(rows), "models": [r["model"] for r in rows.values()],
                       "out": str(out)})
    realsets.run([sys.executable, str(pathlib.Path(__file__).resolve()), spec], log)
    return out


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    compose(pathlib.Path(args["work"]), args["names"], args["models"], pathlib.Path(args["out"]))
