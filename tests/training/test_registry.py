"""The registries: the part names of the presets resolve through training.presets without other imports."""
import numpy as np

from shardkit import tiny_config
from training import config, losses, networks
from training.gan import model as gan
from training import presets
from training import metrics as metrics_table


def test_preset_lookup_registers_the_published_variants_parts():
    presets.preset("smoke")  # imports training.presets
    assert {"resnet", "li2024", "dense"} <= set(networks.GENERATORS)
    assert {"patchgan", "li2024"} <= set(networks.CRITICS)
    assert {"l1", "vgg19", "vgg16", "lpips"} <= set(losses.CONTENT_LOSSES)
    assert {"wgan-gp", "bce", "bce-probs"} <= set(losses.ADVERSARIAL_LOSSES)
    assert {"psnr", "ssim", "ms_ssim"} <= set(metrics_table.METRICS)


def test_each_registry_is_full_as_soon_as_any_module_of_its_room_is_imported():
    # A fresh process that imports only the registries' own modules: the rooms fill them.
    import subprocess
    import sys
    code = ("import json\n"
            "from training.networks.registry import CRITICS, GENERATORS\n"
            "from training.losses.registry import ADVERSARIAL_LOSSES, CONTENT_LOSSES, CRITIC_AUGMENTS\n"
            "from training.metrics.registry import METRICS\n"
            "from training.presets.registry import PRESETS\n"
            "print(json.dumps([sorted(GENERATORS), sorted(CRITICS), sorted(ADVERSARIAL_LOSSES), sorted(CONTENT_LOSSES),"
            " len(CRITIC_AUGMENTS), sorted(METRICS), sorted(PRESETS)]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr
    gens, critics, adversarial, content, augments, metrics, names = __import__("json").loads(proc.stdout.splitlines()[-1])
    assert gens == ["dense", "li2024", "resnet", "unet"] and critics == ["li2024", "patchgan"]
    assert adversarial == ["bce", "bce-probs", "wgan-gp"] and content == ["fft", "l1", "lpips", "vgg16", "vgg19"]
    assert augments == 1
    assert metrics == ["brightness", "fsim", "lpips", "ms_ssim", "psnr", "ssim", "vifp"]
    assert names == ["cpu", "deblurgan", "densegan", "li2024", "smoke"]


def test_critic_augmentation_is_off_unless_asked_for():
    assert gan.DeblurGAN(tiny_config()).critic_augment is None
    model = gan.DeblurGAN(tiny_config(extra=(("diffaugment", "translation"),)))
    assert model.critic_augment is not None
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    assert model.critic_augment(x).shape == x.shape


def test_presets_round_trip_through_json_and_every_preset_builds_its_config():
    for name in presets.PRESETS:
        cfg = presets.preset(name)
        assert config.TrainConfig.from_dict(__import__("json").loads(cfg.to_json())) == cfg
    assert presets.preset("deblurgan") == config.TrainConfig()
