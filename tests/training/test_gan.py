"""The GAN model: one real training step changes both networks with finite losses, under every option."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from shardkit import tiny_config
from training import data, gan


@pytest.fixture(scope="module")
def real_batch(train_glob):
    return next(iter(data.train_dataset(train_glob, batch=2, crop=32, shuffle_buffer=8, seed=0)))


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _changed(before, model):
    return sum(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("adversarial", ["wgan-gp", "bce"])
def test_one_training_step_gives_finite_losses_and_changes_the_weights(real_batch, adversarial):
    keras.utils.set_random_seed(0)
    # Not zero-initialised: a zero last layer passes no gradient to the others on the first step.
    model = gan.DeblurGAN(tiny_config(adversarial=adversarial, content_losses=("vgg19", "l1"),
                                      content_weights=(1.0, 100.0), vgg_weights="random",
                                      gen_zero_init_output=False))
    model.compile()
    g0, d0 = _snapshot(model.generator), _snapshot(model.critic)
    logs = model.train_on_batch(*real_batch, return_dict=True)
    assert model.step == 1
    assert int(model.d_optimizer.iterations.numpy()) == model.cfg.critic_steps
    expected = {"g_loss", "content", "vgg19", "l1", "psnr", "g_adv", "d_loss"} | ({"gp"} if adversarial == "wgan-gp" else set())
    assert expected <= set(logs), logs
    assert all(np.isfinite(v) for v in logs.values()), logs
    # Every trainable tensor of both networks moved (Adam moves all that get a gradient).
    assert _changed(g0, model.generator) == len(model.generator.trainable_weights)
    # The critic's output bias cancels out of the Wasserstein loss (mean fake - mean real) and the
    # penalty, so it alone gets no gradient under WGAN-GP.
    unchanged = [v.path for v, a in zip(model.critic.weights, d0) if np.array_equal(a, v.numpy())]
    assert unchanged == (["score/bias"] if adversarial == "wgan-gp" else []), unchanged


def test_training_a_few_steps_lowers_the_content_loss(real_batch):
    keras.utils.set_random_seed(0)
    model = gan.DeblurGAN(tiny_config(gen_zero_init_output=False, lr=2e-3, adversarial_weight=0.0))
    model.compile()
    assert model.critic is None  # adversarial weight 0 switches the critic off
    first = model.train_on_batch(*real_batch, return_dict=True)["l1"]
    for _ in range(15):
        last = model.train_on_batch(*real_batch, return_dict=True)["l1"]
    assert last < first


def test_a_step_runs_under_mirrored_strategy(real_batch):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = gan.DeblurGAN(tiny_config())
        model.compile()
    g0 = _snapshot(model.generator)
    ds = tf.data.Dataset.from_tensors(real_batch).repeat()
    hist = model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    assert model.step == 2 and np.isfinite(hist.history["g_loss"][-1])
    assert _changed(g0, model.generator) > 0


def test_a_step_runs_with_mixed_precision(real_batch):
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model = gan.DeblurGAN(tiny_config(mixed_precision=True))
        model.compile()
        assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
        out = model.generator(real_batch[0])
        assert out.dtype == tf.float32  # the last layers stay float32
        logs = model.train_on_batch(*real_batch, return_dict=True)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert all(np.isfinite(v) for v in logs.values()), logs


def test_evaluate_uses_test_step(real_batch):
    model = gan.DeblurGAN(tiny_config())
    model.compile()
    logs = model.evaluate(tf.data.Dataset.from_tensors(real_batch), verbose=0, return_dict=True)
    assert set(logs) >= {"g_loss", "l1", "psnr"} and np.isfinite(logs["psnr"])
    assert model.step == 0  # evaluation does not train
