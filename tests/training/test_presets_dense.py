"""The densegan generator: constant resolution, dense connectivity, global skip, config builder."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from training.networks import dense as nets_dense  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.networks.li2024 import parameter_counts  # noqa: E402


@pytest.mark.parametrize("norm", ["instance", "batch", "none"])
def test_parameter_count_matches_the_closed_form_of_the_layout(norm):
    g = nets_dense.build_dense_generator(width=8, blocks=2, units=3, growth=4, norm=norm)
    assert parameter_counts(g)["total"] == nets_dense.dense_generator_params(8, 2, 3, 4, norm)


def test_units_see_all_earlier_features_and_resolution_never_changes():
    g = nets_dense.build_dense_generator(width=8, blocks=2, units=3, growth=4)
    convs = {layer.name: layer for layer in g.layers if isinstance(layer, keras.layers.Conv2D)}
    # Unit i of a block gets width + i * growth channels; the transition gets width + units * growth.
    assert [convs[f"dense1_u{i}_conv"].kernel.shape[2] for i in range(3)] == [8, 12, 16]
    assert convs["dense1_transition"].kernel.shape[2] == 20
    assert all(c.strides == (1, 1) for c in convs.values())
    y = g(tf.random.uniform((2, 20, 30, 3), -1, 1))  # any size, not only multiples of 4
    assert y.shape == (2, 20, 30, 3) and float(tf.reduce_max(tf.abs(y))) <= 1.0


def test_zero_initialised_output_makes_the_untrained_generator_the_identity():
    g = nets_dense.build_dense_generator(width=8, blocks=1, units=2, growth=4, zero_init_output=True)
    x = tf.random.uniform((1, 16, 16, 3), -0.9, 0.9, seed=2)
    np.testing.assert_allclose(g(x).numpy(), x.numpy(), atol=1e-6)
    g2 = nets_dense.build_dense_generator(width=8, blocks=1, units=2, growth=4)
    assert not np.allclose(g2(x).numpy(), x.numpy(), atol=1e-3)


def test_builder_reads_the_train_config_and_extras():
    cfg = TrainConfig(generator="dense", gen_filters=8, gen_blocks=2, gen_norm="none",
                      extra=(("dense_units", 2), ("dense_growth", 6)))
    g = nets_dense.dense_generator(cfg)
    assert parameter_counts(g)["total"] == nets_dense.dense_generator_params(8, 2, 2, 6, "none")


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="growth"):
        nets_dense.build_dense_generator(growth=0)
