"""The command table: every command a user types as ``blurgen NAME``, in one place.

Each row names the command, the module that runs it, the one line ``blurgen --help`` shows, the
extra it needs (``pip install 'blurgen[EXTRA]'``) and the process it runs in. ``blurgen --help``,
the ``blurgen`` dispatcher (:mod:`blurgen.cli`), the pipelines' click commands
(:mod:`pipelines.cli`) and the trainer's dispatcher (:mod:`training.commands`) all read it, so a
command is added by adding its row here and its module in its package. The table is plain data:
it imports nothing, so reading it costs nothing and reaches no layer above this one.

Sides: ``synthesizer`` commands are click commands (each module's ``command``) of the ``blurgen``
group, in :mod:`blurgen.commands`; ``pipelines`` commands run in the ``blurgen`` process (Apache
Beam, never TensorFlow); ``training`` commands run in a fresh Python process
(``python -m training.commands NAME``), because TensorFlow and the ``tfrecord`` package cannot
share one.
"""
from __future__ import annotations

from dataclasses import dataclass

SYNTHESIZER, PIPELINES, TRAINING = "synthesizer", "pipelines", "training"


@dataclass(frozen=True)
class Command:
    """One row: ``blurgen NAME`` runs ``module``'s ``main(argv)`` (``python -m module`` too), or,
    for the synthesizer's own commands, its click ``command``."""

    name: str
    module: str
    help: str
    extra: str | None
    side: str


_ROWS = (
    Command("kernels", "blurgen.commands.kernels",
            "Draw random blur kernels to an .npz file, with an optional gallery picture.", None, SYNTHESIZER),
    Command("degrade", "blurgen.commands.degrade", "Blur one photo realistically (shake, noise, JPEG) and say how.",
            None, SYNTHESIZER),
    Command("preview", "blurgen.commands.preview", "Blurred/sharp panels of photos, titled with every draw, to check settings.",
            None, SYNTHESIZER),
    Command("synth", "pipelines.synth", "Beam pipeline: sharp photos to blurred/sharp TFRecord shards.", None, PIPELINES),
    Command("pairs", "pipelines.pairs",
            "Beam pipeline: real blurred/sharp pairs (GoPro, folders, RealBlur, side by side) to shards.",
            None, PIPELINES),
    Command("video", "pipelines.video",
            "Beam pipeline: sharp video (files or frame folders) to frame-averaged blurred/sharp shards.",
            None, PIPELINES),
    Command("inspect", "pipelines.inspection",
            "Check a shard folder (counts, CRCs), draw a contact sheet, write a dataset card (--card).",
            None, PIPELINES),
    Command("export", "pipelines.export", "Write a dataset's pairs as Parquet files for the Hugging Face Hub, with its card.",
            "hub", PIPELINES),
    Command("engines", "pipelines.engines",
            "Fetch Beam's Flink and Spark runners with Maven (for --runner FlinkRunner|SparkRunner).", None, PIPELINES),
    Command("fit", "training.commands.fit", "Train a deblurring GAN on shards (needs: pip install 'blurgen[train]').",
            "train", TRAINING),
    Command("score", "training.commands.score",
            "Score a model or the blurry input: PSNR, SSIM, ... (needs: pip install 'blurgen[train]').",
            "train", TRAINING),
    Command("deblur", "training.commands.deblur",
            "Deblur photos with a trained model (needs: pip install 'blurgen[train]').", "train", TRAINING),
    Command("compare", "training.commands.compare",
            "Compare score reports side by side: a table, a picture, the training curves.", "train", TRAINING),
    Command("describe", "training.commands.describe",
            "A preset's networks as layer tables and pictures (pictures need 'blurgen[describe]').", "train", TRAINING),
    Command("lpips", "training.commands.lpips",
            "Convert the published LPIPS weights once (lpips convert), for --metrics lpips.", "train", TRAINING),
)
COMMANDS: dict[str, Command] = {c.name: c for c in _ROWS}


def on_side(side: str) -> dict[str, Command]:
    """The rows of one side, by name."""
    return {name: c for name, c in COMMANDS.items() if c.side == side}
