"""The GAN model: one real training step changes both networks with finite losses, under every option."""
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from shardkit import tiny_config
from training.data import shards as data
from training.gan import model as gan
from training.losses import adversarial


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


def test_the_penalty_enters_the_critic_loss_with_its_weight(real_batch, monkeypatch):
    # The penalty replaced by a constant c: two models alike but for gp_weight (10 and 1) take one
    # step on one batch; their critic losses, taken before the critic moves, differ by exactly 9 c.
    from training import losses
    c = 0.375
    monkeypatch.setattr(adversarial, "gradient_penalty", lambda critic, real, fake: tf.constant(c))
    logs = {}
    for weight in (10.0, 1.0):
        keras.utils.set_random_seed(0)
        model = gan.DeblurGAN(tiny_config(adversarial="wgan-gp", gp_weight=weight, critic_steps=1))
        model.compile()
        logs[weight] = model.train_on_batch(*real_batch, return_dict=True)
        assert logs[weight]["gp"] == pytest.approx(c)
    assert logs[10.0]["d_loss"] - logs[1.0]["d_loss"] == pytest.approx(9 * c, rel=1e-4)


def test_training_a_few_steps_lowers_the_content_loss(real_batch):
    keras.utils.set_random_seed(0)
    model = gan.DeblurGAN(tiny_config(gen_zero_init_output=False, lr=2e-3, adversarial_weight=0.0))
    model.compile()
    assert model.critic is None  # adversarial weight 0 switches the critic off
    first = model.train_on_batch(*real_batch, return_dict=True)["l1"]
    for _ in range(15):
        last = model.train_on_batch(*real_batch, return_dict=True)["l1"]
    assert last < first


# Run in a fresh process: logical devices must be set before TensorFlow starts, and this pytest
# process has long started it. One step of the same model on the same global batch of 2, once on
# one device and once split over two replicas of one image each, must move every weight the same
# way. Plain SGD, so that an update is proportional to its gradient (Adam's first step is not):
# a loss not divided by the number of replicas doubles the mirrored update. No dropout and no
# gradient penalty, whose random draws would differ between the two runs.
_MIRRORED = """
import sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
sys.path.insert(0, sys.argv[1])
from shardkit import tiny_config
from training.gan import model as gan

cfg = tiny_config(generator="resnet", gen_dropout=0.0, gen_zero_init_output=False, adversarial="bce",
                  adversarial_weight=0.5, critic_steps=1, content_losses=("l1",), content_weights=(1.0,))
rng = np.random.default_rng(0)
sharp = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
blurred = (0.5 * sharp + 0.5 * np.roll(sharp, 2, axis=2)).astype(np.float32)
data = tf.data.Dataset.from_tensors((blurred, sharp))

def build():
    model = gan.DeblurGAN(cfg)
    model.compile(g_optimizer=keras.optimizers.SGD(0.05), d_optimizer=keras.optimizers.SGD(0.05))
    return model

keras.utils.set_random_seed(0)
single = build()
start_g, start_d = single.generator.get_weights(), single.critic.get_weights()
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = build()
mirrored.generator.set_weights(start_g)
mirrored.critic.set_weights(start_d)
assert strategy.num_replicas_in_sync == 2
for model in (single, mirrored):
    model.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
    assert model.step == 1
out = {}
for part, start in (("generator", start_g), ("critic", start_d)):
    a = getattr(single, part).get_weights()
    b = getattr(mirrored, part).get_weights()
    out[part] = [np.concatenate([(x - s).ravel() for x, s in zip(a, start)]),
                 np.concatenate([(x - s).ravel() for x, s in zip(b, start)])]
np.savez(sys.argv[2], **{f"{k}_{i}": v[i] for k, v in out.items() for i in (0, 1)})
"""


def test_a_step_split_over_two_replicas_equals_one_step_on_one_device(tmp_path):
    here = pathlib.Path(__file__).resolve().parent
    result = tmp_path / "updates.npz"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-c", _MIRRORED, str(here), str(result)], capture_output=True,
                          text=True, timeout=600, env=env, cwd=here.parents[1])
    assert proc.returncode == 0, proc.stderr[-3000:]
    updates = np.load(result)
    for part in ("generator", "critic"):
        single, mirrored = updates[f"{part}_0"], updates[f"{part}_1"]
        assert np.abs(single).max() > 1e-4, part  # the step moved the weights
        np.testing.assert_allclose(mirrored, single, rtol=0, atol=1e-3 * np.abs(single).max(), err_msg=part)


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


def test_grad_clip_scales_a_spike_down_to_its_multiple_of_the_running_mean():
    model = gan.DeblurGAN(tiny_config(adversarial_weight=0.0, grad_clip=4.0))
    model.compile()
    shapes = [v.shape for v in model.generator.trainable_variables]
    unit = [tf.ones(s) for s in shapes]
    norm = float(tf.linalg.global_norm(unit))
    # The first step sets the running mean and passes its gradient unchanged.
    out, clipped = model._clip(unit)
    assert float(clipped) == 0.0 and float(model.grad_norm) == pytest.approx(norm)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(out, unit))
    # A gradient 3 times the mean passes; one 10 times the mean is scaled to 4 times, keeping its direction.
    out, clipped = model._clip([3.0 * g for g in unit])
    assert float(clipped) == 0.0 and float(tf.linalg.global_norm(out)) == pytest.approx(3 * norm, rel=1e-5)
    mean = float(model.grad_norm)
    assert mean == pytest.approx(0.99 * norm + 0.01 * 3 * norm, rel=1e-5)
    out, clipped = model._clip([10.0 * g for g in unit])
    assert float(clipped) == 1.0
    assert float(tf.linalg.global_norm(out)) == pytest.approx(4 * mean, rel=1e-5)
    assert np.allclose(out[0].numpy() / out[0].numpy().flat[0], 1.0)
    # The mean follows the clipped norm, not the spike's; a non-finite gradient leaves it as it was.
    assert float(model.grad_norm) == pytest.approx(0.99 * mean + 0.01 * 4 * mean, rel=1e-5)
    before = float(model.grad_norm)
    model._clip([g * np.inf for g in unit])
    assert float(model.grad_norm) == before


def test_grad_clip_is_off_by_default_and_checked():
    from training.config import TrainConfig
    assert TrainConfig().grad_clip == 0.0 and gan.DeblurGAN(tiny_config(grad_clip=0.0)).grad_norm is None
    for bad in (-1.0, 0.5, 1.0):
        with pytest.raises(ValueError, match="grad_clip"):
            tiny_config(grad_clip=bad)
    with pytest.raises(ValueError, match="one device"):
        tiny_config(grad_clip=4.0, strategy="mirrored")
