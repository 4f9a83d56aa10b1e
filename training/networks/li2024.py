"""The generator and discriminator of Li (2024), "Generative Adversarial Network on Motion-Blur
Image Restoration" (arXiv 2412.19479), a Keras DeblurGAN variant.

Differences from the DeblurGAN networks of the default preset, as the paper describes them:

* generator: ResNet with 9 blocks like DeblurGAN, but **batch** norm instead of instance norm,
  dropout 0.5 inside every residual block, and nearest upsampling followed by a 3x3 convolution
  instead of a transposed convolution (same parameter count, no checkerboard); 11.4 M parameters
  at width 64;
* discriminator: 6 convolutions with 4x4 kernels and LeakyReLU(0.2) (4 of stride 2, then 2 of
  stride 1, batch norm after the inner ones), then a dense head (flatten, dense 1024 tanh, dense 1
  sigmoid) that gives one probability per image; 3.1 M parameters at width 64 and 256x256 input.
  The dense head fixes the input size: build it for the training crop.

Both take and give images as float32 NHWC RGB in [-1, 1].

    >>> g = build_li2024_generator(); d = build_li2024_discriminator(crop=256)
    >>> parameter_counts(g)["total"], parameter_counts(d)["total"]
    (11399171, 3098370)
"""
from __future__ import annotations

import keras
from keras import layers

from training.networks.layers import ClipToRange, ReflectPad2D
from training.networks.registry import parameter_counts, register_critic, register_generator

#: Parameter counts the paper reports (its Table 2); :func:`check_paper_counts` compares with them.
PAPER_PARAMS = {"generator": 11.4e6, "discriminator": 3.1e6}


