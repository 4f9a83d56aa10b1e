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
    """Clips to [low, high]: the generator's output after its global skip stays a valid image."""

    def __init__(self, low: float = -1.0, high: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, x):
        return keras.ops.clip(x, self.low, self.high)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}


def norm_layer(kind: str, name: str | None = None) -> layers.Layer:
    """``"instance"`` (GroupNormalization with one group per channel, which is instance norm),
    ``"batch"``, or ``"none"`` (identity)."""
    if kind == "instance":
        return layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "none":
        return layers.Identity(name=name)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def _conv_norm_relu(x, filters: int, kernel: int, stride: int, norm: str, name: str):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=norm == "none", name=f"{name}_conv")(x)
    x = norm_layer(norm, f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def resnet_block(x, filters: int, norm: str, dropout: float, name: str):
    """conv3x3-norm-ReLU(-dropout)-conv3x3-norm, added to the block's input."""
    y = _conv_norm_relu(x, filters, 3, 1, norm, f"{name}_a")
    if dropout > 0:
        y = layers.Dropout(dropout, name=f"{name}_drop")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=norm == "none", name=f"{name}_b_conv")(y)
    y = norm_layer(norm, f"{name}_b_norm")(y)
    return layers.Add(name=f"{name}_add")([x, y])


@register_generator("resnet")
def resnet_generator(cfg: TrainConfig) -> keras.Model:
    """DeblurGAN's generator: 7x7 conv (``gen_filters``), two stride-2 convs (x2, x4 filters),
    ``gen_blocks`` residual blocks, two transposed convs back to full size, 7x7 conv with tanh,
    and a global skip (output = clip(input + tanh(...), -1, 1)).

    Input/output: ``[batch, H, W, 3]`` float32 in [-1, 1], H and W multiples of 4.
    """
    f, norm = cfg.gen_filters, cfg.gen_norm
    inp = keras.Input((None, None, 3), name="blurred")
    x = _conv_norm_relu(inp, f, 7, 1, norm, "head")
    x = _conv_norm_relu(x, 2 * f, 3, 2, norm, "down1")
    x = _conv_norm_relu(x, 4 * f, 3, 2, norm, "down2")
    for i in range(cfg.gen_blocks):
        x = resnet_block(x, 4 * f, norm, cfg.gen_dropout, f"res{i}")
    for i, filters in enumerate((2 * f, f)):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=norm == "none", name=f"up{i + 1}_conv")(x)
        x = norm_layer(norm, f"up{i + 1}_norm")(x)
        x = layers.ReLU(name=f"up{i + 1}_relu")(x)
    init = "zeros" if cfg.gen_zero_init_output else "glorot_uniform"
    x = layers.Conv2D(3, 7, padding="same", kernel_initializer=init, dtype="float32", name="tail_conv")(x)
    x = layers.Activation("tanh", dtype="float32", name="tail_tanh")(x)
    x = layers.Add(dtype="float32", name="global_skip")([x, layers.Activation("linear", dtype="float32", name="input_f32")(inp)])
    out = ClipToRange(dtype="float32", name="restored")(x)
    return keras.Model(inp, out, name="resnet_generator")


@register_critic("patchgan")
def patchgan_critic(cfg: TrainConfig) -> keras.Model:
    """PatchGAN (pix2pix/DeblurGAN): 4x4 convs, ``critic_layers`` of them strided (3 gives a 70x70
    receptive field), LeakyReLU 0.2, one score per patch, no sigmoid (a WGAN critic; the BCE loss
    takes logits). Input ``[batch, H, W, 3]`` in [-1, 1]; output ``[batch, H', W', 1]`` float32.
    """
    f, n = cfg.critic_filters, cfg.critic_layers
    inp = keras.Input((None, None, 3), name="image")
    x = layers.Conv2D(f, 4, strides=2, padding="same", name="c0_conv")(inp)
    x = layers.LeakyReLU(0.2, name="c0_act")(x)
    mult = 1
    for i in range(1, n + 1):
        mult = min(2 ** i, 8)
        stride = 2 if i < n else 1
        x = layers.Conv2D(f * mult, 4, strides=stride, padding="same", use_bias=cfg.critic_norm == "none", name=f"c{i}_conv")(x)
        x = norm_layer(cfg.critic_norm, f"c{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"c{i}_act")(x)
    out = layers.Conv2D(1, 4, padding="same", dtype="float32", name="score")(x)
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
