"""The content losses: L1, the L1 of Fourier spectra, and VGG feature MSEs (DeblurGAN's VGG19
conv3_3, Li's VGG16 block3_conv3), each registered by name for ``--content-losses``."""
from __future__ import annotations

import os

import keras
import tensorflow as tf

from training.config import TrainConfig
from training.losses.registry import LossFn, register_content_loss


def _mean(x):
    return tf.reduce_mean(tf.cast(x, tf.float32))

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
# their feature magnitudes are not compared here; a test checks the factor on a bias-free network,
# where it is exact.
DEBLURGAN_INPUT_SCALE = 127.5 / (255.0 * 0.226)
DEBLURGAN_FEATURE_MSE = DEBLURGAN_INPUT_SCALE ** 2

VGG19_NOTOP_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                   "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")


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


@register_content_loss("vgg16")
def vgg16_loss(cfg: TrainConfig) -> LossFn:
    """Li (2024)'s content loss: VGG16 block3_conv3 feature MSE."""
    return perceptual_loss("vgg16", "block3_conv3", cfg.vgg_weights)
