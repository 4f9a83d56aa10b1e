"""The fused instance norm computes what the textbook formula computes, with the same gradients
(first and second order: the gradient penalty differentiates through the critic's norms), in
every dtype the generator runs in, and models that hold it save and load as before."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from training.networks.layers import InstanceNorm, instance_norm, instance_norm_reference


def _activations(shape, seed=0):
    # Channels of different offsets and scales, as a convolution's outputs have.
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, shape) * rng.uniform(0.1, 5.0, shape[-1]) + rng.uniform(-3, 3, shape[-1])
    return tf.constant(x.astype(np.float32))


@pytest.mark.parametrize("shape", [(1, 33, 47, 8), (3, 16, 20, 5)])
def test_fused_equals_reference_for_one_image_and_a_batch(shape):
    x = _activations(shape)
    expected = instance_norm_reference(x).numpy()
    np.testing.assert_allclose(instance_norm(x).numpy(), expected, atol=2e-5)
    # Inside a traced function the batch size can be unknown: the same result.
    traced = tf.function(instance_norm, input_signature=[tf.TensorSpec([None, None, None, shape[-1]])])
    np.testing.assert_allclose(traced(x).numpy(), expected, atol=2e-5)


def test_each_image_is_normalised_on_its_own():
    a, b = _activations((1, 12, 12, 4), 1), _activations((1, 12, 12, 4), 2) * 10.0 + 7.0
    both = instance_norm(tf.concat([a, b], axis=0)).numpy()
    np.testing.assert_allclose(both[:1], instance_norm(a).numpy(), atol=1e-5)
    np.testing.assert_allclose(both[1:], instance_norm(b).numpy(), atol=1e-5)


@pytest.mark.parametrize("dtype,atol", [(tf.bfloat16, 0.04), (tf.float16, 5e-3)])
def test_low_precision_in_gives_the_same_dtype_out_with_float32_moments(dtype, atol, request):
    if dtype == tf.bfloat16:
        request.getfixturevalue("tensorflow_bfloat16")  # skips where TensorFlow has no bfloat16 kernels
    x = tf.cast(_activations((2, 16, 16, 6)), dtype)
    y = instance_norm(x)
    assert y.dtype == dtype
    # The reference on the same rounded inputs, in float32: only the output's rounding differs.
    expected = instance_norm_reference(tf.cast(x, tf.float32)).numpy()
    np.testing.assert_allclose(tf.cast(y, tf.float32).numpy(), expected, atol=atol)


def test_first_and_second_order_gradients_equal_the_reference():
    x = _activations((2, 10, 12, 4), 3)
    w = _activations((2, 10, 12, 4), 4)

    def penalty_grad(fn):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(tf.nn.leaky_relu(fn(x), 0.2) * w)
            grad = inner.gradient(score, x)
            penalty = tf.reduce_sum(tf.square(grad))
        return grad.numpy(), outer.gradient(penalty, x).numpy()

    g_ref, gg_ref = penalty_grad(instance_norm_reference)
    g, gg = penalty_grad(instance_norm)
    np.testing.assert_allclose(g, g_ref, atol=1e-5 * np.abs(g_ref).max())
    np.testing.assert_allclose(gg, gg_ref, atol=1e-4 * np.abs(gg_ref).max())


def test_layer_config_is_unchanged_so_saved_models_load(tmp_path):
    layer = InstanceNorm(epsilon=1e-3, name="n")
    cfg = layer.get_config()
    assert cfg["epsilon"] == 1e-3 and keras.saving.get_registered_name(InstanceNorm) == "blurgen>InstanceNorm"
    inp = keras.Input((None, None, 3))
    model = keras.Model(inp, InstanceNorm(name="n")(keras.layers.Conv2D(4, 3, name="c")(inp)))
    path = tmp_path / "m.keras"
    model.save(path)
    x = _activations((1, 9, 11, 3))
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)
    # The layer declares its output shape, so building a model does not trace its call.
    assert InstanceNorm().compute_output_shape((None, 5, 7, 3)) == (None, 5, 7, 3)
    stored = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    assert {ly["class_name"] for ly in stored["config"]["layers"]} >= {"InstanceNorm"}
