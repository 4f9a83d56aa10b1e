"""DeblurGAN's generator (Kupyn et al. 2018): ResNet-9 between two stride-2 downsamplings and two
transposed-convolution upsamplings, with a global skip from input to output."""
from __future__ import annotations

import keras
from keras import layers

from training.config import TrainConfig
from training.networks.layers import ClipToRange, conv_unit, initializer, norm_layer, pad_image
from training.networks.registry import register_generator


def resnet_block(x, filters: int, cfg: TrainConfig, name: str):
    """pad-conv3x3-norm-ReLU-dropout-pad-conv3x3-norm, added to the block's input (the paper's
    block: two convolutions; DeblurGAN's released code drops the first by an operator-precedence
    slip when dropout is on)."""
    pad = cfg.gen_padding
    y = conv_unit(x, filters, 3, 1, 1, pad, cfg, f"{name}_a")
    if cfg.gen_dropout > 0:
        y = layers.Dropout(cfg.gen_dropout, name=f"{name}_drop")(y)
    y = conv_unit(y, filters, 3, 1, 1, pad, cfg, f"{name}_b", relu=False)
    return layers.Add(name=f"{name}_add")([x, y])


def _upsample(x, filters: int, cfg: TrainConfig, name: str):
    """A transposed 3x3 convolution of stride 2 that doubles H and W exactly as PyTorch's
    ``ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)``: the "valid" result (2H + 1) less
    its first row and column."""
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="valid", use_bias=cfg.gen_norm != "batch",
                               kernel_initializer=initializer(cfg), name=f"{name}_conv")(x)
    x = layers.Cropping2D(((1, 0), (1, 0)), name=f"{name}_crop")(x)
    x = norm_layer(cfg.gen_norm, f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


@register_generator("resnet")
def resnet_generator(cfg: TrainConfig) -> keras.Model:
    """DeblurGAN's generator (the paper's, two convolutions per residual block): 7x7 conv
    (``gen_filters``) after a 3 px pad, two stride-2 3x3 convs (x2, x4 filters), ``gen_blocks``
    residual blocks with dropout ``gen_dropout``, two transposed convs back to full size, a 7x7
    conv with tanh, and a global skip (output = clip(input + tanh(...), -1, 1)). ``gen_padding``
    is the padding of the 7x7 and residual convolutions (DeblurGAN: reflect); the stride-2
    convolutions pad with zeros, as DeblurGAN's do.

    Input/output: ``[batch, H, W, 3]`` float32 in [-1, 1], H and W multiples of 4.
    """
    f, pad = cfg.gen_filters, cfg.gen_padding
    inp = keras.Input((None, None, 3), name="blurred")
    x = conv_unit(inp, f, 7, 1, 3, pad, cfg, "head")
    x = conv_unit(x, 2 * f, 3, 2, 1, "zero", cfg, "down1")
    x = conv_unit(x, 4 * f, 3, 2, 1, "zero", cfg, "down2")
    for i in range(cfg.gen_blocks):
        x = resnet_block(x, 4 * f, cfg, f"res{i}")
    x = _upsample(x, 2 * f, cfg, "up1")
    x = _upsample(x, f, cfg, "up2")
    x = pad_image(x, 3, pad, "tail_pad")
    init = "zeros" if cfg.gen_zero_init_output else initializer(cfg)
    x = layers.Conv2D(3, 7, padding="valid", kernel_initializer=init, dtype="float32", name="tail_conv")(x)
    x = layers.Activation("tanh", dtype="float32", name="tail_tanh")(x)
    x = layers.Add(dtype="float32", name="global_skip")([x, layers.Activation("linear", dtype="float32", name="input_f32")(inp)])
    out = ClipToRange(dtype="float32", name="restored", in_training=cfg.clip_in_training)(x)
    return keras.Model(inp, out, name="resnet_generator")
