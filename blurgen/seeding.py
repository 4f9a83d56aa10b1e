"""Deterministic per-example randomness.

Every random choice for one example comes from ``example_rng(seed, key, variant)``, never from
global state, so the same inputs and seed give the same pairs whatever the runner, the number of
workers or the order in which elements arrive. Python's ``hash()`` is salted per process and
must never be used for this; :func:`stable_hash` is the same everywhere.
"""
from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(text: str) -> int:
    """A 64-bit non-negative integer from ``text``, the same on every machine and process."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def example_rng(seed: int, key: str, variant: int = 0) -> np.random.Generator:
    """The generator for one example: ``default_rng([seed, stable_hash(key), variant])``."""
    if seed < 0 or variant < 0:
        raise ValueError(f"seed and variant must be non-negative, got seed={seed}, variant={variant}")
    return np.random.default_rng([int(seed), stable_hash(key), int(variant)])


def unit_interval(text: str) -> float:
    """A number in [0, 1) fixed by ``text``: splits are ``unit_interval(source) < test_fraction``,
    so adding photos never moves old ones to another split."""
    return stable_hash(text) / 2.0**64
