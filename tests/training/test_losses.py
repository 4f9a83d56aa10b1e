"""Losses: the gradient penalty on a critic with a known gradient, BCE, L1, VGG features and weights."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from training import losses
from training.config import TrainConfig
from training.losses import content
from training.losses import adversarial


def _linear_critic(scale: float) -> keras.Model:
    """critic(x) = scale * sum(x) per image: its input gradient has norm scale * sqrt(H W C)."""
    inp = keras.Input((8, 8, 3))
    out = keras.layers.Lambda(lambda x: scale * tf.reduce_sum(x, axis=[1, 2, 3]))(inp)
    return keras.Model(inp, out)


@pytest.mark.parametrize("scale", [0.5 / np.sqrt(192), 1.0 / np.sqrt(192), 3.0 / np.sqrt(192)])
def test_gradient_penalty_is_the_squared_distance_of_the_gradient_norm_from_1(scale):
    real = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=0)
    fake = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=1)
    gp = float(adversarial.gradient_penalty(_linear_critic(scale), real, fake))
    norm = scale * np.sqrt(192)
    assert gp == pytest.approx((norm - 1.0) ** 2, abs=1e-5)


def _patch_critic(weights: np.ndarray) -> keras.Model:
    """A patch map: tanh of a 1x1 convolution (one weight per channel), so each patch's score is
    tanh(w . x[i, j]); the image's score is the map's mean."""
    inp = keras.Input((None, None, 3))
    conv = keras.layers.Conv2D(1, 1, use_bias=False, activation="tanh")
    out = conv(inp)
    conv.set_weights([weights.reshape(1, 1, 3, 1).astype(np.float32)])
    return keras.Model(inp, out)


def test_gradient_penalty_of_a_patch_critic_matches_a_hand_computation():
    # D(x) = mean_ij tanh(w . x_ij), so dD/dx_ij = w (1 - tanh^2(w . x_ij)) / (H W), at the points
    # x_hat = real + alpha (fake - real). Computed here in numpy, independently of TensorFlow.
    rng = np.random.default_rng(0)
    w = np.array([0.7, -1.3, 2.1])
    real = rng.uniform(-1, 1, (3, 6, 5, 3)).astype(np.float32)
    fake = rng.uniform(-1, 1, (3, 6, 5, 3)).astype(np.float32)
    alpha = np.array([0.2, 0.5, 0.9], np.float32).reshape(3, 1, 1, 1)
    x = real + alpha * (fake - real)
    t = np.tanh(x @ w)
    grad = w[None, None, None, :] * (1 - t ** 2)[..., None] / (6 * 5)
    norms = np.sqrt((grad ** 2).sum(axis=(1, 2, 3)))
    expected = np.mean((norms - 1) ** 2)
    got = float(adversarial.gradient_penalty(_patch_critic(w), tf.constant(real), tf.constant(fake), alpha=tf.constant(alpha)))
    assert got == pytest.approx(expected, rel=1e-5)
    # The penalty is taken between the two images, not at the real ones.
    at_real = np.sqrt(((w[None, None, None, :] * (1 - np.tanh(real @ w) ** 2)[..., None] / 30) ** 2).sum(axis=(1, 2, 3)))
    assert abs(np.mean((at_real - 1) ** 2) - expected) > 1e-3


def test_penalty_is_near_zero_for_a_critic_whose_mean_score_has_a_unit_gradient():
    # A linear patch map over P = 8 x 8 patches whose mean has gradient norm exactly 1: the
    # penalty must vanish. (The gradient of the map's sum would have norm P = 64.)
    side = 8
    w = np.array([1.0, 2.0, 2.0]) / 3.0 * side  # |w| = side, the mean divides by side^2
    inp = keras.Input((side, side, 3))
    conv = keras.layers.Conv2D(1, 1, use_bias=False)
    critic = keras.Model(inp, conv(inp))
    conv.set_weights([w.reshape(1, 1, 3, 1).astype(np.float32)])
    real = tf.random.uniform([4, side, side, 3], -1, 1, seed=5)
    fake = tf.random.uniform([4, side, side, 3], -1, 1, seed=6)
    assert float(adversarial.gradient_penalty(critic, real, fake)) == pytest.approx(0.0, abs=1e-6)


def test_a_small_critic_trained_with_the_penalty_tells_two_distributions_apart():
    # Real: smooth images; fake: the same with strong noise. A WGAN-GP critic trained for a few
    # hundred steps must score them far apart; a penalty that holds the critic's gradient to
    # 1 / patches (the sum of the patch map) leaves the gap near 0.
    from training import networks
    from training.presets import preset
    keras.utils.set_random_seed(0)
    cfg = preset("deblurgan").replace(critic_filters=8, critic_layers=2)
    critic = networks.build_critic(cfg)
    opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.999)
    wgan = losses.ADVERSARIAL_LOSSES["wgan-gp"]
    rng = np.random.default_rng(0)

    def batch():
        base = rng.uniform(-0.5, 0.5, (8, 1, 1, 3)) + np.zeros((8, 32, 32, 3))
        return (tf.constant(base, tf.float32),
                tf.constant(np.clip(base + rng.normal(0, 0.3, base.shape), -1, 1), tf.float32))

    @tf.function
    def step(real, fake):
        with tf.GradientTape() as tape:
            loss = wgan.critic(critic(real), critic(fake)) + 10.0 * adversarial.gradient_penalty(critic, real, fake)
        opt.apply(tape.gradient(loss, critic.trainable_variables), critic.trainable_variables)

    for _ in range(300):
        step(*batch())
    real, fake = batch()
    gap = float(tf.reduce_mean(adversarial.image_scores(critic(real))) - tf.reduce_mean(adversarial.image_scores(critic(fake))))
    assert gap > 0.5


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
        content.load_vgg("vgg19", "imagenet")


def test_vgg_weights_from_a_local_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        content.load_vgg("vgg19", str(tmp_path / "missing.h5"))
    source = content.load_vgg("vgg19", "random")
    path = str(tmp_path / "vgg19_notop.weights.h5")
    source.save_weights(path)
    loaded = content.load_vgg("vgg19", path)
    for a, b in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind,pre_activation", [("vgg19", True), ("vgg16", False)])
def test_perceptual_loss_is_the_caffe_input_feature_mse_on_deblurgans_scale(kind, pre_activation, monkeypatch):
    # A tiny stand-in for VGG (random weights): the loss must be the feature MSE of the images
    # mapped to Caffe input (BGR, 0..255, mean subtracted), divided by DeblurGAN's factor.
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    features = keras.Model(inp, keras.layers.Conv2D(4, 3)(inp))
    seen = []
    monkeypatch.setattr(content, "vgg_feature_model", lambda k, layer, w, pre: seen.append((k, pre)) or features)
    loss = content.perceptual_loss(kind, "block3_conv3", "random", pre_activation)
    a = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=1)
    b = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=2)
    mean_bgr = np.array([103.939, 116.779, 123.68], np.float32)
    caffe = lambda x: (x.numpy()[..., ::-1] + 1) * 127.5 - mean_bgr  # noqa: E731  (written out, not Keras')
    raw = float(np.mean((features(caffe(a)).numpy() - features(caffe(b)).numpy()) ** 2))
    assert seen == [(kind, pre_activation)] and raw > 0
    assert float(loss(a, b)) == pytest.approx(raw / (127.5 / (255 * 0.226)) ** 2, rel=1e-5)


def test_deblurgans_feature_scale_is_exact_for_a_bias_free_relu_network():
    # The derivation behind DEBLURGAN_FEATURE_MSE: conv-ReLU-conv without biases is positively
    # homogeneous, so inputs scaled by s give features scaled by s and an MSE scaled by s^2.
    keras.utils.set_random_seed(1)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, use_bias=False, activation="relu")(inp)
    net = keras.Model(inp, keras.layers.Conv2D(8, 3, use_bias=False)(x))
    a = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=3)
    b = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=4)
    s = content.DEBLURGAN_INPUT_SCALE
    mse = lambda k: float(tf.reduce_mean(tf.square(net(k * a) - net(k * b))))  # noqa: E731
    assert mse(s) / mse(1.0) == pytest.approx(content.DEBLURGAN_FEATURE_MSE, rel=1e-4)
    assert content.DEBLURGAN_FEATURE_MSE == pytest.approx(4.895, abs=1e-3)


def test_vgg19_content_loss_uses_conv3_3_before_its_relu(monkeypatch):
    vgg = content.load_vgg("vgg19", "random")
    monkeypatch.setattr(content, "load_vgg", lambda kind, weights: vgg)
    pre = content.vgg_feature_model("vgg19", "block3_conv3", "random", pre_activation=True)
    post = content.vgg_feature_model("vgg19", "block3_conv3", "random")
    x = tf.random.uniform([1, 32, 32, 3], -100, 100, seed=7)
    a, b = pre(x).numpy(), post(x).numpy()
    assert a.shape == b.shape == (1, 8, 8, 256) and a.min() < 0
    np.testing.assert_allclose(np.maximum(a, 0), b, rtol=1e-5, atol=1e-4)


def test_fft_loss_is_the_mean_absolute_difference_of_the_orthonormal_spectra():
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (2, 8, 12, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, (2, 8, 12, 3)).astype(np.float32)
    spectrum = np.fft.rfft2(np.transpose(a - b, (0, 3, 1, 2)), norm="ortho")
    expected = np.mean(np.abs(spectrum.real) + np.abs(spectrum.imag))
    loss = losses.CONTENT_LOSSES["fft"](TrainConfig())
    assert float(loss(tf.constant(a), tf.constant(b))) == pytest.approx(expected, rel=1e-5)
    assert float(loss(tf.constant(a), tf.constant(a))) == 0.0
