"""The losses' registry: adversarial losses, content losses and critic augmentations by name.

* ``ADVERSARIAL_LOSSES[name]`` is an :class:`AdversarialLoss` (critic loss, generator loss, and
  whether a gradient penalty is used), chosen by ``cfg.adversarial``; :mod:`.adversarial` adds
  ``"wgan-gp"``, ``"bce"`` (on logits) and ``"bce-probs"``.
* ``CONTENT_LOSSES[name]`` is a builder ``fn(cfg) -> loss(sharp, restored) -> scalar``, chosen by
  ``cfg.content_losses``; :func:`build_content_loss` sums the configured ones with their weights.
* ``CRITIC_AUGMENTS`` are builders ``fn(cfg) -> augment or None``; each active ``augment(images)
  -> images`` is applied, in registration order, to every image the critic sees (DiffAugment).

A module of this folder registers its part with :func:`register_adversarial_loss`,
:func:`register_content_loss` or :func:`register_critic_augment`; :mod:`training.losses` imports
every module of the folder, so the registries are full whenever the package is imported.
Images are float in [-1, 1], ``[batch, H, W, 3]``; every loss returns a float32 scalar.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import tensorflow as tf

from training.config import TrainConfig

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
Augment = Callable[[tf.Tensor], tf.Tensor]


@dataclass(frozen=True)
class AdversarialLoss:
    """critic(real_scores, fake_scores) and generator(fake_scores) losses on raw critic outputs."""

    critic: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    generator: Callable[[tf.Tensor], tf.Tensor]
    gradient_penalty: bool


ADVERSARIAL_LOSSES: dict[str, AdversarialLoss] = {}
CONTENT_LOSSES: dict[str, Callable[[TrainConfig], LossFn]] = {}
CRITIC_AUGMENTS: list[Callable[[TrainConfig], Augment | None]] = []


def register_adversarial_loss(name: str, loss: AdversarialLoss) -> AdversarialLoss:
    ADVERSARIAL_LOSSES[name] = loss
    return loss


def register_content_loss(name: str):
    def add(fn: Callable[[TrainConfig], LossFn]):
        CONTENT_LOSSES[name] = fn
        return fn
    return add


def register_critic_augment(builder: Callable[[TrainConfig], Augment | None]):
    """Add a builder to ``CRITIC_AUGMENTS`` (each active one is applied in registration order)."""
    CRITIC_AUGMENTS.append(builder)
    return builder


def build_adversarial_loss(cfg: TrainConfig) -> AdversarialLoss:
    if cfg.adversarial not in ADVERSARIAL_LOSSES:
        raise ValueError(f"unknown adversarial loss {cfg.adversarial!r}; choose one of {sorted(ADVERSARIAL_LOSSES)}")
    return ADVERSARIAL_LOSSES[cfg.adversarial]


def build_content_loss(cfg: TrainConfig) -> Callable[[tf.Tensor, tf.Tensor], dict[str, tf.Tensor]]:
    """``fn(sharp, restored) -> {"content": weighted sum, "<name>": each unweighted term}``."""
    terms = []
    for name, weight in zip(cfg.content_losses, cfg.content_weights):
        if name not in CONTENT_LOSSES:
            raise ValueError(f"unknown content loss {name!r}; registered: {sorted(CONTENT_LOSSES)}")
        terms.append((name, float(weight), CONTENT_LOSSES[name](cfg)))

    def content(sharp, restored):
        out = {}
        total = tf.constant(0.0)
        for name, weight, fn in terms:
            value = fn(sharp, restored)
            out[name] = value
            total = total + weight * value
        out["content"] = total
        return out

    return content


def build_critic_augment(cfg: TrainConfig) -> Augment | None:
    """Every active critic augmentation of ``cfg`` chained, or None when none is active."""
    active = [fn for fn in (b(cfg) for b in CRITIC_AUGMENTS) if fn is not None]
    if not active:
        return None

    def augment(images):
        for fn in active:
            images = fn(images)
        return images
    return augment
