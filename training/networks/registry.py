"""The networks' registry: generators and critics, built by name from a
:class:`~training.config.TrainConfig`.

``GENERATORS`` and ``CRITICS`` map a name (``cfg.generator``, ``cfg.critic``) to a builder
``fn(cfg) -> keras.Model``. A module of this folder adds its network with::

    from training.networks.registry import register_generator
    @register_generator("dense")
    def dense_generator(cfg): ...

and :mod:`training.networks` imports every module of the folder, so that the registry is full
whenever any part of the package is imported.

Generators take and return float images in [-1, 1], ``[batch, H, W, 3]`` with H and W any
multiples of 4 (:func:`training.inference.restorer.restore` pads other sizes). Their last layers run in
float32 even under mixed precision, so outputs and losses stay exact.
"""
from __future__ import annotations

from typing import Callable

import keras

from training.config import TrainConfig

Builder = Callable[[TrainConfig], keras.Model]
GENERATORS: dict[str, Builder] = {}
CRITICS: dict[str, Builder] = {}


def register_generator(name: str) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        GENERATORS[name] = fn
        return fn
    return add


def register_critic(name: str) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        CRITICS[name] = fn
        return fn
    return add


def _lookup(registry: dict[str, Builder], kind: str, name: str) -> Builder:
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; registered: {sorted(registry)}")
    return registry[name]


def build_generator(cfg: TrainConfig) -> keras.Model:
    """The generator named by ``cfg.generator``."""
    return _lookup(GENERATORS, "generator", cfg.generator)(cfg)


def build_critic(cfg: TrainConfig) -> keras.Model:
    """The critic named by ``cfg.critic``."""
    return _lookup(CRITICS, "critic", cfg.critic)(cfg)


def parameter_counts(model: keras.Model) -> dict[str, int]:
    """``{"total", "trainable", "non_trainable"}`` parameter counts of a built model.

    Non-trainable parameters are batch norm's moving means and variances; they are counted in
    the total, as Keras' ``summary()`` (and so the Li paper's table) counts them.
    """
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}
