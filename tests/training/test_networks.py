"""Generator and critic: DeblurGAN's layout and size, shapes, identity start, receptive field, registries."""
import numpy as np
import pytest
import tensorflow as tf

from shardkit import tiny_config
from training import networks
from training.config import TrainConfig
from training.presets import preset
from training.networks import resnet
from training.networks import patchgan
from training.networks import layers


def test_full_deblurgan_generator_and_critic_have_the_published_size():
    cfg = preset("deblurgan")
    g = networks.build_generator(cfg)
    # The paper's ResNet-9 (two convolutions per block), 64 filters, every convolution with a bias
    # and instance norm without scale or shift: PyTorch counts 11,378,179 parameters for it.
    assert g.count_params() == 11_378_179
    kinds = [type(layer).__name__ for layer in g.layers]
    assert kinds.count("InstanceNorm") == 3 + 2 * 9 + 2 and "GroupNormalization" not in kinds
    assert kinds.count("Dropout") == 9 and kinds.count("ReflectPad2D") == 2 + 2 * 9
    c = networks.build_critic(cfg)
    # DeblurGAN's NLayerDiscriminator (n_layers 3, instance norm, biases): 2,764,737 in PyTorch.
    assert c.count_params() == 2_764_737
    assert sum(type(layer).__name__ == "Conv2D" and layer.strides == (2, 2) for layer in c.layers) == 3


def test_deblurgan_weights_start_as_normal_0_02_and_biases_at_zero():
    g = networks.build_generator(preset("deblurgan"))
    kernels = np.concatenate([layer.kernel.numpy().ravel() for layer in g.layers
                              if hasattr(layer, "kernel") and layer.name != "tail_conv"])
    assert abs(kernels.mean()) < 1e-4 and kernels.std() == pytest.approx(0.02, rel=0.01)
    assert all(not np.any(layer.bias.numpy()) for layer in g.layers if getattr(layer, "bias", None) is not None)


def test_instance_norm_has_no_weights_and_normalises_each_image_and_channel():
    layer = layers.InstanceNorm()
    x = tf.random.normal([2, 9, 7, 4], mean=3.0, stddev=2.0, seed=3) * tf.constant([1.0, 5.0, 0.1, 2.0])
    y = layer(x).numpy()
    assert layer.weights == []
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-3)


def test_upsampling_is_pytorchs_transposed_convolution():
    # ConvTranspose2d(k=3, s=2, padding=1, output_padding=1): out[o] += x[i] w[k] where o = 2 i - 1 + k.
    import keras
    cfg = tiny_config(gen_norm="none")
    inp = keras.Input((None, None, 1))
    model = keras.Model(inp, resnet._upsample(inp, 1, cfg, "up"))
    w = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    conv = model.get_layer("up_conv")
    conv.set_weights([w.reshape(3, 3, 1, 1), np.zeros(1, np.float32)])
    x = np.random.default_rng(0).uniform(0, 1, (1, 4, 5, 1)).astype(np.float32)
    expected = np.zeros((8, 10))
    for i in range(4):
        for j in range(5):
            for ki in range(3):
                for kj in range(3):
                    o, p = 2 * i - 1 + ki, 2 * j - 1 + kj
                    if 0 <= o < 8 and 0 <= p < 10:
                        expected[o, p] += x[0, i, j, 0] * w[ki, kj]
    np.testing.assert_allclose(model(x).numpy()[0, :, :, 0], expected, rtol=1e-5)


def test_residual_convolutions_pad_by_reflection():
    # A constant image stays constant through reflect padding; zero padding darkens the border.
    import keras
    for padding, flat in (("reflect", True), ("zero", False)):
        cfg = tiny_config(gen_norm="none", gen_padding=padding, gen_dropout=0.0)
        inp = keras.Input((None, None, 2))
        model = keras.Model(inp, resnet.resnet_block(inp, 2, cfg, "blk"))
        for layer in model.layers:
            if hasattr(layer, "kernel"):
                layer.set_weights([np.full(layer.kernel.shape, 0.1, np.float32), np.zeros(layer.bias.shape, np.float32)])
        out = model(np.ones((1, 6, 6, 2), np.float32)).numpy()
        assert np.allclose(out, out[0, 3, 3]) == flat


def test_generator_keeps_any_multiple_of_4_size_and_stays_in_range():
    g = networks.build_generator(tiny_config())
    x = tf.random.uniform([2, 36, 52, 3], -1, 1, seed=0)
    y = g(x).numpy()
    assert y.shape == (2, 36, 52, 3) and y.dtype == np.float32
    assert y.min() >= -1 and y.max() <= 1


def test_zero_initialised_output_makes_the_untrained_generator_the_identity():
    x = tf.random.uniform([1, 32, 32, 3], -1, 1, seed=1)
    np.testing.assert_allclose(networks.build_generator(tiny_config(gen_zero_init_output=True))(x).numpy(), x.numpy(), atol=1e-6)
    assert not np.allclose(networks.build_generator(tiny_config(gen_zero_init_output=False, init="he"))(x).numpy(),
                           x.numpy(), atol=1e-3)


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
    assert patchgan.receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70


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
