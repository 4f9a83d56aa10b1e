"""A command's degradation settings: the ``--config`` file (or the defaults), then its flags over it.

Every command that blurs (``blurgen kernels``, ``degrade``, ``preview``, and the pipelines'
``synth`` and ``video``) takes its :class:`~blurgen.config.DegradeConfig` from
:func:`load_config`, so a file and a flag are read, checked and refused the same way everywhere:

    cfg = load_config(args.config, vars(args))                    # a local file
    cfg = load_config(args.config, vars(args), read=read_remote)  # gs:// through the caller's file system

Precedence: a flag that was given beats the file, which beats the defaults of
:mod:`blurgen.config.settings`. Every refusal is a ``ValueError`` of one line that names the
flag (``--config`` and the file, or the flag that set a bad value) and what to fix.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from blurgen.config.options import apply_flags
from blurgen.config.settings import DegradeConfig

CONFIG_FLAG = "--config"


def read_text(path: str, flag: str = CONFIG_FLAG) -> str:
    """A local UTF-8 text file the user named with ``flag``.

    Raises:
      ValueError: it cannot be read or is not UTF-8; the message names the flag and the file.
    """
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot be read ({exc.strerror or exc}); check the path") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{flag} {path}: is not a UTF-8 text file ({exc})") from None


def config_from_text(text: str, path: str, flag: str = CONFIG_FLAG) -> DegradeConfig:
    """The :class:`DegradeConfig` of a JSON text (as :meth:`DegradeConfig.to_dict` writes it and
    ``manifest.json`` records it); keys that are missing take their defaults.

    Raises:
      ValueError: not JSON, an unknown key or a value outside its range; the message names
        ``flag``, ``path`` and the key.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{flag} {path}: not valid JSON: {exc}; fix the file there "
                         "(blurgen's own configs are written by DegradeConfig.to_dict)") from None
    try:
        return DegradeConfig.from_dict(data)
    except (ValueError, TypeError) as exc:  # an unknown key, a wrong kind, a setting outside its range
        raise ValueError(f"{flag} {path}: {exc}; fix that setting in the file") from None


def load_config(path: str | None, values: dict[str, Any],
                read: Callable[[str, str], str] = read_text) -> DegradeConfig:
    """The settings of one command: the file at ``path`` (None: the defaults), then the flags.

    Args:
      path: the ``--config`` file, or None.
      values: the flags' values by their ``dest`` (an ``argparse`` namespace's ``vars``, or a
        click command's keyword arguments); a flag that was not given is absent or None.
      read: ``read(path, flag) -> text``, raising ValueError naming both; the pipelines pass one
        that reads through Beam's file systems (``gs://``).

    Raises:
      ValueError: the file cannot be read or holds a bad setting, or a flag's value is bad.
    """
    base = config_from_text(read(path, CONFIG_FLAG), path) if path else DegradeConfig()
    return apply_flags(values, base)
