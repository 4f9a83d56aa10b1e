"""The trainer's commands, one module each (one row each of :mod:`blurgen.commands`):

  * :mod:`.fit`: train a GAN on shards, with checkpoints, resume, curves and samples.
  * :mod:`.score`: PSNR, SSIM, ... of a model (or of the blurry input) on whole test images.
  * :mod:`.deblur`: restore photos of any size with a trained generator.
  * :mod:`.compare`: score reports side by side.
  * :mod:`.describe`: a preset's networks as tables and pictures.
  * :mod:`.lpips`: convert the published LPIPS weights.

Their parsers (:mod:`.parsers`, with :mod:`.flags`) need no TensorFlow. :func:`main` is the one
entry of every trainer command (``blurgen NAME`` execs ``python -m training.commands NAME``;
``python -m training.NAME`` calls it too): it parses the arguments once, refuses an output folder
in use, and only then imports the command (TensorFlow) and hands it the parsed arguments. A
command never imports another command: what two share lives in the rooms below them. Where
TensorFlow or Keras is not installed, one line says which extra to install::

    error: blurgen fit needs TensorFlow and Keras (tensorflow is not installed): pip install 'blurgen[train]'
"""
from __future__ import annotations

import importlib
import os
import sys

from blurgen.commands import COMMANDS, TRAINING, on_side
from blurgen.outputs.lock import OutputBusy, check_free


def main(argv: list[str] | None = None, invoked_as: str | None = None) -> int:
    """``NAME ARGS``: ``ARGS`` checked by ``NAME``'s parser (``--help`` and usage errors end here,
    before TensorFlow loads), then ``NAME``'s module run on the parsed arguments. ``invoked_as``
    is the command as the user typed it (default ``blurgen NAME``), for usage lines."""
    from training.commands import parsers
    argv = list(sys.argv[1:] if argv is None else argv)
    names = on_side(TRAINING)
    if not argv or argv[0] not in names:
        print(f"usage: python -m training.commands {{{','.join(names)}}} ARGS...", file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    parsers._invoked_as[name] = invoked_as or f"blurgen {name}"
    parsed = parsers.PARSERS[name]().parse_args(rest)
    if name in ("fit", "deblur"):  # refuse a folder in use now, not after TensorFlow has loaded
        from training.commands.outputlock import WHAT
        try:
            check_free(parsed.out, break_lock=parsed.break_lock, what=WHAT[name])
        except OutputBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    # TensorFlow's start-up notes (oneDNN, CPU instructions) say nothing a user can act on.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    try:
        module = importlib.import_module(COMMANDS[name].module)
    except ModuleNotFoundError as exc:
        message = parsers.missing_extra(exc, parsers.prog(name))
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1
    return module.main(parsed)


def run_and_exit(argv: list[str] | None = None, invoked_as: str | None = None) -> None:
    """:func:`main`, then the exit. After ``deblur`` every output is complete and renamed into place,
    and TensorFlow's interpreter teardown would add most of a second (measured 0.9 s) for nothing,
    so the process ends at once."""
    argv = list(sys.argv[1:] if argv is None else argv)
    status = main(argv, invoked_as)
    if argv[:1] == ["deblur"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
