"""The dense-block generator of the ``densegan`` preset (Kanda et al., "Motion Deblur Using GAN",
IIT Gandhinagar; the layout follows Ramakrishnan et al., "Deep Generative Filter for Motion
Deblurring", ICCV workshops 2017, also IIT Gandhinagar: dense blocks at constant resolution and a
global skip from input to output).

Layout (all at full resolution, so no size constraint on H and W)::

    input ─ conv 3x3 (width) ─┬─ dense block 1 ─ 1x1 transition (width) ─ ... block B ─ 1x1 ─┐
                              └──────────────────────── (local skip, added) ────────────────────┤
                                                  conv 3x3 (3) ─ tanh ─ + input ─ clip [-1, 1]

A dense block has ``layers`` units; unit i sees the concatenation of the block's input and all
earlier units' outputs and adds ``growth`` channels (norm, LeakyReLU 0.2, conv 3x3, dropout).
The 1x1 transition brings each block's ``width + layers * growth`` channels back to ``width``.
The defaults (width 64, 4 blocks of 4 units, growth 32) are our reading of the sources: neither
publishes a parameter count, so they are settings, not a reproduction of a figure.

The critic of the preset is the trainer's Markovian ``patchgan`` (:mod:`training.networks`).
Images: float32 NHWC RGB in [-1, 1].
"""
from __future__ import annotations

import keras
from keras import layers

from training.networks.layers import ClipToRange, norm_layer
from training.networks.registry import register_generator


def _dense_unit(x, growth: int, norm: str, dropout: float, name: str):
    y = norm_layer(norm, f"{name}_norm")(x)
    y = layers.LeakyReLU(0.2, name=f"{name}_act")(y)
    y = layers.Conv2D(growth, 3, padding="same", name=f"{name}_conv")(y)
    if dropout > 0:
        y = layers.Dropout(dropout, name=f"{name}_drop")(y)
    return y


def dense_block(x, units: int, growth: int, norm: str, dropout: float, name: str):
    """``units`` densely connected units; returns the concatenation of the input and all units."""
    features = [x]
    for i in range(units):
        inp = features[0] if len(features) == 1 else layers.Concatenate(name=f"{name}_cat{i}")(features)
        features.append(_dense_unit(inp, growth, norm, dropout, f"{name}_u{i}"))
    return layers.Concatenate(name=f"{name}_out")(features)


def build_dense_generator(width: int = 64, blocks: int = 4, units: int = 4, growth: int = 32,
                          norm: str = "instance", dropout: float = 0.0, zero_init_output: bool = False,
                          name: str = "dense_generator") -> keras.Model:
    """Dense-block generator at constant resolution with a global skip (see the module doc).

    Input and output: float32 NHWC RGB in [-1, 1], any H and W. ``norm`` is "instance", "batch" or
    "none"; ``zero_init_output`` starts the last conv at zero so the untrained network is the identity.
    """
    if min(width, blocks, units, growth) < 1 or not 0 <= dropout < 1:
        raise ValueError("width, blocks, units and growth must be >= 1 and dropout in [0, 1); got "
                         f"{width}, {blocks}, {units}, {growth}, {dropout}")
    inputs = keras.Input((None, None, 3), name="blurred")
    head = layers.Conv2D(width, 3, padding="same", name="head_conv")(inputs)
    x = head
    for b in range(blocks):
        x = dense_block(x, units, growth, norm, dropout, f"dense{b + 1}")
        x = layers.Conv2D(width, 1, name=f"dense{b + 1}_transition")(x)
    # A local skip around the dense trunk keeps early training close to the head's features.
    x = layers.Add(name="trunk_skip")([head, x])
    x = layers.LeakyReLU(0.2, name="tail_act")(x)
    init = "zeros" if zero_init_output else "glorot_uniform"
    x = layers.Conv2D(3, 3, padding="same", kernel_initializer=init, dtype="float32", name="tail_conv")(x)
    x = layers.Activation("tanh", dtype="float32", name="tail_tanh")(x)
    x = layers.Add(dtype="float32", name="global_skip")([inputs, x])
    outputs = ClipToRange(dtype="float32", name="restored")(x)
    return keras.Model(inputs, outputs, name=name)


@register_generator("dense")
def dense_generator(cfg) -> keras.Model:
    """Registry builder ``fn(cfg)`` from a ``TrainConfig``: ``gen_filters`` (width), ``gen_blocks``
    (dense blocks), ``gen_norm``, ``gen_dropout``, ``gen_zero_init_output``, and the extras
    ``dense_units`` (units per block, default 4) and ``dense_growth`` (default 32)."""
    return build_dense_generator(
        width=cfg.gen_filters, blocks=cfg.gen_blocks, units=int(cfg.get_extra("dense_units", 4)),
        growth=int(cfg.get_extra("dense_growth", 32)), norm=cfg.gen_norm, dropout=cfg.gen_dropout,
        zero_init_output=cfg.gen_zero_init_output)


def dense_generator_params(width: int, blocks: int, units: int, growth: int, norm: str = "instance") -> int:
    """Closed-form parameter count of :func:`build_dense_generator` (checks the layout in tests)."""
    per_norm = {"instance": 0, "batch": 4, "none": 0}[norm]  # instance norm learns no scale or shift
    total = 3 * 3 * 3 * width + width  # head
    for _ in range(blocks):
        for i in range(units):
            cin = width + i * growth
            total += per_norm * cin + 9 * cin * growth + growth
        total += (width + units * growth) * width + width  # 1x1 transition
    return total + 9 * width * 3 + 3  # tail
