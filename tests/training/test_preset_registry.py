"""The three published presets as ``training.fit --preset NAME`` resolves them: each builds with
its published size and takes one real training step with finite losses."""
import keras
import numpy as np
import pytest

from training import networks
from training.data import shards as data
from training.gan import model as gan
from training.presets import PRESETS, preset


@pytest.fixture(scope="module")
def batch(train_glob):
    return next(iter(data.train_dataset(train_glob, batch=2, crop=32, shuffle_buffer=8, seed=0)))


def test_all_presets_are_registered():
    preset("deblurgan")  # loads training.presets
    assert {"deblurgan", "li2024", "densegan", "smoke"} <= set(PRESETS)


@pytest.mark.parametrize("name, generator, critic", [
    ("deblurgan", 11_378_179, 2_764_737),  # the paper's ResNet-9 and the 70x70 PatchGAN, as PyTorch counts them
    ("li2024", 11_399_171, 3_098_370),  # Li (2024): 11.4 M and 3.1 M, within 2 percent
])
def test_published_sizes(name, generator, critic):
    cfg = preset(name)
    g, c = networks.build_generator(cfg), networks.build_critic(cfg)
    assert g.count_params() == generator and c.count_params() == critic
    if name == "li2024":
        assert abs(g.count_params() / 11.4e6 - 1) < 0.02 and abs(c.count_params() / 3.1e6 - 1) < 0.02


def test_densegan_preset_parts():
    cfg = preset("densegan")
    assert cfg.generator == "dense" and cfg.adversarial == "wgan-gp" and cfg.diffaugment
    assert cfg.content_losses == ("l1", "lpips")
    g = networks.build_generator(cfg)
    assert g.count_params() > 0 and g.output_shape[-1] == 3


@pytest.mark.parametrize("name", ["deblurgan", "li2024", "densegan"])
def test_each_preset_takes_one_real_step(name, batch):
    small = dict(gen_filters=4, gen_blocks=1, critic_filters=4, critic_steps=1, batch=2, crop=32,
                 vgg_weights="random", lpips_weights="random")
    cfg = preset(name).replace(**small)
    if name == "li2024":
        cfg = cfg.replace(extra=(("li2024_dense_units", 8),))
    if name == "densegan":
        cfg = cfg.replace(extra=(("dense_units", 2), ("dense_growth", 4)))
    keras.utils.set_random_seed(0)
    model = gan.DeblurGAN(cfg)
    model.compile()
    before = [w.copy() for w in model.generator.get_weights()]
    logs = model.train_on_batch(*batch, return_dict=True)
    assert logs and all(np.isfinite(v) for v in logs.values()), logs
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.generator.get_weights()))
    for loss in cfg.content_losses:
        assert loss in logs
    # DiffAugment is on for densegan only, and then the critic sees augmented images.
    assert (model.critic_augment is not None) == (name == "densegan")
