"""The TensorFlow-free help names everything the loaded trainer registers: presets, parts, metrics.

`blurgen fit --help` is built without TensorFlow; these tests load the trainer (every registry
filled, as at training time) and check that the help names each registered name, so that a part
added without help text shows here."""
from __future__ import annotations

import training.presets  # noqa: F401  (fills every registry)
from training import config, losses, networks
from training.commands import parsers as cli
from training.commands import score
from training import presets
from training import metrics as metrics_table


def _flag_help(parser, flag: str) -> str:
    return next(a.help for a in parser._actions if flag in a.option_strings)


def test_fit_help_names_every_registered_preset_and_part():
    parser = cli.fit_parser()
    text = parser.format_help()
    for name in presets.PRESETS:
        assert f"  {name}: " in text, name
    for flag, registry in (("--generator", networks.GENERATORS), ("--critic", networks.CRITICS),
                           ("--content-losses", losses.CONTENT_LOSSES),
                           ("--adversarial", losses.ADVERSARIAL_LOSSES)):
        help_text = _flag_help(parser, flag)
        for name in registry:
            assert name in help_text.replace(",", " ").split() or f"{name} (" in help_text, (flag, name)


def test_score_help_names_every_registered_metric():
    help_text = _flag_help(cli.score_parser(), "--metrics")
    for name in metrics_table.METRICS:
        assert name in help_text, name
