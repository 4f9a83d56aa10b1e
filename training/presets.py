"""Where the published variants' parts join the trainer's registries by name.

:func:`training.config.preset` and the registries' look-ups import this module, so the names
below work in ``--generator``, ``--critic``, ``--content-losses`` and ``score --metrics`` without
an import elsewhere. Each builder imports its module only when it is used, so a missing or
broken optional part fails only the runs that ask for it.

Names: generators ``li2024`` and ``dense``; critic ``li2024`` (returns logits, for the ``bce``
loss); content losses ``vgg16`` (block3_conv3 feature MSE) and ``lpips``; a critic augmentation
switched on by ``--diffaugment color,translation,cutout``. The presets ``li2024`` and ``densegan``
are plain settings in :mod:`training.published`, and the score metrics ``ms_ssim``, ``vifp``,
``fsim`` and ``lpips`` are registered in :mod:`training.score`, so that help lists them without
TensorFlow.
"""
from __future__ import annotations

from training import gan, losses, networks


def _li2024_generator(cfg):
    from training.nets_li2024 import li2024_generator
    return li2024_generator(cfg)


def _li2024_critic(cfg):
    from training.nets_li2024 import li2024_critic
    return li2024_critic(cfg)


def _dense_generator(cfg):
    from training.nets_dense import dense_generator
    return dense_generator(cfg)


def _unet_generator(cfg):
    from training.nets_unet import unet_generator
    return unet_generator(cfg)


def _vgg16_loss(cfg):
    return losses.perceptual_loss("vgg16", "block3_conv3", cfg.vgg_weights)


def _lpips_loss(cfg):
    from training.lpips import lpips_loss
    return lpips_loss(cfg)


def _diffaugment(cfg):
    if (cfg.diffaugment or cfg.get_extra("diffaugment", "")) in ("", "none", None):
        return None
    from training.diffaugment import diff_augment_from_config
    return diff_augment_from_config(cfg)


# setdefault: a registration made elsewhere first (a test's, a user's) is kept.
networks.GENERATORS.setdefault("li2024", _li2024_generator)
networks.GENERATORS.setdefault("dense", _dense_generator)
networks.GENERATORS.setdefault("unet", _unet_generator)
networks.CRITICS.setdefault("li2024", _li2024_critic)
losses.CONTENT_LOSSES.setdefault("vgg16", _vgg16_loss)
losses.CONTENT_LOSSES.setdefault("lpips", _lpips_loss)
if _diffaugment not in gan.CRITIC_AUGMENTS:
    gan.register_critic_augment(_diffaugment)


# The presets that use these parts (li2024, densegan) are plain settings in training.published,
# so that `fit --help` can list them without TensorFlow.
import training.published  # noqa: E402,F401
