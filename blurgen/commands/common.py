"""What the synthesizer's commands share: the degradation flags with ``--config``, and the
refusals every command makes before it does any work (an output path that cannot be written, an
output that is an input, an output folder another run holds), as click usage errors (exit 2).
"""
from __future__ import annotations

import contextlib
import os

import click

from blurgen.config import DegradeConfig, options
from blurgen.config.loading import load_config
from blurgen.outputs import lock, safety

PICTURE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def degradation_options(f):
    """The degradation flags of :mod:`blurgen.config.options`, plus ``--config FILE``."""
    f = options.click_options(f)
    return click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                        help="JSON file of a DegradeConfig (as manifest.json records it); flags override it.")(f)


def degrade_config(kwargs: dict) -> DegradeConfig:
    """Take ``--config`` and the flags out of a command's keyword arguments and return their
    settings (:func:`blurgen.config.loading.load_config`); a bad file or value is a usage error."""
    path, values = kwargs.pop("config_file"), options.pop_values(kwargs)
    try:
        return load_config(path, values)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None


def check_output(path: str | None, hint: str, extensions: tuple[str, ...]) -> None:
    """Refuse an output path before any work is done: its folder must exist, its extension fit."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.BadParameter(f"{path}: folder {folder} does not exist; create it first", param_hint=hint)
    if not path.lower().endswith(extensions):
        raise click.BadParameter(f"{path}: use a file name ending in {' or '.join(extensions)}", param_hint=hint)


def refuse_overwrite(outputs: list, inputs: list, fix: str = "choose another output path") -> None:
    """:func:`blurgen.outputs.safety.check_outputs` as a usage error (exit 2); the message names both files."""
    try:
        safety.check_outputs(outputs, inputs, fix)
    except safety.OverwriteError as exc:
        raise click.UsageError(str(exc)) from None


class LockRefused(click.ClickException):
    """A usage error of one line (``Error: ...``, exit status 2): the output is in use or unwritable."""

    exit_code = 2


@contextlib.contextmanager
def output_lock(out: str, command: str, break_lock: bool, what: str):
    """Hold :func:`blurgen.outputs.lock.output_lock` on ``out``; its refusals are one-line usage errors."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(lock.output_lock(out, command=command, break_lock=break_lock, what=what))
        except ValueError as exc:  # in use, a file, or not writable
            raise LockRefused(str(exc)) from None
        yield
