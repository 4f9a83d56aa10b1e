"""Layers and building blocks every network of this folder shares: the output clip, reflection
padding, instance normalisation (exact on every CPU), the choice of norm and of initial weights,
and DeblurGAN's padded convolution.

The Keras classes here are registered under the names that saved ``.keras`` files hold
(``blurgen>ClipToRange``, ``blurgen_li2024>ReflectPad2D``, ``blurgen>InstanceNorm``): renaming one
would stop older saved models from loading.
"""
from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from training.config import TrainConfig

NORMS = ("instance", "batch", "none")


@keras.saving.register_keras_serializable(package="blurgen")
class ClipToRange(layers.Layer):
    """Clips to [low, high]: the generator's output after its global skip stays a valid image.

    ``in_training=False`` clips only outside training: a clipped value has no gradient, so a
    generator whose outputs have all run past the range (a collapse to white or black) gets none
    from any loss and cannot come back; unclipped in training, the content losses pull such
    outputs back into the range. Restoring and validating always clip.
    """

    def __init__(self, low: float = -1.0, high: float = 1.0, in_training: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high, self.in_training = float(low), float(high), bool(in_training)

    def call(self, x, training=None):
        if training and not self.in_training:
            return x
        return keras.ops.clip(x, self.low, self.high)

    def compute_output_shape(self, shape):
        # Declared so that building a model (and loading one) does not trace ``call`` to learn it.
        return shape

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high, "in_training": self.in_training}


# Registered under the package name it was first saved with (the li2024 generator's module), so
# that generators saved before it moved here still load.
@keras.saving.register_keras_serializable(package="blurgen_li2024")
class ReflectPad2D(layers.Layer):
    """Reflection padding of ``pad`` pixels on each side of H and W (NHWC), as PyTorch's
    ``ReflectionPad2d``: the edge pixel is not repeated."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda s: None if s is None else s + 2 * self.pad  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


def instance_norm_reference(x, epsilon: float = 1e-5):
    """Instance norm as the textbook writes it (the moments, then ``(x - mean) / sqrt(var + eps)``),
    in float32: the reference :func:`instance_norm` is tested against. ``x``: ``[N, H, W, C]``."""
    xf = tf.cast(x, tf.float32)
    mean, var = tf.nn.moments(xf, axes=[1, 2], keepdims=True)
    return tf.cast((xf - mean) * tf.math.rsqrt(var + epsilon), x.dtype)


def instance_norm(x, epsilon: float = 1e-5):
    """Each image's channels to mean 0 and variance 1 over H and W (biased variance, as PyTorch's
    ``InstanceNorm2d``). ``x``: ``[N, H, W, C]`` float32, float16 or bfloat16; same shape and dtype out.

    Written as TensorFlow's fused batch norm in training mode: for one image, batch statistics
    over (N, H, W) are the instance statistics, and the fused kernel (oneDNN's on x86) takes the
    moments and applies the scale and shift in few passes over the tensor, with float32
    accumulation for every input dtype; the composite of reductions and broadcasts that the
    reference runs makes about five. A batch of N images is first laid out as one image with
    N * C channels, so that each (image, channel) pair is a channel of its own. The kernel's
    gradient and its gradient's gradient (the critic's gradient penalty needs both) are TensorFlow's.
    """
    if x.dtype not in (tf.float32, tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    single = x.shape[0] == 1
    if not single:
        shape = tf.shape(x)
        n, h, w, c = shape[0], shape[1], shape[2], shape[3]
        x = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c])
    channels = tf.shape(x)[3]
    # The raw op, not tf.nn.fused_batch_norm, whose wrapper raises epsilon to at least 1.001e-5.
    y = tf.raw_ops.FusedBatchNormV3(
        x=x, scale=tf.ones([channels], tf.float32), offset=tf.zeros([channels], tf.float32),
        mean=tf.zeros([0], tf.float32), variance=tf.zeros([0], tf.float32),
        epsilon=epsilon, is_training=True, data_format="NHWC")[0]
    if single:
        return y
    return tf.transpose(tf.reshape(y, [h, w, n, c]), [2, 0, 1, 3])


@keras.saving.register_keras_serializable(package="blurgen")
class InstanceNorm(layers.Layer):
    """Instance normalisation without a learned scale or shift (PyTorch's ``InstanceNorm2d``
    default, which DeblurGAN uses): each image's channels are brought to mean 0 and variance 1
    over H and W (:func:`instance_norm`). The moments are accumulated in float32 even under mixed
    precision; the output has the layer's compute dtype."""

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        return instance_norm(x, self.epsilon)

    def compute_output_shape(self, shape):
        # Declared so that building a model (and loading one) does not trace ``call`` to learn it.
        return shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def norm_layer(kind: str, name: str | None = None) -> layers.Layer:
    """``"instance"`` (:class:`InstanceNorm`, no learned scale or shift), ``"batch"``, or
    ``"none"`` (identity)."""
    if kind == "instance":
        return InstanceNorm(epsilon=1e-5, name=name)
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "none":
        return layers.Identity(name=name)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def initializer(cfg: TrainConfig):
    """The convolutions' initial weights: ``"normal"`` is N(0, ``init_std``) (DeblurGAN's and
    pix2pix's ``weights_init``; biases start at 0), ``"he"`` He-normal (for ReLU networks without
    normalisation, whose activations would otherwise shrink layer by layer), ``"glorot"`` Keras'
    default."""
    if cfg.init == "normal":
        return keras.initializers.RandomNormal(0.0, cfg.init_std)
    return {"he": "he_normal", "glorot": "glorot_uniform"}[cfg.init]


def pad_image(x, pad: int, mode: str, name: str):
    """``pad`` px on each side: reflected (``"reflect"``) or zeros (``"zero"``)."""
    if pad == 0:
        return x
    if mode == "reflect":
        return ReflectPad2D(pad, name=name)(x)
    return layers.ZeroPadding2D(pad, name=name)(x)


def conv_unit(x, filters: int, kernel: int, stride: int, pad: int, pad_mode: str, cfg: TrainConfig, name: str,
          norm: str | None = None, relu: bool = True):
    """pad, conv (valid), norm, ReLU. Padding is explicit, as in PyTorch, so that a stride-2
    convolution samples the same pixels as DeblurGAN's (Keras' "same" pads one side only). The
    convolution has a bias unless batch norm follows (DeblurGAN: ``use_bias`` with instance norm)."""
    norm = cfg.gen_norm if norm is None else norm
    x = pad_image(x, pad, pad_mode, f"{name}_pad")
    x = layers.Conv2D(filters, kernel, strides=stride, padding="valid", use_bias=norm != "batch",
                      kernel_initializer=initializer(cfg), name=f"{name}_conv")(x)
    x = norm_layer(norm, f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x
