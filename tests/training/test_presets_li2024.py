"""The Li (2024) networks: paper parameter counts, layout, dropout, one real training step."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from training.networks import li2024 as li  # noqa: E402


def test_paper_settings_match_the_published_parameter_counts_within_2_percent():
    rows = li.check_paper_counts(tolerance=0.02)
    # Exact figures of this layout, so an accidental change of the architecture shows.
    assert rows["generator"]["measured"] == 11_399_171
    assert rows["discriminator"]["measured"] == 3_098_370
    assert all(row["ok"] for row in rows.values()), rows


def test_parameter_counts_split_batch_norm_statistics_out():
    g = li.build_li2024_generator(width=4, blocks=2)
    counts = li.parameter_counts(g)
    # BN after stem (w), down (2w, 4w), 2 per block (4w each), up (2w, w): 4 stats each, 2 trainable.
    bn_channels = 4 + 8 + 16 + 2 * 2 * 16 + 8 + 4
    assert counts["non_trainable"] == 2 * bn_channels
    assert counts["total"] == g.count_params()


def test_discriminator_has_six_4x4_convolutions_leaky_relu_and_a_probability_output():
    d = li.build_li2024_discriminator(crop=32, width=4, dense_units=8)
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 6
    assert all(c.kernel_size == (4, 4) for c in convs)
    assert [c.strides[0] for c in convs] == [2, 2, 2, 2, 1, 1]
    assert sum(isinstance(layer, keras.layers.LeakyReLU) for layer in d.layers) == 5
    out = d(tf.random.uniform((3, 32, 32, 3), -1, 1)).numpy()
    assert out.shape == (3, 1) and np.all((out > 0) & (out < 1))


def test_discriminator_rejects_a_crop_the_dense_head_cannot_take():
    with pytest.raises(ValueError, match="multiple of 16"):
        li.build_li2024_discriminator(crop=40)


def test_generator_uses_batch_norm_dropout_and_keeps_shape_and_range():
    g = li.build_li2024_generator(width=4, blocks=2)
    names = [type(layer).__name__ for layer in g.layers]
    assert names.count("BatchNormalization") == 2 + 1 + 2 * 2 + 2
    assert names.count("Dropout") == 2
    x = tf.random.uniform((2, 32, 48, 3), -1, 1, seed=1)
    y_eval = g(x, training=False).numpy()
    assert y_eval.shape == (2, 32, 48, 3) and y_eval.min() >= -1 and y_eval.max() <= 1
    # Dropout is random in training and off at inference.
    np.testing.assert_array_equal(y_eval, g(x, training=False).numpy())
    assert not np.allclose(g(x, training=True).numpy(), g(x, training=True).numpy())


def test_one_training_step_with_bce_gives_finite_losses_and_changes_both_networks(tmp_path):
    g = li.build_li2024_generator(width=4, blocks=1)
    d = li.build_li2024_discriminator(crop=32, width=4, dense_units=8)
    rng = np.random.default_rng(0)
    sharp = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    blurred = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    bce = keras.losses.BinaryCrossentropy()
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    before_g = [w.numpy().copy() for w in g.trainable_weights]
    before_d = [w.numpy().copy() for w in d.trainable_weights]
    with tf.GradientTape() as dt:
        fake = g(blurred, training=True)
        d_loss = bce(tf.ones((2, 1)), d(sharp, training=True)) + bce(tf.zeros((2, 1)), d(fake, training=True))
    d_opt.apply_gradients(zip(dt.gradient(d_loss, d.trainable_weights), d.trainable_weights))
    with tf.GradientTape() as gt:
        fake = g(blurred, training=True)
        g_loss = bce(tf.ones((2, 1)), d(fake, training=True)) + 100 * tf.reduce_mean(tf.abs(fake - sharp))
    g_opt.apply_gradients(zip(gt.gradient(g_loss, g.trainable_weights), g.trainable_weights))
    assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before_g, g.trainable_weights))
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before_d, d.trainable_weights))


def test_generator_saves_and_loads_without_unsafe_deserialisation(tmp_path):
    g = li.build_li2024_generator(width=4, blocks=1)
    path = tmp_path / "g.keras"
    g.save(path)
    back = keras.models.load_model(path)  # safe_mode stays on
    x = tf.random.uniform((1, 16, 16, 3), -1, 1)
    np.testing.assert_allclose(back(x).numpy(), g(x).numpy(), atol=1e-6)
