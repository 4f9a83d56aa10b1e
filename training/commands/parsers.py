"""The trainer's command lines, built without TensorFlow: one parser per ``training`` row of
:mod:`blurgen.commands`.

Each parser is made here from the one home of its settings (``fit``'s flags from
:class:`training.config.TrainConfig` through :mod:`training.commands.flags`, ``--preset``'s choices
from :mod:`training.presets`, ``score``'s metrics from the table of :mod:`training.metrics`), and
nothing here imports TensorFlow, so ``--help`` and usage errors (a preset that does not exist
among them) come at once and quietly, before :mod:`training.commands` imports the command.
"""
from __future__ import annotations

import argparse
import textwrap

from blurgen.commands import COMMANDS
from blurgen.outputs.lock import add_break_lock_flag
from training import presets
from training.commands import flags
from training.metrics import DEFAULT_METRICS, METRICS

TRAIN_EXTRA = "pip install 'blurgen[train]'"
# The packages of the train extra: a command that misses one of them says to install the extra.
_TRAIN_PACKAGES = ("tensorflow", "keras", "tensorboard", "h5py")
# Where the process was started by the ``blurgen`` command, the usage lines say ``blurgen NAME``.
_invoked_as: dict[str, str] = {}


def prog(name: str) -> str:
    """The command as the user typed it: ``blurgen fit`` or ``python -m training.fit``."""
    return _invoked_as.get(name, f"python -m training.{name}")


def _wrap(text: str, indent: str = "") -> str:
    """Each line of ``text`` wrapped to 79 columns, continuation lines indented by ``indent``."""
    return "\n".join(textwrap.fill(line, 79, subsequent_indent=indent, break_on_hyphens=False) for line in text.split("\n"))


def _parser(name: str, description: str, epilog: str | None = None) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog(name), description=_wrap(description),
                                   epilog=epilog and _wrap(epilog, "      "),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def fit_parser() -> argparse.ArgumentParser:
    """``fit``'s flags: the run's own, then one per :class:`~training.config.TrainConfig` field."""
    names = presets.preset_names()
    p = _parser("fit", "Train a deblurring GAN on blurgen shards, with checkpoints, resume, curves and samples.\n"
                f"Needs the train extra ({TRAIN_EXTRA}).", flags.presets_epilog())
    p.add_argument("--train", required=True, help="glob(s) of training shards, comma-separated (gs:// works)")
    p.add_argument("--val", help="glob(s) of validation shards, scored on crops like training (default: none)")
    p.add_argument("--val-steps", type=int, default=10, help="validation batches per epoch (default: %(default)s)")
    p.add_argument("--out", required=True, help="run folder; run again with the same one to resume")
    p.add_argument("--preset", default=None, metavar="NAME", choices=names,
                   help=f"starting settings, one of: {', '.join(names)} (default: deblurgan, or the saved run's "
                        "settings when resuming); the flags below override single settings")
    p.add_argument("--smoke", dest="preset", action="store_const", const="smoke", help="the same as --preset smoke")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                   help="Keras progress: 0 none, 1 a bar, 2 a line per epoch (default: %(default)s)")
    p.add_argument("--log-every", type=int, default=20,
                   help="steps between TensorBoard scalar writes (default: %(default)s)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this many minutes of training (checkpointed and exported as at the end); "
                        "rerun to go on (default: no limit)")
    add_break_lock_flag(p)
    flags.add_config_flags(p)
    return p


def _whole_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def score_parser() -> argparse.ArgumentParser:
    """``score``'s flags; ``--metrics`` lists every registered metric."""
    p = _parser("score", "Score a model, or the blurry input itself, on whole test images: the mean of each metric "
                "on the restored and on the blurry images, per-image scores, time per image, and a contact sheet.\n"
                f"Needs the train extra ({TRAIN_EXTRA}); --metrics vifp needs the metrics extra "
                "(pip install 'blurgen[metrics]').")
    p.add_argument("--model", required=True, help="run folder, .keras file, or 'identity' (scores the blurry input)")
    p.add_argument("--data", required=True, help="glob(s) of test shards (gs:// works)")
    p.add_argument("--out", required=True, help="report .json; the contact sheet goes beside it (<name>-sheet.png)")
    p.add_argument("--limit", type=int, default=None, help="score only the first N pairs (default: all)")
    p.add_argument("--tile", type=int, default=1536,
                   help="images larger than this (px) on a side go in tiles of this side (default: %(default)s)")
    p.add_argument("--overlap", type=int, default=128, help="tile overlap in px (default: %(default)s)")
    p.add_argument("--ignore-errors", action="store_true", help="skip the rest of a corrupt shard instead of stopping")
    p.add_argument("--align", type=_whole_at_least(0), default=0, metavar="PX",
                   help="score the restored and the blurry image each at its best whole-pixel offset within PX px "
                        "of the sharp one, on the sharp image's interior: for test sets whose sharp images are not "
                        "registered to the blurred ones (real camera shake, kernels not centred on their blur), as "
                        "blind-deblurring benchmarks score (default: 0, no alignment)")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                   help=f"comma-separated, any of: {', '.join(sorted(METRICS))} (default: %(default)s); "
                        "lpips needs --lpips-weights; lower LPIPS is better, higher is better for the rest")
    p.add_argument("--lpips-weights", default=None, metavar="DIR",
                   help="converted LPIPS weights (python -m training.lpips convert), needed by --metrics lpips")
    return p


