"""DiffAugment: gradients reach the generator, pairs share one draw, each group does what it says."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from training.losses.diffaugment import diff_augment, diff_augment_from_config, parse_policy  # noqa: E402


def _images(n=4, h=16, w=16, c=3, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, h, w, c)), tf.float32)


def test_generator_gets_a_nonzero_gradient_through_the_augmented_critic_input():
    gen = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(3, 3, padding="same")])
    critic = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, strides=2),
                               keras.layers.LeakyReLU(0.2), keras.layers.GlobalAveragePooling2D(),
                               keras.layers.Dense(1)])
    x = _images()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        score = tf.reduce_mean(critic(diff_augment(gen(x), "color,translation,cutout", seed=(1, 2))))
    grads = tape.gradient(score, gen.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
    assert float(tf.linalg.global_norm(grads)) > 0
    gx = tape.gradient(score, x).numpy()
    assert np.abs(gx).sum() > 0


def test_a_list_gets_one_draw_and_separate_calls_get_different_draws():
    a = _images(seed=1)
    b = _images(seed=2, c=1)  # channel counts may differ
    out_a, out_b = diff_augment([a, a * 1.0], "translation,cutout", seed=(3, 4))
    np.testing.assert_array_equal(out_a.numpy(), out_b.numpy())
    pa, pb = diff_augment([a, b], "translation,cutout", seed=(5, 6))
    # Zero-filled pixels (translation border, cutout square) are at the same places in both.
    both = (pa.numpy() == 0).all(-1) & (a.numpy() != 0).all(-1)
    np.testing.assert_array_equal(both, (pb.numpy() == 0).all(-1) & (b.numpy() != 0).all(-1))
    assert not np.array_equal(diff_augment(a, seed=(7, 8)).numpy(), diff_augment(a, seed=(9, 10)).numpy())


def test_same_seed_same_result_also_inside_tf_function():
    x = _images()
    eager = diff_augment(x, seed=(11, 12)).numpy()
    graph = tf.function(lambda t: diff_augment(t, seed=tf.constant([11, 12])))(x).numpy()
    np.testing.assert_allclose(eager, graph, atol=1e-6)
    assert diff_augment(x).shape == x.shape  # no seed: a fresh draw


def test_translation_is_an_integer_shift_filled_with_zeros():
    x = _images(n=6, h=16, w=16, seed=3)
    out = diff_augment(x, "translation", seed=(13, 14)).numpy()
    xs = x.numpy()
    shifts = []
    for n in range(6):
        found = []
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                ref = np.zeros_like(xs[n])
                ys, ye = max(dy, 0), 16 + min(dy, 0)
                xs0, xe = max(dx, 0), 16 + min(dx, 0)
                ref[ys:ye, xs0:xe] = xs[n, ys - dy:ye - dy, xs0 - dx:xe - dx]
                if np.array_equal(ref, out[n]):
                    found.append((dy, dx))
        assert len(found) == 1, n  # exactly one shift within 1/8 of 16 px explains the output
        shifts.append(found[0])
    assert len(set(shifts)) > 1  # shifts differ between images


def test_cutout_zeroes_one_square_of_at_most_half_the_side():
    x = _images(n=8, h=16, w=16, seed=4) + 3.0  # no zeros in the input
    out = diff_augment(x, "cutout", seed=(15, 16)).numpy()
    for n in range(8):
        zero = (out[n] == 0).all(-1)
        assert zero.any()
        rows, cols = np.where(zero)
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert h <= 8 and w <= 8 and zero.sum() == h * w  # one solid rectangle
        np.testing.assert_array_equal(out[n][~zero], x.numpy()[n][~zero])


def test_color_keeps_geometry_and_brightness_range():
    x = _images(n=16, seed=5)
    out = diff_augment(x, "color", seed=(17, 18)).numpy()
    assert out.shape == x.shape and not np.allclose(out, x.numpy())
    # A flat grey image has no saturation or contrast to change: only brightness moves it.
    flat = tf.zeros((16, 8, 8, 3))
    shifted = diff_augment(flat, "color", seed=(19, 20)).numpy()
    per_image = shifted.reshape(16, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1].repeat(per_image.shape[1], 1), atol=1e-6)
    assert np.all(np.abs(per_image[:, 0]) <= 0.5) and per_image[:, 0].std() > 0.05


def test_policy_parsing_and_config_switch():
    assert parse_policy("color, cutout") == ("color", "cutout")
    assert parse_policy("") == () and parse_policy(None) == ()
    with pytest.raises(ValueError, match="unknown DiffAugment group"):
        parse_policy("colour")
    x = _images()
    np.testing.assert_array_equal(diff_augment(x, "").numpy(), x.numpy())

    class Cfg:
        def __init__(self, extra):
            self.extra = extra

        def get_extra(self, name, default=None):
            return dict(self.extra).get(name, default)

    assert diff_augment_from_config(Cfg(()))(x) is x
    assert diff_augment_from_config(Cfg((("diffaugment", "cutout"),)))(x).shape == x.shape


def test_densegan_parts_get_generator_gradients_through_augmented_patchgan_scores():
    from training.config import TrainConfig
    from training.networks.dense import build_dense_generator
    from training.networks.patchgan import patchgan_critic

    keras.utils.set_random_seed(0)
    gen = build_dense_generator(width=4, blocks=1, units=2, growth=4)
    critic = patchgan_critic(TrainConfig(critic_filters=4, critic_layers=2))
    blurred = _images(n=2, h=32, w=32, seed=6)
    with tf.GradientTape() as tape:
        restored = gen(blurred, training=True)
        # WGAN generator loss on the augmented restoration, as the densegan preset trains it.
        g_adv = -tf.reduce_mean(critic(diff_augment(restored, "color,translation,cutout", seed=(21, 22))))
    grads = tape.gradient(g_adv, gen.trainable_weights)
    assert all(g is not None for g in grads)
    norms = [float(tf.norm(g)) for g in grads]
    assert all(np.isfinite(norms)) and all(n > 0 for n in norms), norms
