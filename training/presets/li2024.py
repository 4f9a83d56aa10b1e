"""Li (2024), "Generative Adversarial Network on Motion-Blur Image Restoration": preset ``li2024``.

    python -m training.fit --preset li2024 --train 'shards/*-train.tfrecord-*' --out runs/li2024

Its parts (generator and critic ``li2024``, the ``vgg16`` content loss) are registered in
:mod:`training.networks.li2024` and :mod:`training.losses.content`.
"""
from __future__ import annotations

from training.presets.registry import register_preset

# Li, "Generative Adversarial Network on Motion-Blur Image Restoration" (2024): ResNet-9 with batch
# norm and dropout 0.5 (11.4 M parameters), a 6-convolution 4x4 LeakyReLU discriminator with a
# sigmoid head (3.1 M at 256 px), binary cross-entropy plus VGG16 block3_conv3, 256 px crops,
# batch 16. The paper gives no content weight; 100 follows DeblurGAN.
#   python -m training.fit --preset li2024 --train 'shards/*-train.tfrecord-*' --out runs/li2024
LI2024 = {"generator": "li2024", "gen_norm": "batch", "gen_dropout": 0.5, "critic": "li2024",
          "adversarial": "bce", "critic_steps": 1, "content_losses": ("vgg16",), "content_weights": (100.0,),
          "crop": 256, "batch": 16}

register_preset("li2024", LI2024)
