"""Presets as configuration, one file per family, each with the command that runs it.

  * :mod:`.deblurgan`: ``deblurgan``, the defaults (Kupyn et al. 2018).
  * :mod:`.cpu`: ``cpu`` and ``smoke``, networks that train on a CPU.
  * :mod:`.li2024`: ``li2024`` (Li 2024).
  * :mod:`.densegan`: ``densegan`` (Kanda et al.).

A new family is a new module here that calls :func:`register_preset`, added to the import list
below; importing this package fills ``PRESETS``. Presets name their parts (generator, critic,
losses) by the names of :mod:`training.networks` and :mod:`training.losses`.
"""
from __future__ import annotations

from training.presets import cpu, deblurgan, densegan, li2024  # noqa: F401  (they register)
from training.presets.registry import PRESETS, preset, preset_names, register_preset

__all__ = ["PRESETS", "preset", "preset_names", "register_preset"]
