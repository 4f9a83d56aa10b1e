"""Kanda et al., "Motion Deblur Using GAN" (IIT Gandhinagar): preset ``densegan``.

    python -m training.fit --preset densegan --lpips-weights lpips-weights/ --train ... --out runs/densegan

Its parts (the ``dense`` generator, the ``lpips`` content loss, DiffAugment before the critic) are
registered in :mod:`training.networks.dense`, :mod:`training.losses.lpips` and
:mod:`training.losses.diffaugment`.
"""
from __future__ import annotations

from training.presets.registry import register_preset

# Kanda et al., "Motion Deblur Using GAN" (IIT Gandhinagar): dense-block generator at constant
# resolution with a global skip, Markovian (PatchGAN) critic, WGAN-GP, L1 + LPIPS content loss,
# DiffAugment before the critic. Block sizes and loss weights are not published; ours are settings.
#   python -m training.fit --preset densegan --lpips-weights lpips-weights/ --train ... --out runs/densegan
DENSEGAN = {"generator": "dense", "gen_blocks": 4, "content_losses": ("l1", "lpips"),
            "content_weights": (100.0, 10.0), "diffaugment": "color,translation,cutout",
            "extra": (("dense_units", 4), ("dense_growth", 32))}

register_preset("densegan", DENSEGAN)
