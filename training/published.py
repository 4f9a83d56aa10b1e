"""The published systems' presets as plain settings: ``li2024`` and ``densegan``.

Only field values live here (no TensorFlow), so that ``fit --help`` lists every preset without
loading the trainer. The parts these presets name (generators ``li2024`` and ``dense``, critic
``li2024``, losses ``vgg16`` and ``lpips``, DiffAugment) join the registries in
:mod:`training.presets`, which imports this module.
"""
from __future__ import annotations

from training.config import PRESETS, register_preset

# Li, "Generative Adversarial Network on Motion-Blur Image Restoration" (2024): ResNet-9 with batch
# norm and dropout 0.5 (11.4 M parameters), a 6-convolution 4x4 LeakyReLU discriminator with a
# sigmoid head (3.1 M at 256 px), binary cross-entropy plus VGG16 block3_conv3, 256 px crops,
# batch 16. The paper gives no content weight; 100 follows DeblurGAN.
#   python -m training.fit --preset li2024 --train 'shards/*-train.tfrecord-*' --out runs/li2024
LI2024 = {"generator": "li2024", "gen_norm": "batch", "gen_dropout": 0.5, "critic": "li2024",
          "adversarial": "bce", "critic_steps": 1, "content_losses": ("vgg16",), "content_weights": (100.0,),
          "crop": 256, "batch": 16}
# Kanda et al., "Motion Deblur Using GAN" (IIT Gandhinagar): dense-block generator at constant
# resolution with a global skip, Markovian (PatchGAN) critic, WGAN-GP, L1 + LPIPS content loss,
# DiffAugment before the critic. Block sizes and loss weights are not published; ours are settings.
#   python -m training.fit --preset densegan --lpips-weights lpips-weights/ --train ... --out runs/densegan
DENSEGAN = {"generator": "dense", "gen_blocks": 4, "content_losses": ("l1", "lpips"),
            "content_weights": (100.0, 10.0), "diffaugment": "color,translation,cutout",
            "extra": (("dense_units", 4), ("dense_growth", 32))}

for _name, _overrides in (("li2024", LI2024), ("densegan", DENSEGAN)):
    if _name not in PRESETS:  # a registration made elsewhere first (a test's, a user's) is kept
        register_preset(_name, _overrides)
