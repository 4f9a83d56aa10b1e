"""The adversarial losses (WGAN-GP, binary cross-entropy on logits or on probabilities) and the
gradient penalty, on raw critic outputs (a patch map ``[batch, H', W', 1]`` or ``[batch, 1]``)."""
from __future__ import annotations

import keras
import tensorflow as tf

from training.losses.registry import AdversarialLoss, register_adversarial_loss


def _mean(x):
    return tf.reduce_mean(tf.cast(x, tf.float32))


def _bce_critic(real, fake):
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    return (_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real), real))
            + _mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake), fake)))


def _bce_generator(fake):
    fake = tf.cast(fake, tf.float32)
    return _mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake), fake))


def _bce_probs_critic(real, fake):
    # For critics that end in a sigmoid (li2024's): the same loss on probabilities.
    eps = 1e-7
    real = tf.clip_by_value(tf.cast(real, tf.float32), eps, 1 - eps)
    fake = tf.clip_by_value(tf.cast(fake, tf.float32), eps, 1 - eps)
    return -_mean(tf.math.log(real)) - _mean(tf.math.log(1 - fake))


def _bce_probs_generator(fake):
    return -_mean(tf.math.log(tf.clip_by_value(tf.cast(fake, tf.float32), 1e-7, 1 - 1e-7)))


for _name, _loss in {
    # Wasserstein: the critic pushes real scores up and fake ones down; Lipschitz by the penalty.
    "wgan-gp": AdversarialLoss(critic=lambda real, fake: _mean(fake) - _mean(real),
                               generator=lambda fake: -_mean(fake), gradient_penalty=True),
    # The original GAN loss on logits (critics that end in a sigmoid should return logits here).
    "bce": AdversarialLoss(critic=_bce_critic, generator=_bce_generator, gradient_penalty=False),
    "bce-probs": AdversarialLoss(critic=_bce_probs_critic, generator=_bce_probs_generator, gradient_penalty=False),
}.items():
    register_adversarial_loss(_name, _loss)


def image_scores(scores: tf.Tensor) -> tf.Tensor:
    """One score per image: the mean of a critic's patch map (``[batch, H', W', 1]``) or its
    single output (``[batch, 1]``), as float32 ``[batch]``. The adversarial losses average over
    the same values, so the penalty constrains the very score the losses use."""
    scores = tf.cast(scores, tf.float32)
    return tf.reduce_mean(tf.reshape(scores, [tf.shape(scores)[0], -1]), axis=1)


def gradient_penalty(critic: keras.Model, real: tf.Tensor, fake: tf.Tensor, epsilon: float = 1e-12,
                     alpha: tf.Tensor | None = None) -> tf.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): mean of (||grad_x D(x_hat)||_2 - 1)^2 at random points
    x_hat on the lines between real and fake images (alpha ~ U(0, 1) per image), where D is the
    critic's score of an image, the mean of its patch map (:func:`image_scores`). (Taking the
    gradient of the patch map's sum instead would hold the critic to a gradient of 1 / patches.)
    The epsilon keeps the norm's gradient finite where the critic's gradient is zero; ``alpha``
    (``[batch, 1, 1, 1]``) fixes the points, for tests."""
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    if alpha is None:
        alpha = tf.random.uniform([tf.shape(real)[0], 1, 1, 1], 0.0, 1.0)
    mixed = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        # Images are scored independently (no batch norm in a WGAN-GP critic), so the gradient
        # of the batch's sum holds each image's own gradient.
        total = tf.reduce_sum(image_scores(critic(mixed, training=True)))
    grads = tape.gradient(total, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + epsilon)
    return tf.reduce_mean(tf.square(norms - 1.0))
