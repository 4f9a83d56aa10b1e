"""The pipelines' commands as click commands: ``synth``, ``pairs``, ``video``, ``inspect``,
``export`` and ``engines``, one per ``pipelines`` row of :mod:`blurgen.commands`.

Each forwards its arguments untouched to the same ``main(argv)`` as ``python -m <module>``, whose
parser knows the command's own flags and hands every other flag to Apache Beam; ``--help`` shows
the full list. ``blurgen NAME`` builds the same command from the same row.
"""
from __future__ import annotations

from blurgen.cli import forwarding_command
from blurgen.commands import PIPELINES, on_side

COMMANDS = {name: forwarding_command(row) for name, row in on_side(PIPELINES).items()}
synth, pairs, video, inspect, export, engines = (COMMANDS[n] for n in ("synth", "pairs", "video", "inspect",
                                                                        "export", "engines"))
