"""DeblurGAN's critic: the PatchGAN (pix2pix's Markovian discriminator), one score per patch."""
from __future__ import annotations

import keras
from keras import layers

from training.config import TrainConfig
from training.networks.layers import initializer, norm_layer
from training.networks.registry import register_critic


@register_critic("patchgan")
def patchgan_critic(cfg: TrainConfig) -> keras.Model:
    """PatchGAN (pix2pix/DeblurGAN's ``NLayerDiscriminator``): 4x4 convs padded by 2 px as in
    PyTorch, ``critic_layers`` of them strided (3 gives a 70x70 receptive field), norm
    ``critic_norm`` (DeblurGAN: instance, no learned scale or shift, convs with biases),
    LeakyReLU 0.2, one score per patch, no sigmoid (a WGAN critic; the BCE loss takes logits).
    Input ``[batch, H, W, 3]`` in [-1, 1]; output ``[batch, H', W', 1]`` float32.
    """
    f, n, norm = cfg.critic_filters, cfg.critic_layers, cfg.critic_norm
    init = initializer(cfg)
    inp = keras.Input((None, None, 3), name="image")
    x = layers.ZeroPadding2D(2, name="c0_pad")(inp)
    x = layers.Conv2D(f, 4, strides=2, kernel_initializer=init, name="c0_conv")(x)
    x = layers.LeakyReLU(0.2, name="c0_act")(x)
    for i in range(1, n + 1):
        mult = min(2 ** i, 8)
        stride = 2 if i < n else 1
        x = layers.ZeroPadding2D(2, name=f"c{i}_pad")(x)
        x = layers.Conv2D(f * mult, 4, strides=stride, use_bias=norm != "batch", kernel_initializer=init,
                          name=f"c{i}_conv")(x)
        x = norm_layer(norm, f"c{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"c{i}_act")(x)
    x = layers.ZeroPadding2D(2, name="score_pad")(x)
    out = layers.Conv2D(1, 4, kernel_initializer=init, dtype="float32", name="score")(x)
    return keras.Model(inp, out, name="patchgan_critic")


def receptive_field(kernels_strides: list[tuple[int, int]]) -> int:
    """Receptive field of a chain of convolutions given as (kernel, stride) pairs."""
    rf, jump = 1, 1
    for k, s in kernels_strides:
        rf += (k - 1) * jump
        jump *= s
    return rf
