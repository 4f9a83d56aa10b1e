"""The networks: generators and critics, each registered by name in :mod:`.registry`.

To add a network, drop a module into this folder whose builder carries
``@register_generator("name")`` or ``@register_critic("name")``, and add it to the import list
below; ``--generator name`` (or ``--critic name``) then builds it. Importing any part of this
package imports every network module, so the registry is always full, and every Keras layer a
saved generator may hold is registered before a ``.keras`` file is loaded.

  * :mod:`.layers`: the layers and blocks every network shares (clip, reflection pad, instance norm).
  * :mod:`.resnet`: DeblurGAN's ResNet-9 generator (``resnet``, the default).
  * :mod:`.patchgan`: DeblurGAN's PatchGAN critic (``patchgan``, the default).
  * :mod:`.unet`: the multi-scale U-Net that trains on a CPU (``unet``).
  * :mod:`.dense`: the dense-block generator of Kanda et al. (``dense``).
  * :mod:`.li2024`: Li (2024)'s generator and discriminator (``li2024``).
"""
from __future__ import annotations

from training.networks import dense, layers, li2024, patchgan, resnet, unet  # noqa: F401  (they register)
from training.networks.registry import (CRITICS, GENERATORS, build_critic, build_generator, parameter_counts,
                                        register_critic, register_generator)

__all__ = ["CRITICS", "GENERATORS", "build_critic", "build_generator", "parameter_counts", "register_critic",
           "register_generator"]
