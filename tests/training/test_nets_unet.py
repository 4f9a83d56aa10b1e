"""The ``unet`` generator of the ``cpu`` and ``smoke`` presets: any size, starts near the identity,
reaches far, saves and loads in a fresh process."""
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from shardkit import ROOT, tiny_config
from training import networks


def _unet(**changes):
    """A small ``unet`` started as the presets start it (the tail small, not zero), unless changed."""
    return networks.build_generator(tiny_config(**{"generator": "unet", "gen_filters": 8, "gen_blocks": 2,
                                                   "gen_zero_init_output": False, **changes}))


@pytest.mark.parametrize("h, w", [(32, 48), (37, 61), (5, 9)])
def test_any_size_comes_back_the_same_size_and_in_range(h, w):
    x = tf.random.uniform([2, h, w, 3], -1, 1, seed=0)
    y = _unet()(x).numpy()
    assert y.shape == (2, h, w, 3) and y.min() >= -1 and y.max() <= 1


def test_the_untrained_network_is_close_to_the_identity_but_not_stuck_there():
    # Every block's second convolution starts at zero and the tail is small: the input passes
    # through nearly unchanged (a network without normalisation starts stable), yet the tail's
    # gradient reaches every earlier layer from the first step (nothing starts dead).
    gen = _unet()
    x = tf.random.uniform([1, 32, 32, 3], -0.9, 0.9, seed=1)
    y = gen(x).numpy()
    assert 0 < np.abs(y - x.numpy()).mean() < 0.2  # 0.12 on this noise input
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(gen(x) - tf.zeros_like(x)))
    grads = tape.gradient(loss, gen.trainable_variables)
    moving = [v.path for v, g in zip(gen.trainable_variables, grads) if g is not None and float(tf.reduce_max(tf.abs(g))) > 0]
    assert any("enc1_in" in p for p in moving) and any("tail" in p for p in moving)


def test_a_zero_initialised_tail_makes_the_untrained_network_the_identity():
    x = tf.random.uniform([1, 24, 40, 3], -0.9, 0.9, seed=2)
    np.testing.assert_allclose(_unet(gen_zero_init_output=True)(x).numpy(), x.numpy(), atol=1e-6)


def test_an_output_pixel_sees_far_more_than_a_small_resnet():
    # The restoration of a pixel must draw on a neighbourhood larger than camera shake (up to
    # about 40 px). Measure the receptive field through the gradient of one output pixel.
    import keras
    full = _unet(gen_blocks=4)
    gen = keras.Model(full.input, full.get_layer("residual_f32").output)  # before the clip, which can saturate
    for layer in gen.layers:  # non-zero weights everywhere, so that every path carries gradient
        if getattr(layer, "kernel", None) is not None:
            layer.kernel.assign(tf.random.normal(layer.kernel.shape, stddev=0.1, seed=2))
    x = tf.Variable(tf.random.uniform([1, 256, 256, 3], -0.5, 0.5, seed=3))
    with tf.GradientTape() as tape:
        out = gen(x)[0, 128, 128, 0]
    grad = np.abs(tape.gradient(out, x).numpy()[0]).sum(axis=-1)
    rows = np.nonzero(grad.sum(axis=1))[0]
    assert rows.max() - rows.min() + 1 >= 120


def test_a_saved_unet_loads_in_a_fresh_process(tmp_path):
    gen = _unet()
    path = tmp_path / "generator.keras"
    gen.save(path)
    x = np.random.default_rng(4).uniform(-1, 1, (1, 20, 28, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", gen(x).numpy())
    code = (f"import numpy as np; from training.inference.restorer import Restorer; r = Restorer({str(path)!r});"
            f"x = np.load({str(tmp_path / 'x.npy')!r}); y = r.generator(x).numpy();"
            f"assert np.allclose(y, np.load({str(tmp_path / 'y.npy')!r}), atol=1e-6)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_without_clipping_in_training_outputs_past_the_range_keep_their_gradient(generator):
    """A generator pushed past [-1, 1] (here: inputs at the edge of the range plus the residual)
    gets no gradient from its clipped pixels; with clip_in_training false the training pass returns
    them unclipped, so a loss can pull them back, and restoring still clips."""
    x = tf.concat([tf.fill([1, 16, 32, 3], 0.999), tf.fill([1, 16, 32, 3], -0.999)], axis=1)
    for in_training in (True, False):
        gen = networks.build_generator(tiny_config(generator=generator, gen_filters=8, gen_blocks=1,
                                                   clip_in_training=in_training, gen_dropout=0.0))
        tail = [v for v in gen.trainable_variables if "bias" in v.path][-1]
        tail.assign(tf.fill(tail.shape, 0.5))  # every output pixel is pushed well beyond the range
        with tf.GradientTape() as tape:
            y = gen(x, training=True)
            loss = tf.reduce_mean(tf.abs(y))
        grad = tape.gradient(loss, tail)
        assert float(tf.reduce_max(tf.abs(gen(x, training=False)))) <= 1.0
        if in_training:
            assert float(tf.reduce_max(tf.abs(y))) <= 1.0
        else:
            assert float(tf.reduce_max(tf.abs(y))) > 1.0 and float(tf.reduce_max(tf.abs(grad))) > 0
