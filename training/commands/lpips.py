"""``python -m training.lpips convert``: the published LPIPS weights (torchvision's VGG16 and the
reference's linear layers, ``.pth`` files) converted once into ``lpips_vgg16.npz``, read without
torch by a restricted unpickler (:func:`training.losses.lpips.convert`)::

    python -m training.lpips convert --vgg16 vgg16-397923af.pth --lin vgg.pth --out lpips-weights/
"""
from __future__ import annotations

import os
import sys

from blurgen.outputs import lock
from training.commands.parsers import parse, prog
from training.losses.lpips import HOW_TO_GET, convert


def main(argv=None) -> int:
    args = parse("lpips", argv)
    for path in (args.vgg16, args.lin):
        if not os.path.isfile(path):
            print(f"{prog('lpips')} convert: error: no such file: {path}. " + HOW_TO_GET.format(where=args.out),
                  file=sys.stderr)
            return 2
    try:
        with lock.output_lock(args.out, command=f"{prog('lpips')} convert", break_lock=args.break_lock,
                              what="the converted weights"):
            written = convert(args.vgg16, args.lin, args.out)
    except ValueError as exc:  # the folder is in use by another run, or cannot be written
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {written}")
    return 0
