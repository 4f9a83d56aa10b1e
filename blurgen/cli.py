"""The ``blurgen`` command line: the dispatcher of the command table.

Every command is a row of :mod:`blurgen.commands.table`, and this group finds each one there when
it is called: ``kernels``, ``degrade`` and ``preview`` are the synthesizer's own click commands
(:mod:`blurgen.commands`); the pipelines' commands (``synth``, ``pairs``, ``video``, ``inspect``,
``export``, ``engines``) are imported only when called; the trainer's (``fit``, ``score``,
``deblur``, ``compare``, ``describe``, ``lpips``) replace this process with
``python -m training.commands NAME``, because TensorFlow and the ``tfrecord`` package cannot
share a process. This module is the one place where the synthesizer reaches the packages above
it, lazily, by the table.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys

import click

from blurgen.commands import COMMANDS, SYNTHESIZER, TRAINING, Command


class _Group(click.Group):
    """Lists every row of the command table, and imports a command only when it is called:
    ``blurgen --help`` imports neither Beam nor TensorFlow (nor the synthesizer's commands). This is
    the one place where the synthesizer reaches the packages above it, lazily, by the table."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def format_commands(self, ctx, formatter):
        # The table's help lines: listing the commands imports none of them.
        rows = [(name, COMMANDS[name].help if name in COMMANDS else self.commands[name].get_short_help_str(60))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in COMMANDS:
            return cmd
        row = COMMANDS[name]
        if row.side == SYNTHESIZER:  # the synthesizer's own: a click command in its module
            return importlib.import_module(row.module).command
        return forwarding_command(row)


_PASS_THROUGH = dict(ignore_unknown_options=True, allow_extra_args=True, help_option_names=[])


def forwarding_command(row: Command) -> click.Command:
    """A click command that hands its arguments untouched to the row's module, whose own parser
    answers ``--help`` and usage errors: a pipelines command runs its ``main(argv)`` in this
    process; a trainer command replaces this process with ``python -m training.commands NAME``
    (TensorFlow), which checks the arguments before it loads TensorFlow."""
    @click.command(name=row.name, context_settings=_PASS_THROUGH, add_help_option=False, help=row.help)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def forward(args: tuple[str, ...]) -> None:
        if row.side == TRAINING:
            run_module("training.commands", [row.name, *args])
        try:
            module = importlib.import_module(row.module)
        except ImportError as exc:
            raise click.ClickException(f"'blurgen {row.name}' needs the {row.side} package: {exc}") from exc
        raise SystemExit(module.main(list(args)))
    return forward


def run_module(module: str, args: list[str]) -> None:
    """Become ``python -m module args``: on POSIX this process is replaced (``os.execv``), so the
    trainer has this process's id and signals, and killing it (even with SIGKILL) leaves nothing
    running. Where exec cannot replace a process (Windows), the module runs as a child and its
    exit status is passed on."""
    argv = [sys.executable, "-m", module, *args]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, argv)
    sys.exit(subprocess.call(argv))  # pragma: no cover - Windows


@click.group(cls=_Group)
@click.version_option(package_name="blurgen")
def main():
    """blurgen: realistic, reproducible motion-blur training data, and a trainer to use it."""


if __name__ == "__main__":  # pragma: no cover
    main()
