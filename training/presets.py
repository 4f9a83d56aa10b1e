"""Where the published variants' parts join the trainer's registries by name.

:func:`training.config.preset` and the registries' look-ups import this module, so the names
below work in ``--generator``, ``--critic``, ``--content-losses`` and ``score --metrics`` without
an import elsewhere. Each builder imports its module only when it is used, so a missing or
broken optional part fails only the runs that ask for it.

Names: generators ``li2024`` and ``dense``; critic ``li2024`` (returns logits, for the ``bce``
loss); content losses ``vgg16`` (block3_conv3 feature MSE) and ``lpips``; a critic augmentation
switched on by ``--diffaugment color,translation,cutout``; score metrics ``ms_ssim``,
``vifp``, ``fsim`` and ``lpips`` (with ``score --lpips-weights DIR``); and the presets ``li2024``
and ``densegan``.
"""
from __future__ import annotations

from training import gan, losses, networks
from training.config import PRESETS, register_preset


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


def _extra_metric(name):
    def metric(sharp, test):
        from training.metrics_extra import EXTRA_METRICS
        return EXTRA_METRICS[name](sharp, test)
    return metric


# setdefault: a registration made elsewhere first (a test's, a user's) is kept.
networks.GENERATORS.setdefault("li2024", _li2024_generator)
networks.GENERATORS.setdefault("dense", _dense_generator)
networks.GENERATORS.setdefault("unet", _unet_generator)
networks.CRITICS.setdefault("li2024", _li2024_critic)
losses.CONTENT_LOSSES.setdefault("vgg16", _vgg16_loss)
losses.CONTENT_LOSSES.setdefault("lpips", _lpips_loss)
if _diffaugment not in gan.CRITIC_AUGMENTS:
    gan.register_critic_augment(_diffaugment)


def _lpips_needs_weights(sharp, test):
    # Scoring with LPIPS needs its weights, which only the caller knows: `training.score
    # --lpips-weights DIR` passes `lpips_metric(DIR)` in place of this placeholder.
    from training.lpips import HOW_TO_GET
    raise ValueError("the lpips metric needs weights: pass --lpips-weights DIR to python -m training.score. "
                     + HOW_TO_GET.format(where="DIR"))


def _register_metrics() -> None:
    from training import score
    for name in ("ms_ssim", "vifp", "fsim"):
        score.METRICS.setdefault(name, _extra_metric(name))
    score.METRICS.setdefault("lpips", _lpips_needs_weights)


_register_metrics()


# Li, "Generative Adversarial Network on Motion-Blur Image Restoration" (2024): ResNet-9 with batch
# norm and dropout 0.5 (11.4 M parameters), a 6-convolution 4x4 LeakyReLU discriminator with a
# sigmoid head (3.1 M at 256 px), binary cross-entropy plus VGG16 block3_conv3, 256 px crops,
# batch 16. The paper gives no content weight; 100 follows DeblurGAN.
#   python -m training.fit --preset li2024 --train 'shards/*-train.tfrecord-*' --out runs/li2024
_LI2024 = {"generator": "li2024", "gen_norm": "batch", "gen_dropout": 0.5, "critic": "li2024",
           "adversarial": "bce", "critic_steps": 1, "content_losses": ("vgg16",), "content_weights": (100.0,),
           "crop": 256, "batch": 16}
# Kanda et al., "Motion Deblur Using GAN" (IIT Gandhinagar): dense-block generator at constant
# resolution with a global skip, Markovian (PatchGAN) critic, WGAN-GP, L1 + LPIPS content loss,
# DiffAugment before the critic. Block sizes and loss weights are not published; ours are settings.
#   python -m training.fit --preset densegan --lpips-weights lpips-weights/ --train ... --out runs/densegan
_DENSEGAN = {"generator": "dense", "gen_blocks": 4, "content_losses": ("l1", "lpips"),
             "content_weights": (100.0, 10.0), "diffaugment": "color,translation,cutout",
             "extra": (("dense_units", 4), ("dense_growth", 32))}
for _name, _overrides in (("li2024", _LI2024), ("densegan", _DENSEGAN)):
    if _name not in PRESETS:
        register_preset(_name, _overrides)
