"""Losses: the gradient penalty on a critic with a known gradient, BCE, L1, VGG features and weights."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from training import losses
from training.config import TrainConfig


def _linear_critic(scale: float) -> keras.Model:
    """critic(x) = scale * sum(x) per image: its input gradient has norm scale * sqrt(H W C)."""
    inp = keras.Input((8, 8, 3))
    out = keras.layers.Lambda(lambda x: scale * tf.reduce_sum(x, axis=[1, 2, 3]))(inp)
    return keras.Model(inp, out)


@pytest.mark.parametrize("scale", [0.5 / np.sqrt(192), 1.0 / np.sqrt(192), 3.0 / np.sqrt(192)])
def test_gradient_penalty_is_the_squared_distance_of_the_gradient_norm_from_1(scale):
    real = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=0)
    fake = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=1)
    gp = float(losses.gradient_penalty(_linear_critic(scale), real, fake))
    norm = scale * np.sqrt(192)
    assert gp == pytest.approx((norm - 1.0) ** 2, abs=1e-5)


def test_wgan_and_bce_losses():
    wgan = losses.ADVERSARIAL_LOSSES["wgan-gp"]
    real, fake = tf.constant([2.0, 4.0]), tf.constant([-1.0, 1.0])
    assert float(wgan.critic(real, fake)) == pytest.approx(0.0 - 3.0)
    assert float(wgan.generator(fake)) == pytest.approx(0.0)
    bce = losses.ADVERSARIAL_LOSSES["bce"]
    # Logits of 0 are probability 1/2: log 2 for each term.
    zeros = tf.zeros([3, 4, 4, 1])
    assert float(bce.critic(zeros, zeros)) == pytest.approx(2 * np.log(2), rel=1e-6)
    assert float(bce.generator(zeros)) == pytest.approx(np.log(2), rel=1e-6)
    probs = losses.ADVERSARIAL_LOSSES["bce-probs"]
    half = tf.fill([3, 1], 0.5)
    assert float(probs.critic(half, half)) == pytest.approx(2 * np.log(2), rel=1e-5)
    with pytest.raises(ValueError, match="unknown adversarial loss"):
        losses.build_adversarial_loss(TrainConfig(adversarial="hinge"))


def test_content_loss_weights_and_terms():
    cfg = TrainConfig(content_losses=("l1",), content_weights=(100.0,))
    fn = losses.build_content_loss(cfg)
    a = tf.zeros([2, 8, 8, 3])
    out = fn(a, a + 0.25)
    assert float(out["l1"]) == pytest.approx(0.25) and float(out["content"]) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="unknown content loss 'ssim'"):
        losses.build_content_loss(TrainConfig(content_losses=("ssim",), content_weights=(1.0,)))


def test_vgg19_block3_conv3_loss_is_zero_for_equal_images_and_grows_with_difference():
    cfg = TrainConfig(content_losses=("vgg19", "l1"), content_weights=(100.0, 1.0), vgg_weights="random")
    fn = losses.build_content_loss(cfg)
    x = tf.random.uniform([2, 32, 32, 3], -1, 1, seed=3)
    assert float(fn(x, x)["vgg19"]) == 0.0
    small = float(fn(x, x + 0.05)["vgg19"])
    big = float(fn(x, tf.clip_by_value(x + tf.random.normal(x.shape, stddev=0.5, seed=4), -1, 1))["vgg19"])
    assert 0 < small < big


def test_failed_imagenet_download_says_how_to_pass_a_local_file(monkeypatch):
    def offline(**kwargs):
        if kwargs.get("weights") == "imagenet":
            raise OSError("URL fetch failure: [Errno -3] Temporary failure in name resolution")
        raise AssertionError("only the download is simulated")

    monkeypatch.setattr(keras.applications, "VGG19", offline)
    with pytest.raises(RuntimeError, match=r"--vgg-weights /path/to/vgg19_weights_tf_dim_ordering_tf_kernels_notop\.h5"):
        losses.load_vgg("vgg19", "imagenet")


def test_vgg_weights_from_a_local_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        losses.load_vgg("vgg19", str(tmp_path / "missing.h5"))
    source = losses.load_vgg("vgg19", "random")
    path = str(tmp_path / "vgg19_notop.weights.h5")
    source.save_weights(path)
    loaded = losses.load_vgg("vgg19", path)
    for a, b in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["vgg19", "vgg16"])
def test_perceptual_loss_is_the_feature_mse_on_deblurgans_torchvision_scale(kind, monkeypatch):
    # A tiny stand-in for VGG (random weights): the loss must be the raw Caffe-input feature MSE
    # divided by (255 * 0.226)^2, so that DeblurGAN's weight of 100 keeps its meaning.
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    features = keras.Model(inp, keras.layers.Conv2D(4, 3, activation="relu")(inp))
    seen = []
    monkeypatch.setattr(losses, "vgg_feature_model", lambda k, layer, w: seen.append(k) or features)
    loss = losses.perceptual_loss(kind, "block3_conv3", "random")
    a = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=1)
    b = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=2)
    caffe = keras.applications.vgg19.preprocess_input
    raw = float(tf.reduce_mean(tf.square(features(caffe((a + 1) * 127.5)) - features(caffe((b + 1) * 127.5)))))
    assert seen == [kind] and raw > 0
    assert losses.CAFFE_TO_TORCH_FEATURE_MSE == pytest.approx((255 * 0.226) ** 2)
    assert float(loss(a, b)) == pytest.approx(raw / losses.CAFFE_TO_TORCH_FEATURE_MSE, rel=1e-5)
