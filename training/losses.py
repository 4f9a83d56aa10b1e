"""Adversarial and content losses, built by name from a :class:`~training.config.TrainConfig`.

* ``ADVERSARIAL_LOSSES[name]`` is an :class:`AdversarialLoss` (critic loss, generator loss,
  and whether a gradient penalty is used): ``"wgan-gp"``, ``"bce"`` (on logits) and
  ``"bce-probs"`` (on the outputs of a critic that ends in a sigmoid).
* ``CONTENT_LOSSES[name]`` is a builder ``fn(cfg) -> loss(sharp, restored) -> scalar``:
  ``"vgg19"`` (DeblurGAN's conv3_3 feature MSE, before the ReLU) and ``"l1"``. :func:`build_content_loss`
  sums the configured ones with their weights. Register more with :func:`register_content_loss`.

Images are float in [-1, 1], ``[batch, H, W, 3]``; every loss returns a float32 scalar.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import keras
import tensorflow as tf

from training.config import TrainConfig

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
CONTENT_LOSSES: dict[str, Callable[[TrainConfig], LossFn]] = {}

# DeblurGAN feeds its [-1, 1] images straight into torchvision's VGG19, whose weights expect
# ImageNet-normalised RGB, (p / 255 - mean) / std with std about 0.226: the network sees a grey,
# low-contrast version of each image, x = (p - 127.5) / 127.5, which is (255 * 0.226) / 127.5 =
# 0.452 times the normalised input (up to the small mean offsets). Here the input is scaled as
# the loaded Keras weights expect (Caffe style: BGR, 0..255, mean subtracted), which is
# 127.5 / 1 times x (plus those offsets). Up to conv3_3 before its ReLU, VGG is convolutions and
# ReLUs, positively homogeneous apart from its biases, so its features (and their difference)
# scale with the input, and the feature MSE with its square: the properly scaled input gives an
# MSE (127.5 / (255 * 0.226)) ** 2 = 4.89 times the one DeblurGAN's scaling would give on the
# same network. Dividing by that makes a weight of 100 weigh the term as DeblurGAN's 100 does.
# What this cannot account for: torchvision's weights are not Keras' (Caffe's) weights, and
# their feature magnitudes were not compared (neither set can be downloaded on the project's
# machines); a test checks the factor on a bias-free network, where it is exact.
DEBLURGAN_INPUT_SCALE = 127.5 / (255.0 * 0.226)
DEBLURGAN_FEATURE_MSE = DEBLURGAN_INPUT_SCALE ** 2

VGG19_NOTOP_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                   "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")


@dataclass(frozen=True)
class AdversarialLoss:
    """critic(real_scores, fake_scores) and generator(fake_scores) losses on raw critic outputs."""

    critic: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    generator: Callable[[tf.Tensor], tf.Tensor]
    gradient_penalty: bool


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


ADVERSARIAL_LOSSES: dict[str, AdversarialLoss] = {
    # Wasserstein: the critic pushes real scores up and fake ones down; Lipschitz by the penalty.
    "wgan-gp": AdversarialLoss(critic=lambda real, fake: _mean(fake) - _mean(real),
                               generator=lambda fake: -_mean(fake), gradient_penalty=True),
    # The original GAN loss on logits (critics that end in a sigmoid should return logits here).
    "bce": AdversarialLoss(critic=_bce_critic, generator=_bce_generator, gradient_penalty=False),
    "bce-probs": AdversarialLoss(critic=_bce_probs_critic, generator=_bce_probs_generator, gradient_penalty=False),
}


def build_adversarial_loss(cfg: TrainConfig) -> AdversarialLoss:
    if cfg.adversarial not in ADVERSARIAL_LOSSES:
        raise ValueError(f"unknown adversarial loss {cfg.adversarial!r}; choose one of {sorted(ADVERSARIAL_LOSSES)}")
    return ADVERSARIAL_LOSSES[cfg.adversarial]


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


def register_content_loss(name: str):
    def add(fn: Callable[[TrainConfig], LossFn]):
        CONTENT_LOSSES[name] = fn
        return fn
    return add


@register_content_loss("l1")
def l1_loss(cfg: TrainConfig) -> LossFn:
    """Mean absolute pixel difference, on the [-1, 1] scale."""
    return lambda sharp, restored: _mean(tf.abs(tf.cast(sharp, tf.float32) - tf.cast(restored, tf.float32)))


@register_content_loss("fft")
def fft_loss(cfg: TrainConfig) -> LossFn:
    """Mean absolute difference of the images' 2-D Fourier transforms (real and imaginary parts,
    per channel, ``rfft2`` normalised by the pixel count), as MIMO-UNet (Cho et al. 2021) adds to
    its pixel loss: a pixel loss barely rewards restoring the fine detail that blur removed, the
    spectrum's high frequencies weigh it directly."""
    def loss(sharp, restored):
        diff = tf.transpose(tf.cast(sharp, tf.float32) - tf.cast(restored, tf.float32), [0, 3, 1, 2])
        size = tf.cast(tf.shape(diff)[2] * tf.shape(diff)[3], tf.float32)
        spectrum = tf.signal.rfft2d(diff) / tf.cast(tf.sqrt(size), tf.complex64)
        return _mean(tf.abs(tf.math.real(spectrum)) + tf.abs(tf.math.imag(spectrum)))
    return loss


