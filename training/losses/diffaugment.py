"""Differentiable augmentation (DiffAugment; Zhao et al., "Differentiable Augmentation for
Data-Efficient GAN Training", NeurIPS 2020) for the critic's inputs.

The critic sees real and restored images through the same family of random transforms, and
because every transform is made of differentiable TensorFlow ops, the generator still receives
gradients through the augmented critic input. A policy is a comma-separated list of groups:

* ``color``: per image, brightness (add U(-0.5, 0.5)), saturation (scale the deviation from the
  per-pixel channel mean by U(0, 2)) and contrast (scale the deviation from the image mean by
  U(0.5, 1.5)), in that order;
* ``translation``: per image, an integer shift of up to 1/8 of each side, filled with zeros;
* ``cutout``: per image, a square of half the side set to zero at a random centre.

Images are float NHWC in [-1, 1] (the scale the ranges above are meant for). Passing a list of
tensors applies one draw of the parameters to all of them, which keeps a pair aligned (for
example a conditional critic's blurred input and the image it judges)::

    real_in = diff_augment(sharp, "color,translation,cutout")        # its own random draw
    fake_in = diff_augment(restored, "color,translation,cutout")     # another draw
    blurred_in, fake_in = diff_augment([blurred, restored], policy)  # one draw for the pair

With ``seed`` (a pair of ints or an int32 tensor of shape (2,)) the draw is reproducible
(stateless random ops); without it a fresh seed is drawn from TensorFlow's global generator.
"""
from __future__ import annotations

from typing import Callable, Sequence

import tensorflow as tf

from training.losses.registry import register_critic_augment

DEFAULT_POLICY = "color,translation,cutout"
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _uniform(shape, seed, low=0.0, high=1.0):
    return tf.random.stateless_uniform(shape, seed=seed, minval=low, maxval=high)


def _color(batch, height, width, seed):
    seeds = tf.random.experimental.stateless_split(seed, 3)
    shape = tf.stack([batch, 1, 1, 1])
    return {"brightness": _uniform(shape, seeds[0], -0.5, 0.5),
            "saturation": _uniform(shape, seeds[1], 0.0, 2.0),
            "contrast": _uniform(shape, seeds[2], 0.5, 1.5)}


def _apply_color(x, p):
    x = x + tf.cast(p["brightness"], x.dtype)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * tf.cast(p["saturation"], x.dtype) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.cast(p["contrast"], x.dtype) + mean


def _shift_bound(side):
    # At least one pixel, so that tiny test crops are still translated.
    return tf.maximum(1, tf.cast(tf.round(tf.cast(side, tf.float32) * TRANSLATION_RATIO), tf.int32))


