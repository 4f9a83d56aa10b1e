"""The li2024 and densegan parts inside the trainer's DeblurGAN: one real step, finite losses.

The parts are registered here under the names the presets use (``setdefault``: if the trainer
already registered them, its registration is the one tested).
"""
import keras
import numpy as np
import pytest

from shardkit import tiny_config
from training import losses, networks
from training.data import shards as data
from training.gan import model as gan
from training.losses.lpips import lpips_loss
from training.networks.dense import dense_generator
from training.networks.li2024 import li2024_critic, li2024_generator, parameter_counts
from training.losses import content


@pytest.fixture(scope="module", autouse=True)
def registered():
    networks.GENERATORS.setdefault("li2024", li2024_generator)
    networks.CRITICS.setdefault("li2024", li2024_critic)
    networks.GENERATORS.setdefault("dense", dense_generator)
    losses.CONTENT_LOSSES.setdefault("vgg16", lambda cfg: content.perceptual_loss("vgg16", "block3_conv3", cfg.vgg_weights))
    losses.CONTENT_LOSSES.setdefault("lpips", lpips_loss)


@pytest.fixture(scope="module")
def real_batch(train_glob):
    return next(iter(data.train_dataset(train_glob, batch=2, crop=32, shuffle_buffer=8, seed=0)))


def _step(cfg, batch):
    keras.utils.set_random_seed(0)
    model = gan.DeblurGAN(cfg)
    model.compile()
    g0 = [w.copy() for w in model.generator.get_weights()]
    d0 = [w.copy() for w in model.critic.get_weights()]
    logs = model.train_on_batch(*batch, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values()), logs
    moved = lambda before, net: sum(not np.array_equal(a, b) for a, b in zip(before, net.get_weights()))  # noqa: E731
    assert moved(g0, model.generator) > 0 and moved(d0, model.critic) > 0
    return model, logs


def test_li2024_parts_train_one_step_with_bce_and_vgg16(real_batch):
    cfg = tiny_config(generator="li2024", critic="li2024", gen_norm="batch", gen_dropout=0.5,
                      adversarial="bce", critic_steps=1, adversarial_weight=1.0,
                      content_losses=("vgg16",), content_weights=(100.0,), vgg_weights="random",
                      gen_zero_init_output=False, extra=(("li2024_dense_units", 8),))
    model, logs = _step(cfg, real_batch)
    assert {"vgg16", "g_adv", "d_loss"} <= set(logs)
    assert model.critic.output_shape == (None, 1)  # one logit per image
    assert parameter_counts(model.generator)["non_trainable"] > 0  # batch norm statistics


def test_densegan_parts_train_one_step_with_wgan_gp_l1_and_lpips(real_batch):
    cfg = tiny_config(generator="dense", critic="patchgan", adversarial="wgan-gp", critic_steps=1,
                      adversarial_weight=1.0, content_losses=("l1", "lpips"), content_weights=(100.0, 1.0),
                      gen_zero_init_output=False,
                      extra=(("lpips_weights", "random"), ("dense_units", 2), ("dense_growth", 4)))
    _, logs = _step(cfg, real_batch)
    assert {"l1", "lpips", "gp"} <= set(logs) and logs["lpips"] > 0
