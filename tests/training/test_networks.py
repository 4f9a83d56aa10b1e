"""Generator and critic: DeblurGAN's layout and size, shapes, identity start, receptive field, registries."""
import numpy as np
import pytest
import tensorflow as tf

from shardkit import tiny_config
from training import networks
from training.config import TrainConfig, preset


def test_full_deblurgan_generator_and_critic_have_the_published_size():
    cfg = preset("deblurgan")
    g = networks.build_generator(cfg)
    # ResNet-9, 64 filters: 11.4 M parameters (DeblurGAN's generator), instance norm everywhere.
    assert 11.3e6 < g.count_params() < 11.5e6
    assert sum(type(layer).__name__ == "GroupNormalization" for layer in g.layers) == 3 + 2 * 9 + 2
    c = networks.build_critic(cfg)
    assert sum(type(layer).__name__ == "Conv2D" and layer.strides == (2, 2) for layer in c.layers) == 3


def test_generator_keeps_any_multiple_of_4_size_and_stays_in_range():
    g = networks.build_generator(tiny_config())
    x = tf.random.uniform([2, 36, 52, 3], -1, 1, seed=0)
    y = g(x).numpy()
    assert y.shape == (2, 36, 52, 3) and y.dtype == np.float32
    assert y.min() >= -1 and y.max() <= 1


def test_zero_initialised_output_makes_the_untrained_generator_the_identity():
    x = tf.random.uniform([1, 32, 32, 3], -1, 1, seed=1)
    np.testing.assert_allclose(networks.build_generator(tiny_config(gen_zero_init_output=True))(x).numpy(), x.numpy(), atol=1e-6)
    assert not np.allclose(networks.build_generator(tiny_config(gen_zero_init_output=False))(x).numpy(), x.numpy(), atol=1e-3)


def test_patchgan_sees_70x70_pixels():
    # Without instance norm, whose statistics couple every pixel to every output.
    critic = networks.build_critic(preset("deblurgan").replace(critic_filters=2, critic_norm="none"))
    x = tf.Variable(tf.random.uniform([1, 160, 160, 3], -1, 1, seed=2))
    with tf.GradientTape() as tape:
        out = critic(x)
        h, w = out.shape[1] // 2, out.shape[2] // 2
        score = out[0, h, w, 0]
    grad = np.abs(tape.gradient(score, x).numpy()[0]).sum(axis=-1)
    rows, cols = np.nonzero(grad.sum(axis=1))[0], np.nonzero(grad.sum(axis=0))[0]
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70
    assert networks.receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70


def test_batch_norm_and_dropout_generators_build():
    g = networks.build_generator(tiny_config(gen_norm="batch", gen_dropout=0.5))
    names = [type(layer).__name__ for layer in g.layers]
    assert "BatchNormalization" in names and "Dropout" in names


def test_a_new_generator_can_be_registered_and_an_unknown_one_is_refused():
    @networks.register_generator("test-identity")
    def build(cfg):
        import keras
        inp = keras.Input((None, None, 3))
        return keras.Model(inp, keras.layers.Identity()(inp))

    try:
        assert networks.build_generator(TrainConfig(generator="test-identity")).count_params() == 0
    finally:
        networks.GENERATORS.pop("test-identity")
    with pytest.raises(ValueError, match="unknown generator 'nope'"):
        networks.build_generator(TrainConfig(generator="nope"))
    with pytest.raises(ValueError, match="norm must be one of"):
        networks.build_generator(TrainConfig(gen_norm="layer"))
