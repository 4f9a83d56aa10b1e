"""The registries: the part names of the presets resolve through training.presets without other imports."""
import numpy as np

from shardkit import tiny_config
from training import config, gan, losses, networks, score


def test_preset_lookup_registers_the_published_variants_parts():
    config.preset("smoke")  # imports training.presets
    assert {"resnet", "li2024", "dense"} <= set(networks.GENERATORS)
    assert {"patchgan", "li2024"} <= set(networks.CRITICS)
    assert {"l1", "vgg19", "vgg16", "lpips"} <= set(losses.CONTENT_LOSSES)
    assert {"wgan-gp", "bce", "bce-probs"} <= set(losses.ADVERSARIAL_LOSSES)
    assert {"psnr", "ssim", "ms_ssim"} <= set(score.METRICS)


def test_critic_augmentation_is_off_unless_asked_for():
    assert gan.DeblurGAN(tiny_config()).critic_augment is None
    model = gan.DeblurGAN(tiny_config(extra=(("diffaugment", "translation"),)))
    assert model.critic_augment is not None
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    assert model.critic_augment(x).shape == x.shape


def test_presets_round_trip_through_json_and_every_preset_builds_its_config():
    for name in config.PRESETS:
        cfg = config.preset(name)
        assert config.TrainConfig.from_dict(__import__("json").loads(cfg.to_json())) == cfg
    assert config.preset("deblurgan") == config.TrainConfig()