def _translation(batch, height, width, seed):
    seeds = tf.random.experimental.stateless_split(seed, 2)
    sy, sx = _shift_bound(height), _shift_bound(width)
    dy = tf.random.stateless_uniform([batch], seeds[0], minval=-sy, maxval=sy + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform([batch], seeds[1], minval=-sx, maxval=sx + 1, dtype=tf.int32)
    return {"dy": dy, "dx": dx, "sy": sy, "sx": sx}


def _apply_translation(x, p):
    """out[n, i, j] = x[n, i - dy[n], j - dx[n]], zero where that falls outside the image."""
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    sy, sx = p["sy"], p["sx"]
    padded = tf.pad(x, [[0, 0], [sy, sy], [sx, sx], [0, 0]])
    rows = tf.range(height)[None, :] - p["dy"][:, None] + sy  # (N, H) indices into padded rows
    cols = tf.range(width)[None, :] - p["dx"][:, None] + sx
    # gather is differentiable with respect to the gathered values.
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def _cutout(batch, height, width, seed):
    seeds = tf.random.experimental.stateless_split(seed, 2)
    ch = tf.cast(tf.cast(height, tf.float32) * CUTOUT_RATIO + 0.5, tf.int32)
    cw = tf.cast(tf.cast(width, tf.float32) * CUTOUT_RATIO + 0.5, tf.int32)
    # Centre anywhere such that the square may hang over the border (as in the paper's code).
    cy = tf.random.stateless_uniform([batch], seeds[0], minval=0, maxval=height + (1 - ch % 2), dtype=tf.int32)
    cx = tf.random.stateless_uniform([batch], seeds[1], minval=0, maxval=width + (1 - cw % 2), dtype=tf.int32)
    y = tf.range(height)[None, :]
    x = tf.range(width)[None, :]
    inside_y = (y >= (cy - ch // 2)[:, None]) & (y < (cy - ch // 2 + ch)[:, None])  # (N, H)
    inside_x = (x >= (cx - cw // 2)[:, None]) & (x < (cx - cw // 2 + cw)[:, None])  # (N, W)
    keep = tf.logical_not(inside_y[:, :, None] & inside_x[:, None, :])
    return {"keep": tf.cast(keep, tf.float32)[..., None]}  # (N, H, W, 1)


def _apply_cutout(x, p):
    return x * tf.cast(p["keep"], x.dtype)


#: group name -> (draw parameters (batch, height, width, seed) -> dict, apply (x, params) -> x)
AUGMENTS: dict[str, tuple[Callable, Callable]] = {
    "color": (_color, _apply_color),
    "translation": (_translation, _apply_translation),
    "cutout": (_cutout, _apply_cutout),
}


def parse_policy(policy: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"color,translation,cutout"`` -> ``("color", "translation", "cutout")``; "" or None -> ().

    Raises ValueError naming an unknown group and the known ones.
    """
    if policy is None:
        return ()
    names = [p.strip() for p in (policy.split(",") if isinstance(policy, str) else policy)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in AUGMENTS]
    if unknown:
        raise ValueError(f"unknown DiffAugment group(s) {unknown} in policy {policy!r}; "
                         f"use a comma-separated subset of {sorted(AUGMENTS)}")
    return tuple(names)


def diff_augment(images, policy: str | Sequence[str] | None = DEFAULT_POLICY, seed=None):
    """Apply the policy's random transforms differentiably.

    Args:
      images: a float tensor (N, H, W, C) in [-1, 1], or a list/tuple of such tensors with the
        same N, H and W (C may differ), which all get the same draw of parameters.
      policy: groups to apply in order (see :func:`parse_policy`); empty means no change.
      seed: None, or two ints / an int32 tensor of shape (2,) for a reproducible draw.
    Returns:
      a tensor, or a list of tensors in the input's order, of the inputs' shapes and dtypes.
    """
    many = isinstance(images, (list, tuple))
    tensors = [tf.convert_to_tensor(t) for t in (images if many else [images])]
    groups = parse_policy(policy)
    if groups:
        if seed is None:
            seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32)
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int32), len(groups))
        shape = tf.shape(tensors[0])
        for i, name in enumerate(groups):
            draw, apply = AUGMENTS[name]
            params = draw(shape[0], shape[1], shape[2], seeds[i])
            tensors = [apply(t, params) for t in tensors]
    return list(tensors) if many else tensors[0]


def diff_augment_from_config(cfg) -> Callable:
    """The augmentation a :class:`training.config.TrainConfig` asks for, as ``fn(images) -> images``.

    The policy is ``cfg.diffaugment`` when the config has that field (``--diffaugment POLICY``),
    else ``cfg.get_extra("diffaugment", "")``; "" or "none" switches it off (``fn`` is the
    identity), otherwise it is a policy string such as ``"color,translation,cutout"``.
    """
    policy = getattr(cfg, "diffaugment", None)
    if policy is None and hasattr(cfg, "get_extra"):
        policy = cfg.get_extra("diffaugment", "")
    groups = () if policy in ("", "none", None) else parse_policy(policy)
    if not groups:
        return lambda images: images
    return lambda images: diff_augment(images, groups)


@register_critic_augment
def critic_augment(cfg) -> Callable | None:
    """DiffAugment before the critic when ``--diffaugment`` (or the ``diffaugment`` extra) names a
    policy; None when it is empty or ``none``."""
    if (cfg.diffaugment or cfg.get_extra("diffaugment", "")) in ("", "none", None):
        return None
    return diff_augment_from_config(cfg)
