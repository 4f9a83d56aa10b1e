"""The losses: adversarial losses, content losses and critic augmentations, each registered by
name in :mod:`.registry`.

To add a loss, drop a module into this folder that registers it (``@register_content_loss
("name")``, :func:`~training.losses.registry.register_adversarial_loss`, or
``@register_critic_augment``) and add it to the import list below; ``--content-losses name`` (or
``--adversarial name``) then uses it. Importing any part of this package fills the registries.

  * :mod:`.adversarial`: ``wgan-gp``, ``bce``, ``bce-probs`` and the gradient penalty.
  * :mod:`.content`: ``l1``, ``fft``, ``vgg19`` (DeblurGAN's) and ``vgg16`` (Li 2024's).
  * :mod:`.lpips`: the LPIPS network (``lpips``), a content loss and, through
    :mod:`training.metrics`, a metric.
  * :mod:`.diffaugment`: DiffAugment, differentiable augmentation of every image the critic sees.
"""
from __future__ import annotations

from training.losses import adversarial, content, diffaugment, lpips  # noqa: F401  (they register)
from training.losses.registry import (ADVERSARIAL_LOSSES, CONTENT_LOSSES, CRITIC_AUGMENTS, AdversarialLoss,
                                      build_adversarial_loss, build_content_loss, build_critic_augment,
                                      register_adversarial_loss, register_content_loss, register_critic_augment)

__all__ = ["ADVERSARIAL_LOSSES", "CONTENT_LOSSES", "CRITIC_AUGMENTS", "AdversarialLoss", "build_adversarial_loss",
           "build_content_loss", "build_critic_augment", "register_adversarial_loss", "register_content_loss",
           "register_critic_augment"]
