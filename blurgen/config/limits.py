"""The physical range of every degradation setting, declared with the setting and checked in one place.

Each field of the settings dataclasses in :mod:`blurgen.config` is declared with
:func:`setting` (a number, a ``(low, high)`` range or a list of numbers, within :class:`Limits`),
:func:`choice` (one of some words) or :func:`switch` (true/false). Their ``__post_init__`` calls
:func:`check`, so the library, ``--config`` files and command-line flags all meet the same check:
a value outside its range, NaN, infinity or a value of the wrong type raises :class:`SettingError`
naming the setting, its range and why the range is what it is. :func:`describe` gives the same
range as text for ``--help`` and the README.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

VALUE, RANGE, LIST = "value", "range", "list"
ROWS = "rows"  # rows of numbers (a trajectory: one row per instant), each number within the limits


class SettingError(ValueError):
    """A setting outside its range; ``key`` is its dotted name (``camera.gamma``)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Limits:
    """Where a number may lie: ``low`` to ``high`` (``low`` excluded when ``low_open``), in ``unit``.

    ``shape`` says what the setting holds: one number (``"value"``), a ``(low, high)`` range to
    draw from (``"range"``), one or more numbers to choose from (``"list"``) or one or more rows
    of numbers (``"rows"``, e.g. a trajectory; the owner checks the row length); ``optional``
    also allows ``None``; ``why`` is the reason for the range, shown in errors and docs.
    """

    low: float
    high: float
    why: str
    unit: str = ""
    integer: bool = False
    low_open: bool = False
    shape: str = VALUE
    optional: bool = False

    def allows(self, x: Any) -> bool:
        """Whether one number lies in the limits (False for NaN, infinity, bools and non-numbers)."""
        kind = numbers.Integral if self.integer else numbers.Real
        if isinstance(x, bool) or not isinstance(x, kind):
            return False
        above = x > self.low if self.low_open else x >= self.low
        return bool(above and x <= self.high)

    def bounds(self) -> str:
        """``"1 to 3"``, ``"above 0 up to 1"``; with the unit and 'whole number' where they apply."""
        lo, hi = _num(self.low), _num(self.high)
        text = f"above {lo} up to {hi}" if self.low_open else f"{lo} to {hi}"
        text += f" {self.unit}" if self.unit else ""
        return f"a whole number {text}" if self.integer else text


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def setting(default: Any, limits: Limits) -> Any:
    """A dataclass field holding numbers within ``limits``."""
    return dataclasses.field(default=default, metadata={"limits": limits})


def choice(default: str, choices: tuple[str, ...]) -> Any:
    """A dataclass field holding one of ``choices``."""
    return dataclasses.field(default=default, metadata={"choices": choices})


def choices(default: tuple[str, ...], allowed: tuple[str, ...]) -> Any:
    """A dataclass field holding one or more of ``allowed`` (drawn from per image)."""
    return dataclasses.field(default=default, metadata={"choices": allowed, "several": True})


def switch(default: bool) -> Any:
    """A dataclass field holding true or false."""
    return dataclasses.field(default=default, metadata={"switch": True})


def describe(f: dataclasses.Field) -> str:
    """The allowed values of a field declared by this module, as one phrase."""
    meta = f.metadata
    if "choices" in meta:
        return ("one or more of " if meta.get("several") else "one of ") + ", ".join(meta["choices"])
    if "switch" in meta:
        return "true or false"
    return describe_limits(meta["limits"])


def describe_limits(lim: Limits) -> str:
    """The values ``lim`` allows, as one phrase."""
    text = {VALUE: lim.bounds(), RANGE: f"a (low, high) range with low <= high, each {lim.bounds()}",
            LIST: f"one or more values, each {lim.bounds()}",
            ROWS: f"one or more rows of numbers, each {lim.bounds()}"}[lim.shape]
    return text + (", or none" if lim.optional else "")


def _check_limits(key: str, value: Any, lim: Limits) -> None:
    if value is None and lim.optional:
        return
    if lim.shape == VALUE:
        ok = lim.allows(value)
    elif lim.shape == RANGE:
        ok = (isinstance(value, (tuple, list)) and len(value) == 2 and all(lim.allows(v) for v in value)
              and value[0] <= value[1])
    elif lim.shape == ROWS:
        ok = (isinstance(value, (tuple, list)) and len(value) > 0
              and all(isinstance(r, (tuple, list)) and len(r) > 0 and all(lim.allows(v) for v in r) for r in value))
    else:
        ok = isinstance(value, (tuple, list)) and len(value) > 0 and all(lim.allows(v) for v in value)
    if not ok:
        raise SettingError(key, f"{key} must be {describe_limits(lim)} ({lim.why}), got {value!r}")


def _chosen(value: Any, meta: dict) -> bool:
    if not meta.get("several"):
        return value in meta["choices"]
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and all(isinstance(v, str) and v in meta["choices"] for v in value))


def check(obj: Any, prefix: str) -> None:
    """Check every declared field of the dataclass ``obj``; ``prefix`` names its part (``"camera."``).

    Raises:
      SettingError: the first field outside its limits.
    """
    for f in dataclasses.fields(obj):
        value, key = getattr(obj, f.name), prefix + f.name
        if "limits" in f.metadata:
            _check_limits(key, value, f.metadata["limits"])
        elif "choices" in f.metadata and not _chosen(value, f.metadata):
            raise SettingError(key, f"{key} must be {describe(f)}, got {value!r}")
        elif "switch" in f.metadata and not isinstance(value, bool):
            raise SettingError(key, f"{key} must be true or false, got {value!r}")


def table(cls: type, prefix: str) -> list[tuple[str, str, str, str]]:
    """``(key, default, allowed values, why)`` of every declared field of ``cls``, nested parts
    (fields whose default is a dataclass) included, for the README."""
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            rows += table(type(default), f"{prefix}{f.name}.")
            continue
        why = f.metadata["limits"].why if "limits" in f.metadata else ""
        rows.append((prefix + f.name, repr(default).replace("'", ""), describe(f), why))
    return rows
