"""The ``blurgen synth``, ``blurgen pairs``, ``blurgen video``, ``blurgen inspect`` and ``blurgen export`` commands.

blurgen's click group imports these lazily. Each forwards its arguments untouched to the same
``main(argv)`` as ``python -m pipelines.<module>``, whose parser knows the pipeline's own flags and
hands every other flag to Apache Beam; ``--help`` shows the full list.
"""
from __future__ import annotations

import click

_PASS_THROUGH = dict(ignore_unknown_options=True, allow_extra_args=True, help_option_names=[])


def _forward(name: str, help_text: str, module: str) -> click.Command:
    @click.command(name=name, context_settings=_PASS_THROUGH, add_help_option=False, help=help_text)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        import importlib

        code = importlib.import_module(module).main(list(args))
        raise SystemExit(code)

    return command


synth = _forward("synth", "Synthesize blurred/sharp pairs from sharp photos into TFRecord shards "
                 "(--src DIR --out DIR [--variants N --seed S --patch P ...] [Beam flags]); --help for all flags.",
                 "pipelines.synth")
pairs = _forward("pairs", "Pack real pairs into TFRecord shards (--layout gopro|folders|realblur|side-by-side "
                 "--src ... --out DIR [Beam flags]); --help for all flags.", "pipelines.pairs")
video = _forward("video", "Blur sharp video by integrating an exposure over its frames into blurred/sharp pairs "
                 "in TFRecord shards (--src CLIPS --out DIR --exposure 1/30 | --frames N [--fps R] [Beam flags]); "
                 "--help for all flags.",
                 "pipelines.video")
inspect = _forward("inspect", "Check a dataset's shards against its metadata, verify every CRC "
                   "(DIR [--deep] [--sheet sheet.png] [--card [--license ID]]); --help for all flags.",
                   "pipelines.inspection")
export = _forward("export", "Write a dataset's pairs as Parquet files that Hugging Face datasets loads, with the "
                  "dataset card (DIR --to parquet OUT); --help for all flags.", "pipelines.export")
