"""DeblurGAN (Kupyn et al. 2018): its settings are :class:`~training.config.TrainConfig`'s defaults.

    python -m training.fit --preset deblurgan --train 'shards/*-train.tfrecord-*' --out runs/dg
"""
from __future__ import annotations

from training.presets.registry import register_preset

# DeblurGAN (Kupyn et al. 2018), its defaults are TrainConfig's: the paper's ResNet-9, PatchGAN,
# WGAN-GP, VGG19 conv3_3 x100, Adam 1e-4 with linear decay (README: where it differs and why).
#   python -m training.fit --preset deblurgan --train 'shards/*-train.tfrecord-*' --out runs/dg
register_preset("deblurgan", {})
