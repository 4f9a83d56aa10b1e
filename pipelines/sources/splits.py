"""Which split an input goes to: a fixed fraction of names to ``test``, stable as inputs are added.

The split is drawn from a stable hash of the input's name (a photo's, a pair's, a clip's), never
from Python's salted ``hash`` or the order of listing, so it is the same in every process and on
every runner, and adding inputs never moves old ones between splits. Every command (``synth``,
``pairs``, ``video``) splits by this one function.
"""
from __future__ import annotations

from blurgen.seeding import unit_interval


def split_of(name: str, test_fraction: float) -> str:
    """``"test"`` for a fixed ``test_fraction`` of names, ``"train"`` for the rest (stable as inputs are added)."""
    return "test" if unit_interval(name) < test_fraction else "train"
