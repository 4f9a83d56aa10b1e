"""A small multi-scale generator for training on a CPU (the ``cpu`` preset's): ``unet``.

DeblurGAN's ResNet spends most of its work at full resolution (a 7x7 head, two transposed
convolutions and a 7x7 tail) and sees about 90 px at 16 filters; camera shake is up to 40 px
across, so a restoration must gather far more context than a small ResNet reaches. This
network works at half resolution and below from the first layer on, which buys depth and
reach for the same arithmetic:

    input ─ space-to-depth x2 ─ conv 3x3 (f) ─ block ──────────────────────────── + ─ block ─ conv 3x3 (12) ─ depth-to-space x2 ─ + input
                                   │ conv s2 (2f) ─ block ──────────── + ─ block ─ up ┘                                        (clipped to [-1, 1])
                                                    │ conv s2 (4f) ─ blocks (gen_blocks) ─ up ┘

A block is conv 3x3 - LeakyReLU(0.2) - conv 3x3 added to its input; its second convolution
starts at zero, so every block starts as the identity, and the tail starts small (a tenth of
He's scale), so the untrained network adds only a small residual to its input; that keeps a
network without normalisation stable from the first step, and no unit can die (the activation
is leaky). "up" is a 1x1 convolution to four times the channels
and a depth-to-space (sub-pixel upsampling, no checkerboard). Skips from the encoder are added.
Levels at 1/2, 1/4 and 1/8 of the input: at ``gen_filters`` 32 and 4 blocks it sees more than
200 px, for about 42 k multiply-adds per pixel (DeblurGAN's 64-filter ResNet: about 1.1 M).

Input and output: float32 NHWC RGB in [-1, 1], any H and W (padded by reflection to a multiple
of 8 inside, and cropped back).
"""
from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from training.config import TrainConfig
from training.networks.layers import ClipToRange
from training.networks.registry import register_generator

MULTIPLE = 8  # space-to-depth by 2, then two stride-2 levels


@keras.saving.register_keras_serializable(package="blurgen")
class PadToMultiple(layers.Layer):
    """Reflect-pads H and W (bottom and right) up to a multiple of ``multiple``."""

    def __init__(self, multiple: int, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, x):
        h, w = tf.shape(x)[1], tf.shape(x)[2]
        ph, pw = -h % self.multiple, -w % self.multiple
        return tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="REFLECT")

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="blurgen")
class CropLike(layers.Layer):
    """Crops its first input to the height and width of its second."""

    def call(self, inputs):
        x, ref = inputs
        return x[:, :tf.shape(ref)[1], :tf.shape(ref)[2], :]


@keras.saving.register_keras_serializable(package="blurgen")
class SpaceToDepth(layers.Layer):
    """Each ``block`` x ``block`` patch of pixels becomes one pixel with ``block ** 2`` times the channels."""

    def __init__(self, block: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block = int(block)

    def call(self, x):
        return tf.nn.space_to_depth(x, self.block)

    def get_config(self):
        return {**super().get_config(), "block": self.block}


@keras.saving.register_keras_serializable(package="blurgen")
class DepthToSpace(SpaceToDepth):
    """The inverse of :class:`SpaceToDepth`."""

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block)


def _conv(filters: int, kernel: int, name: str, stride: int = 1, zero: bool = False, scale: float = 1.0):
    init = "zeros" if zero else keras.initializers.VarianceScaling(2.0 * scale ** 2, "fan_in", "truncated_normal")
    return layers.Conv2D(filters, kernel, strides=stride, padding="same", kernel_initializer=init, name=name)


def _block(x, filters: int, name: str):
    y = _conv(filters, 3, f"{name}_a")(x)
    y = layers.LeakyReLU(0.2, name=f"{name}_act")(y)
    y = _conv(filters, 3, f"{name}_b", zero=True)(y)
    return layers.Add(name=f"{name}_add")([x, y])


def _up(x, filters: int, name: str):
    x = _conv(4 * filters, 1, f"{name}_conv")(x)
    return DepthToSpace(2, name=f"{name}_shuffle")(x)


@register_generator("unet")
def unet_generator(cfg: TrainConfig) -> keras.Model:
    """The ``unet`` generator (module doc): ``gen_filters`` at half resolution, ``gen_blocks``
    blocks at an eighth; ``gen_zero_init_output`` starts the tail at zero (the untrained network is
    then exactly the identity). Other generator settings (norm, dropout, padding, init) do not apply."""
    f, n = cfg.gen_filters, cfg.gen_blocks
    inp = keras.Input((None, None, 3), name="blurred")
    x = PadToMultiple(MULTIPLE, name="pad")(inp)
    x = SpaceToDepth(2, name="unshuffle")(x)
    e1 = _block(_conv(f, 3, "enc1_in")(x), f, "enc1")
    e2 = _block(_conv(2 * f, 3, "enc2_in", stride=2)(layers.LeakyReLU(0.2, name="enc1_out")(e1)), 2 * f, "enc2")
    x = _conv(4 * f, 3, "mid_in", stride=2)(layers.LeakyReLU(0.2, name="enc2_out")(e2))
    for i in range(n):
        x = _block(x, 4 * f, f"mid{i}")
    x = layers.Add(name="dec2_skip")([_up(x, 2 * f, "up2"), e2])
    x = _block(x, 2 * f, "dec2")
    x = layers.Add(name="dec1_skip")([_up(x, f, "up1"), e1])
    x = _block(x, f, "dec1")
    x = _conv(12, 3, "tail", zero=cfg.gen_zero_init_output, scale=0.1)(layers.LeakyReLU(0.2, name="dec1_out")(x))
    x = DepthToSpace(2, name="shuffle")(x)
    x = CropLike(name="crop")([x, inp])
    x = layers.Add(dtype="float32", name="global_skip")([layers.Activation("linear", dtype="float32", name="residual_f32")(x),
                                                          layers.Activation("linear", dtype="float32", name="input_f32")(inp)])
    out = ClipToRange(dtype="float32", name="restored", in_training=cfg.clip_in_training)(x)
    return keras.Model(inp, out, name="unet_generator")