def load_vgg(kind: str, weights: str, include_top: bool = False) -> keras.Model:
    """``keras.applications.VGG19`` or ``VGG16`` (``kind``) with ``weights`` = "imagenet",
    "random" (untrained; for tests) or a local .h5 file. Fails with a message naming the fix
    when the ImageNet weights cannot be downloaded."""
    app = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}[kind]
    if weights == "random":
        return app(include_top=include_top, weights=None)
    if weights != "imagenet" and not tf.io.gfile.exists(weights):
        raise ValueError(f"--vgg-weights {weights!r}: no such file; pass 'imagenet' or the path of the "
                         f"{kind} no-top weights file (.h5)")
    try:
        return app(include_top=include_top, weights=weights)
    except Exception as exc:  # the download fails in many ways offline (URLError, OSError, ...)
        if weights != "imagenet":
            raise ValueError(f"--vgg-weights {weights}: cannot load it as {kind} no-top weights ({exc})") from exc
        url = VGG19_NOTOP_URL if kind == "vgg19" else VGG19_NOTOP_URL.replace("vgg19", "vgg16")
        raise RuntimeError(
            f"cannot download the ImageNet {kind.upper()} weights ({type(exc).__name__}: {exc}). "
            f"On a machine with internet download {url} and pass it with --vgg-weights /path/to/"
            f"{os.path.basename(url)} (or copy it to ~/.keras/models/); "
            "--content-losses l1 trains without VGG") from exc


def vgg_feature_model(kind: str, layer: str, weights: str, pre_activation: bool = False) -> keras.Model:
    """A frozen model from Caffe-style VGG input to the features at ``layer`` (a convolution),
    after its ReLU, or before it with ``pre_activation`` (DeblurGAN's conv3_3 is torchvision's
    ``features[:15]``, which ends at the convolution)."""
    vgg = load_vgg(kind, weights)
    vgg.trainable = False
    conv = vgg.get_layer(layer)
    if not pre_activation:
        return keras.Model(vgg.input, conv.output, name=f"{kind}_{layer}")
    # The same convolution without its activation, on the layer's own input.
    linear = keras.layers.Conv2D(conv.filters, conv.kernel_size, padding=conv.padding, name=f"{layer}_linear")
    out = linear(conv.input)
    linear.set_weights(conv.get_weights())
    return keras.Model(vgg.input, out, name=f"{kind}_{layer}_preact")


def perceptual_loss(kind: str, layer: str, weights: str, pre_activation: bool = False) -> LossFn:
    """MSE between VGG features of the sharp and restored images (Johnson et al.; DeblurGAN's content loss).

    Images go from [-1, 1] to the input the Keras weights expect (Caffe style: BGR, 0..255,
    ImageNet mean subtracted); the MSE is divided by :data:`DEBLURGAN_FEATURE_MSE`, so that a
    weight of 100 weighs the term as DeblurGAN's 100 does (see the derivation above it).
    """
    features = vgg_feature_model(kind, layer, weights, pre_activation)
    preprocess = keras.applications.vgg19.preprocess_input  # the same for VGG16

    def vgg(images):
        return tf.cast(features(preprocess((tf.cast(images, tf.float32) + 1.0) * 127.5), training=False), tf.float32)

    def loss(sharp, restored):
        # Two calls, not one on both batches: the sharp images' features are constants, so the
        # backward pass runs through the restored half only (a third less time for this loss,
        # the same value and gradient).
        target = tf.stop_gradient(vgg(sharp))
        return _mean(tf.square(vgg(restored) - target)) / DEBLURGAN_FEATURE_MSE

    return loss


@register_content_loss("vgg19")
def vgg19_loss(cfg: TrainConfig) -> LossFn:
    """DeblurGAN's content loss: VGG19 conv3_3 before its ReLU."""
    return perceptual_loss("vgg19", "block3_conv3", cfg.vgg_weights, pre_activation=True)


def build_content_loss(cfg: TrainConfig) -> Callable[[tf.Tensor, tf.Tensor], dict[str, tf.Tensor]]:
    """``fn(sharp, restored) -> {"content": weighted sum, "<name>": each unweighted term}``."""
    terms = []
    for name, weight in zip(cfg.content_losses, cfg.content_weights):
        if name not in CONTENT_LOSSES:
            from training.config import _load_preset_modules
            _load_preset_modules()
        if name not in CONTENT_LOSSES:
            raise ValueError(f"unknown content loss {name!r}; registered: {sorted(CONTENT_LOSSES)}")
        terms.append((name, float(weight), CONTENT_LOSSES[name](cfg)))

    def content(sharp, restored):
        out = {}
        total = tf.constant(0.0)
        for name, weight, fn in terms:
            value = fn(sharp, restored)
            out[name] = value
            total = total + weight * value
        out["content"] = total
        return out

    return content
