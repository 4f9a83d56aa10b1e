"""``python -m training.deblur``: deblur photos of any size with a trained generator.

    python -m training.deblur --model runs/smoke photo1.jpg photo2.png --out restored/

Each output is a PNG named after its input, the same size as the input, RGB uint8. Images
larger than ``--tile`` px on a side are processed in overlapping tiles (memory stays bounded by
the tile size), blended with ramps so no seams show; see :mod:`training.inference`.
"""
from __future__ import annotations

import os
import sys
import time

from blurgen.images import ImageError, read_image, write_image


def output_paths(images: list[str], out: str) -> list[str]:
    """``out/<input name>.png`` for each input; a ValueError names any two inputs that would write
    the same file (``a.jpg`` and ``a.png``, or ``d1/x.png`` and ``d2/x.png``), so that none is
    silently overwritten."""
    taken: dict[str, str] = {}
    paths = []
    for path in images:
        dest = os.path.join(out, os.path.splitext(os.path.basename(path))[0] + ".png")
        if dest in taken:
            raise ValueError(f"{taken[dest]} and {path} would both be written to {dest}; "
                             "deblur them in separate runs with different --out folders, or rename one")
        taken[dest] = path
        paths.append(dest)
    return paths


def run(argv=None) -> list[str]:
    from training.cli import deblur_parser
    args = deblur_parser().parse_args(argv)
    from training.inference import Restorer  # TensorFlow: after the flags are checked
    destinations = output_paths(args.images, args.out)  # before the model loads: fail fast
    restorer = Restorer(args.model, tile=args.tile, overlap=args.overlap)
    os.makedirs(args.out, exist_ok=True)
    written = []
    for path, dest in zip(args.images, destinations):
        img = read_image(path)
        t0 = time.perf_counter()
        out = restorer(img)
        dt = time.perf_counter() - t0
        write_image(dest, out)
        written.append(dest)
        print(f"{path} -> {dest} ({img.shape[1]}x{img.shape[0]}, {dt:.2f} s)")
    return written


def main(argv=None) -> int:
    try:
        run(argv)
    except (ValueError, ImageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