DEBLUR_EPILOG = ("Outputs are OUT/<input name>.png. The run is refused before it starts (exit 2, nothing "
                 "written) if an output would be an input, if two inputs give one output name, or if an "
                 "output exists and --overwrite is not given; inputs are never overwritten. Inputs that "
                 "fail are reported one per line and the rest are still deblurred; exit status 1 if any "
                 "failed.")


def deblur_parser() -> argparse.ArgumentParser:
    p = _parser("deblur", "Deblur photos of any size with a trained generator; each output is a PNG named after "
                f"its input.\nNeeds the train extra ({TRAIN_EXTRA}).", DEBLUR_EPILOG)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders of images, or globs (quote them)")
    p.add_argument("--model", required=True, help="run folder or .keras file (or 'identity')")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--overwrite", action="store_true", help="replace output files that exist (never an input)")
    add_break_lock_flag(p)
    p.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16", "float16"),
                   help="auto: bfloat16 on CPUs with bfloat16 instructions (AVX512_BF16, AMX), else float32; "
                        "float16 is for GPUs (default: %(default)s)")
    p.add_argument("--backend", default="auto", choices=("auto", "tensorflow", "openvino", "onnxruntime"),
                   help="runtime for the generator: auto takes OpenVINO where installed (the fast extra: pip install "
                        "'blurgen[fast]'), else ONNX Runtime where installed, else TensorFlow (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for the generator (0: all cores)")
    p.add_argument("--tile", type=int, default=1536,
                   help="images larger than this (px) on a side go in tiles of this side, a multiple of 4 "
                        "(default: %(default)s)")
    p.add_argument("--overlap", type=int, default=128, help="tile overlap in px, a multiple of 4 (default: %(default)s)")
    return p


def compare_parser() -> argparse.ArgumentParser:
    p = _parser("compare", "Compare score reports (python -m training.score) side by side: a Markdown and JSON "
                "table, a picture of the same test images restored by each model, and the training curves.")
    p.add_argument("reports", nargs="+", help="report .json files written by python -m training.score")
    p.add_argument("--out", required=True, help="folder for comparison.md/.json/.png")
    p.add_argument("--names", default=None, help="comma-separated column names, one per report")
    p.add_argument("--images", type=int, default=3, help="test images in the picture")
    p.add_argument("--data", default=None, help="shard glob to restore for the picture (default: the reports')")
    p.add_argument("--no-picture", action="store_true", help="write the table only")
    add_break_lock_flag(p)
    return p


def describe_parser() -> argparse.ArgumentParser:
    p = _parser("describe", "A preset's generator and critic as layer tables (Markdown) and pictures (PNG; "
                "the describe extra: pip install 'blurgen[describe]').")
    p.add_argument("--preset", required=True, choices=presets.preset_names(), metavar="NAME",
                   help=f"one of: {', '.join(presets.preset_names())}")
    p.add_argument("--out", required=True, help="folder for the table (.md) and pictures (.png)")
    p.add_argument("--no-pictures", action="store_true", help="write the table only")
    add_break_lock_flag(p)
    flags.add_config_flags(p)
    return p


def lpips_parser() -> argparse.ArgumentParser:
    p = _parser("lpips", "LPIPS (VGG16) weights for the lpips content loss and metric: convert the published "
                ".pth files once, without torch.")
    sub = p.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert the published .pth weights once (no torch needed)")
    conv.add_argument("--vgg16", required=True, help="torchvision vgg16-397923af.pth")
    conv.add_argument("--lin", required=True, help="lpips weights/v0.1/vgg.pth")
    conv.add_argument("--out", required=True, help="folder to write lpips_vgg16.npz into")
    add_break_lock_flag(conv)
    return p


PARSERS = {"fit": fit_parser, "score": score_parser, "deblur": deblur_parser, "compare": compare_parser,
           "describe": describe_parser, "lpips": lpips_parser}
assert set(PARSERS) == {n for n, c in COMMANDS.items() if c.side == "training"}, "a trainer command without a parser"


def parse(name: str, argv: list[str] | argparse.Namespace | None) -> argparse.Namespace:
    """``argv`` parsed by ``name``'s parser, or as is when it is already parsed (by the dispatcher)."""
    if isinstance(argv, argparse.Namespace):
        return argv
    return PARSERS[name]().parse_args(argv)


def missing_extra(exc: ModuleNotFoundError, command: str) -> str | None:
    """The one-line error for a command whose train-extra package is missing, else None."""
    top = (exc.name or "").split(".")[0]
    if top not in _TRAIN_PACKAGES:
        return None
    return f"error: {command} needs TensorFlow and Keras ({top} is not installed): {TRAIN_EXTRA}"
