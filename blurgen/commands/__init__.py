"""The commands a user types as ``blurgen NAME``.

* ``table.py``: the command table, one row per command (name, module, one-line help, the extra it
  needs, the side it runs on), read by ``blurgen --help``, the dispatcher (:mod:`blurgen.cli`)
  and each package's own command line. Plain data: reading it imports nothing else.
* ``kernels.py``, ``degrade.py``, ``preview.py``: the synthesizer's own commands, one module each
  (a click ``command``); ``common.py``: what they share (the degradation flags with ``--config``,
  the checks of output paths, the output lock as a usage error).

A new synthesizer command is a module here with a click ``command`` and a row in the table; a
pipelines or trainer command is a module in its package and a row in the table.
"""
from __future__ import annotations

from blurgen.commands.table import COMMANDS, PIPELINES, SYNTHESIZER, TRAINING, Command, on_side

__all__ = ["COMMANDS", "PIPELINES", "SYNTHESIZER", "TRAINING", "Command", "on_side"]
