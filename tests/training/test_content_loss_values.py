"""The VGG content loss is the mean squared difference of the two images' VGG19 conv3_3
features (before the ReLU, Caffe input) over DeblurGAN's scale, with its gradient on the
restored images only."""
import keras
import numpy as np
import tensorflow as tf

from shardkit import tiny_config
from training import losses
from training.losses import content


def test_vgg_content_loss_value_and_gradient_match_the_formula():
    keras.utils.set_random_seed(11)
    loss = content.vgg19_loss(tiny_config(vgg_weights="random"))
    keras.utils.set_random_seed(11)  # the same random weights again, in a network of our own
    features = content.vgg_feature_model("vgg19", "block3_conv3", "random", pre_activation=True)
    rng = np.random.default_rng(0)
    sharp = tf.constant(rng.uniform(-1, 1, (2, 32, 40, 3)).astype(np.float32))
    restored = tf.Variable(rng.uniform(-1, 1, (2, 32, 40, 3)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(sharp)
        value = loss(sharp, restored)

    def caffe(x):
        return keras.applications.vgg19.preprocess_input((x + 1.0) * 127.5)

    expected = tf.reduce_mean(tf.square(features(caffe(restored)) - features(caffe(sharp)))) / content.DEBLURGAN_FEATURE_MSE
    np.testing.assert_allclose(float(value), float(expected), rtol=1e-5)
    assert float(value) > 0
    grad = tape.gradient(value, restored)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0
    assert tape.gradient(value, sharp) is None  # the sharp images are the target, held fixed
