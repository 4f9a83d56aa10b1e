"""The presets' registry: a preset is a name and the :class:`~training.config.TrainConfig` fields
that differ from the defaults. Each module of this folder registers its family's presets with
:func:`register_preset`; :mod:`training.presets` imports them all. Nothing here imports
TensorFlow, so ``fit --help`` and ``--preset``'s choices cost nothing.
"""
from __future__ import annotations

from typing import Any

from training.config import TrainConfig

PRESETS: dict[str, dict[str, Any]] = {}


def register_preset(name: str, overrides: dict[str, Any], replace: bool = False) -> None:
    """Add a preset (fields that differ from the defaults); checked by building its config."""
    if name in PRESETS and not replace:
        raise ValueError(f"preset {name!r} already exists")
    TrainConfig(**overrides)
    PRESETS[name] = dict(overrides)


def preset_names() -> list[str]:
    """Every registered preset, sorted."""
    return sorted(PRESETS)


def preset(name: str) -> TrainConfig:
    """The config of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return TrainConfig(**PRESETS[name])
