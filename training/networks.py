"""Generators and critics, built by name from a :class:`~training.config.TrainConfig`.

``GENERATORS`` and ``CRITICS`` map a name (``cfg.generator``, ``cfg.critic``) to a builder
``fn(cfg) -> keras.Model``. Another module adds a network with::

    from training.networks import register_generator
    @register_generator("dense")
    def dense_generator(cfg): ...

Generators take and return float images in [-1, 1], ``[batch, H, W, 3]`` with H and W any
multiples of 4 (:func:`training.inference.restore` pads other sizes). Their last layers run in
float32 even under mixed precision, so outputs and losses stay exact.
"""
from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf
from keras import layers

from training.config import TrainConfig

Builder = Callable[[TrainConfig], keras.Model]
GENERATORS: dict[str, Builder] = {}
CRITICS: dict[str, Builder] = {}
NORMS = ("instance", "batch", "none")


def register_generator(name: str) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        GENERATORS[name] = fn
        return fn
    return add


def register_critic(name: str) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        CRITICS[name] = fn
        return fn
    return add


def _lookup(registry: dict[str, Builder], kind: str, name: str) -> Builder:
    if name not in registry:
        from training.config import _load_preset_modules
        _load_preset_modules()  # later presets register their networks on import
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; registered: {sorted(registry)}")
    return registry[name]


def build_generator(cfg: TrainConfig) -> keras.Model:
    """The generator named by ``cfg.generator``."""
    return _lookup(GENERATORS, "generator", cfg.generator)(cfg)


def build_critic(cfg: TrainConfig) -> keras.Model:
    """The critic named by ``cfg.critic``."""
    return _lookup(CRITICS, "critic", cfg.critic)(cfg)


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


def _pad(x, pad: int, mode: str, name: str):
    """``pad`` px on each side: reflected (``"reflect"``) or zeros (``"zero"``)."""
    if pad == 0:
        return x
    if mode == "reflect":
        return ReflectPad2D(pad, name=name)(x)
    return layers.ZeroPadding2D(pad, name=name)(x)


def _conv(x, filters: int, kernel: int, stride: int, pad: int, pad_mode: str, cfg: TrainConfig, name: str,
          norm: str | None = None, relu: bool = True):
    """pad, conv (valid), norm, ReLU. Padding is explicit, as in PyTorch, so that a stride-2
    convolution samples the same pixels as DeblurGAN's (Keras' "same" pads one side only). The
    convolution has a bias unless batch norm follows (DeblurGAN: ``use_bias`` with instance norm)."""
    norm = cfg.gen_norm if norm is None else norm
    x = _pad(x, pad, pad_mode, f"{name}_pad")
    x = layers.Conv2D(filters, kernel, strides=stride, padding="valid", use_bias=norm != "batch",
                      kernel_initializer=initializer(cfg), name=f"{name}_conv")(x)
    x = norm_layer(norm, f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def resnet_block(x, filters: int, cfg: TrainConfig, name: str):
    """pad-conv3x3-norm-ReLU-dropout-pad-conv3x3-norm, added to the block's input (the paper's
    block: two convolutions; DeblurGAN's released code drops the first by an operator-precedence
    slip when dropout is on)."""
    pad = cfg.gen_padding
    y = _conv(x, filters, 3, 1, 1, pad, cfg, f"{name}_a")
    if cfg.gen_dropout > 0:
        y = layers.Dropout(cfg.gen_dropout, name=f"{name}_drop")(y)
    y = _conv(y, filters, 3, 1, 1, pad, cfg, f"{name}_b", relu=False)
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
    x = _conv(inp, f, 7, 1, 3, pad, cfg, "head")
    x = _conv(x, 2 * f, 3, 2, 1, "zero", cfg, "down1")
    x = _conv(x, 4 * f, 3, 2, 1, "zero", cfg, "down2")
    for i in range(cfg.gen_blocks):
        x = resnet_block(x, 4 * f, cfg, f"res{i}")
    x = _upsample(x, 2 * f, cfg, "up1")
    x = _upsample(x, f, cfg, "up2")
    x = _pad(x, 3, pad, "tail_pad")
    init = "zeros" if cfg.gen_zero_init_output else initializer(cfg)
    x = layers.Conv2D(3, 7, padding="valid", kernel_initializer=init, dtype="float32", name="tail_conv")(x)
    x = layers.Activation("tanh", dtype="float32", name="tail_tanh")(x)
    x = layers.Add(dtype="float32", name="global_skip")([x, layers.Activation("linear", dtype="float32", name="input_f32")(inp)])
    out = ClipToRange(dtype="float32", name="restored", in_training=cfg.clip_in_training)(x)
    return keras.Model(inp, out, name="resnet_generator")


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


def parameter_counts(model: keras.Model) -> dict[str, int]:
    """``{"total", "trainable", "non_trainable"}`` parameter counts of a built model.

    Non-trainable parameters are batch norm's moving means and variances; they are counted in
    the total, as Keras' ``summary()`` (and so the Li paper's table) counts them.
    """
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}


def receptive_field(kernels_strides: list[tuple[int, int]]) -> int:
    """Receptive field of a chain of convolutions given as (kernel, stride) pairs."""
    rf, jump = 1, 1
    for k, s in kernels_strides:
        rf += (k - 1) * jump
        jump *= s
    return rf