def _conv_bn_relu(x, filters: int, kernel: int, stride: int, name: str):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters: int, dropout: float, name: str):
    """pad, conv 3x3, BN, ReLU, dropout, pad, conv 3x3, BN, plus the block's input."""
    y = ReflectPad2D(1, name=f"{name}_pad1")(x)
    y = layers.Conv2D(filters, 3, padding="valid", name=f"{name}_conv1")(y)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu")(y)
    if dropout > 0:
        # Dropout in the generator is the paper's regulariser; it is off at inference.
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = ReflectPad2D(1, name=f"{name}_pad2")(y)
    y = layers.Conv2D(filters, 3, padding="valid", name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def build_li2024_generator(width: int = 64, blocks: int = 9, dropout: float = 0.5,
                           channels: int = 3, name: str = "li2024_generator") -> keras.Model:
    """ResNet generator with batch norm and dropout (Li 2024).

    Input and output: float32 NHWC RGB in [-1, 1], any H and W that are multiples of 4.
    Layout: reflect-pad 3, conv 7x7 (``width``), two stride-2 conv 3x3 (2w, 4w), ``blocks``
    residual blocks at 4w, two (upsample x2, conv 3x3) back to w, reflect-pad 3, conv 7x7 to
    ``channels``, tanh; the output is the input plus that residual, clipped to [-1, 1].
    """
    if width < 1 or blocks < 0 or not 0 <= dropout < 1:
        raise ValueError(f"need width >= 1, blocks >= 0, 0 <= dropout < 1; got {width}, {blocks}, {dropout}")
    inputs = keras.Input((None, None, channels), name="blurred")
    x = ReflectPad2D(3, name="stem_pad")(inputs)
    x = layers.Conv2D(width, 7, padding="valid", name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for i, mult in enumerate((2, 4)):
        x = _conv_bn_relu(x, width * mult, 3, 2, f"down{i + 1}")
    for i in range(blocks):
        x = _residual_block(x, width * 4, dropout, f"res{i + 1}")
    for i, mult in enumerate((2, 1)):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{i + 1}_upsample")(x)
        x = _conv_bn_relu(x, width * mult, 3, 1, f"up{i + 1}")
    x = ReflectPad2D(3, name="head_pad")(x)
    # The last layers run in float32 so that outputs stay exact under mixed precision.
    x = layers.Conv2D(channels, 7, padding="valid", activation="tanh", dtype="float32", name="head_conv")(x)
    # Global skip: the network learns the residual, as DeblurGAN does (its PyTorch code clamps
    # to [-1, 1]; the Keras port halves the sum instead, which shrinks the output range).
    x = layers.Add(dtype="float32", name="skip_add")([inputs, x])
    outputs = ClipToRange(dtype="float32", name="skip_clip")(x)
    return keras.Model(inputs, outputs, name=name)


def build_li2024_discriminator(crop: int = 256, width: int = 64, dense_units: int = 1024,
                               channels: int = 3, logits: bool = False,
                               name: str = "li2024_discriminator") -> keras.Model:
    """Discriminator of 6 convolutions (4x4, LeakyReLU 0.2) and a dense head (Li 2024).

    Input: float32 NHWC RGB in [-1, 1] of exactly ``crop`` x ``crop`` (``crop`` a multiple of 16,
    since the dense head needs a fixed size). Output: (N, 1), the probability that the image is
    sharp (sigmoid), or its logit when ``logits=True`` (numerically safer with
    ``BinaryCrossentropy(from_logits=True)``; same parameters).
    Convolutions: w s2, w s2 +BN, 2w s2 +BN, 4w s2 +BN, 8w s1 +BN, 1 s1; then flatten
    (crop/16)^2 values, dense ``dense_units`` tanh, dense 1.
    """
    if crop % 16 or crop < 16:
        raise ValueError(f"crop must be a positive multiple of 16 for the dense head, got {crop}")
    inputs = keras.Input((crop, crop, channels), name="image")
    x = layers.Conv2D(width, 4, strides=2, padding="same", name="conv1")(inputs)
    x = layers.LeakyReLU(0.2, name="conv1_lrelu")(x)
    plan = ((width, 2), (2 * width, 2), (4 * width, 2), (8 * width, 1))
    for i, (filters, stride) in enumerate(plan, start=2):
        x = layers.Conv2D(filters, 4, strides=stride, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    x = layers.Conv2D(1, 4, strides=1, padding="same", name="conv6")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="tanh", name="dense1")(x)
    outputs = layers.Dense(1, activation=None if logits else "sigmoid", dtype="float32", name="dense2")(x)
    return keras.Model(inputs, outputs, name=name)


@register_generator("li2024")
def li2024_generator(cfg) -> keras.Model:
    """Registry builder ``fn(cfg)``: :func:`build_li2024_generator` from a ``TrainConfig``
    (``gen_filters``, ``gen_blocks``, ``gen_dropout``)."""
    return build_li2024_generator(width=cfg.gen_filters, blocks=cfg.gen_blocks, dropout=cfg.gen_dropout)


@register_critic("li2024")
def li2024_critic(cfg) -> keras.Model:
    """Registry builder ``fn(cfg)``: :func:`build_li2024_discriminator` from a ``TrainConfig``
    (``crop``, ``critic_filters``, extra ``li2024_dense_units``, default 1024).

    Returns **logits** (the trainer's "bce" loss applies the sigmoid itself; the parameters are
    the same as with the sigmoid). Unlike PatchGAN it needs inputs of exactly ``crop`` x ``crop``.
    """
    units = int(cfg.get_extra("li2024_dense_units", 1024))
    return build_li2024_discriminator(crop=cfg.crop, width=cfg.critic_filters, dense_units=units, logits=True)


def check_paper_counts(tolerance: float = 0.02) -> dict[str, dict]:
    """Build both networks at the paper's settings and compare their totals with the paper's.

    Returns ``{network: {"measured", "paper", "rel_error", "ok"}}``; ``ok`` is
    ``rel_error <= tolerance``.
    """
    nets = {"generator": build_li2024_generator(), "discriminator": build_li2024_discriminator(crop=256)}
    out = {}
    for key, net in nets.items():
        total = parameter_counts(net)["total"]
        err = abs(total - PAPER_PARAMS[key]) / PAPER_PARAMS[key]
        out[key] = {"measured": total, "paper": PAPER_PARAMS[key], "rel_error": err, "ok": err <= tolerance}
    return out


if __name__ == "__main__":  # python -m training.networks.li2024: print the counts against the paper's
    for key, row in check_paper_counts().items():
        print(f"{key:14s} {row['measured']:>11,d} parameters (paper {row['paper'] / 1e6:.1f} M, "
              f"off by {100 * row['rel_error']:.2f} %)")
