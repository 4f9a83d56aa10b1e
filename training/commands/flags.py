"""The trainer's settings on the command line: one flag per :class:`~training.config.TrainConfig`
field, made from the field's default and help text, and the flags given applied to a preset or a
saved run's settings.

Tuples take comma-separated values (``--content-losses vgg19,l1 --content-weights 100,1``);
booleans take ``true``/``false`` (a bare ``--mixed-precision`` means true). Every flag's own
default is None, so that only the flags given on the command line override the preset.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from training.config import TrainConfig, field_help, flag_name
from training.presets import PRESETS, preset_names


def _show(value: Any) -> str:
    """A default as it is typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value) if value else "none"
    return repr(value) if value == "" else str(value)


def presets_epilog() -> str:
    """What each preset changes from the defaults, for the end of ``fit --help``."""
    lines = ["presets (each changes these settings from the defaults above):"]
    for name in preset_names():
        changes = ", ".join(f"{flag_name(k)} {_show(v)}" for k, v in PRESETS[name].items() if k != "extra")
        extra = dict(PRESETS[name].get("extra", ()))
        if extra:
            changes += (", " if changes else "") + ", ".join(f"--extra {k}={json.dumps(v)}" for k, v in extra.items())
        lines.append(f"  {name}: {changes or 'nothing (the defaults are this preset)'}")
    return "\n".join(lines)


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--field-name`` flag per field of :class:`TrainConfig`, with the field's help text and
    default (a preset may change the default; the flag's own default stays None, so that only the
    flags given on the command line override the preset or the saved run).

    Tuples take comma-separated values (``--content-losses vgg19,l1 --content-weights 100,1``);
    booleans take ``true``/``false`` (a bare ``--mixed-precision`` means true).
    Values are checked as they are parsed, so a bad one (``--crop abc``) stops with argparse's
    usage error naming the flag and what it expects (exit status 2).
    """
    group = parser.add_argument_group("training settings (every TrainConfig field; a --preset changes some "
                                      "defaults, listed at the end)")
    for f in dataclasses.fields(TrainConfig):
        flag = flag_name(f.name)
        text = field_help(f.name).replace("%", "%%")
        if f.name == "extra":
            group.add_argument(flag, dest=f.name, action="append", default=None, metavar="NAME=JSON", help=text)
        elif isinstance(f.default, bool):
            group.add_argument(flag, dest=f.name, nargs="?", const=True, type=_parse_bool, default=None,
                               metavar="true|false", help=f"{text} (default: {_show(f.default)})")
        else:
            group.add_argument(flag, dest=f.name, default=None, metavar=f.name.upper(), type=_flag_type(f),
                               help=f"{text} (default: {_show(f.default)})")


def _flag_type(f: dataclasses.Field):
    """A converter that raises ``ArgumentTypeError`` saying what the field expects."""
    def convert(kind, what):
        def parse(text: str):
            try:
                return kind(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        return parse

    if isinstance(f.default, int):
        return convert(int, "an integer")
    if isinstance(f.default, float):
        return convert(float, "a number")
    if isinstance(f.default, tuple) and _numeric_tuple(f.name):
        return convert(lambda t: tuple(float(p) for p in t.split(",") if p), "comma-separated numbers, e.g. 100,1")
    if isinstance(f.default, tuple):
        return lambda text: tuple(p for p in text.split(",") if p)
    return str


def _numeric_tuple(name: str) -> bool:
    return name.endswith("weights") and name not in ("vgg_weights", "lpips_weights")


def config_from_args(args: argparse.Namespace, base: TrainConfig) -> TrainConfig:
    """``base`` with every flag given on the command line applied (strings converted by field type)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(TrainConfig):
        value = getattr(args, f.name, None)
        if value is None:
            continue
        current = getattr(base, f.name)
        if f.name == "extra":
            pairs = dict(base.extra)
            for item in value:
                k, sep, v = item.partition("=")
                if not sep:
                    raise ValueError(f"--extra takes NAME=JSON, got {item!r}")
                try:
                    pairs[k] = json.loads(v)
                except json.JSONDecodeError:
                    pairs[k] = v
            value = tuple(pairs.items())
        else:
            # Flags arrive converted by add_config_flags; a Namespace built by hand may hold strings.
            value = _convert(f, value, current)
        changes[f.name] = value
    return base.replace(**changes)


def _convert(f: dataclasses.Field, value: Any, current: Any) -> Any:
    """``value`` as ``current``'s type; a ValueError names the flag and what it expects."""
    if not isinstance(value, str):
        return value
    try:
        return _parse_bool(value) if isinstance(current, bool) else _flag_type(f)(value)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{flag_name(f.name)}: {exc}") from None
