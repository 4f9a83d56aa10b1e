"""Every training setting in one frozen dataclass, with its default, and the named presets.

A preset is a dict of the fields that differ from :class:`TrainConfig`'s defaults (which are
DeblurGAN's). The command line starts from a preset and overrides single fields::

    python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    python -m training.fit --preset deblurgan --train ... --out runs/dg --crop 128 --content-losses l1

Adding a preset (as ``li2024`` and ``densegan`` were added) means adding an entry to ``PRESETS`` with
:func:`register_preset`, and registering any new generator, critic or loss by name in the
registries of :mod:`training.networks` and :mod:`training.losses`; the fields below name them.
Fields a new part needs and no old part uses go into ``extra`` (a tuple of ``(name, value)``
pairs, read with :meth:`TrainConfig.get_extra`), or are added here with a default that keeps the
old presets unchanged.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

INITS = ("normal", "he", "glorot")

@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (DeblurGAN's values by default).

    Networks:
      generator: registry name in ``training.networks.GENERATORS`` ("resnet": DeblurGAN's ResNet).
      gen_filters / gen_blocks / gen_norm / gen_dropout: width (first conv), residual blocks,
        normalisation ("instance": no learned scale or shift, as DeblurGAN; "batch"; "none") and
        dropout rate inside the blocks (DeblurGAN: 0.5).
      gen_padding: padding of the generator's 7x7 and residual convolutions ("reflect", DeblurGAN's, or "zero").
      gen_zero_init_output: start the last convolution at zero, so that thanks to the global skip the
        untrained generator is the identity (DeblurGAN: False).
      init / init_std: initial convolution weights of generator and critic: "normal" is
        N(0, init_std) (DeblurGAN: 0.02), "he" He-normal, "glorot" Keras' default.
      critic: registry name in ``training.networks.CRITICS`` ("patchgan": 70x70 PatchGAN).
      critic_filters / critic_layers / critic_norm: width, strided layers (3 for 70x70), norm.
    Losses:
      adversarial: name in ``training.losses.ADVERSARIAL_LOSSES`` ("wgan-gp" or "bce").
      adversarial_weight: weight of the generator's adversarial term (0 switches the critic off).
      critic_steps: critic updates per generator update (WGAN-GP: 5).
      gp_weight: gradient-penalty weight (WGAN-GP: 10).
      content_losses / content_weights: names in ``training.losses.CONTENT_LOSSES`` and their weights
        ("vgg19" is block3_conv3 feature MSE; "l1" the pixel L1).
      vgg_weights: "imagenet", "random" (tests only) or a path to the no-top .h5 file.
      lpips_weights: folder of converted LPIPS weights for the "lpips" content loss
        (``python -m training.lpips convert``), or "random" (tests only).
      diffaugment: DiffAugment policy applied to everything the critic sees, e.g.
        "color,translation,cutout"; "" switches it off.
    Optimiser and data:
      lr, beta1, beta2: Adam (DeblurGAN: 1e-4, 0.5, 0.999), the same for generator and critic.
      lr_decay_start / lr_decay_steps: the learning rate is ``lr`` until generator step
        ``lr_decay_start``, then falls linearly to 0 over ``lr_decay_steps`` steps (DeblurGAN: 150
        epochs constant, 150 decaying). -1 means half of the run (``epochs * steps_per_epoch``) for
        the start and the rest of the run for the decay; ``lr_decay_steps`` 0 keeps ``lr`` constant.
      batch, crop: batch size and square crop side in px (a multiple of 4).
      shuffle_buffer, ignore_errors: examples in the shuffle buffer; skip and count corrupt records.
    Run:
      epochs, steps_per_epoch, checkpoint_every (steps), samples (images in the per-epoch PNG),
      seed, mixed_precision, strategy ("default" or "mirrored").
    """

    generator: str = "resnet"
    gen_filters: int = 64
    gen_blocks: int = 9
    gen_norm: str = "instance"
    gen_dropout: float = 0.5
    gen_padding: str = "reflect"
    gen_zero_init_output: bool = False
    init: str = "normal"
    init_std: float = 0.02
    critic: str = "patchgan"
    critic_filters: int = 64
    critic_layers: int = 3
    critic_norm: str = "instance"
    adversarial: str = "wgan-gp"
    adversarial_weight: float = 1.0
    critic_steps: int = 5
    gp_weight: float = 10.0
    content_losses: tuple[str, ...] = ("vgg19",)
    content_weights: tuple[float, ...] = (100.0,)
    vgg_weights: str = "imagenet"
    lpips_weights: str = ""
    diffaugment: str = ""
    lr: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay_start: int = -1
    lr_decay_steps: int = -1
    batch: int = 1
    crop: int = 256
    shuffle_buffer: int = 256
    ignore_errors: bool = False
    epochs: int = 300
    steps_per_epoch: int = 1000
    checkpoint_every: int = 1000
    samples: int = 3
    seed: int = 0
    mixed_precision: bool = False
    strategy: str = "default"
    extra: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        # Messages name the setting and its flag: users mostly meet them from the command line.
        if len(self.content_losses) != len(self.content_weights):
            raise ValueError(
                f"{_setting('content_losses')} {self.content_losses} and {_setting('content_weights')} "
                f"{self.content_weights} must have the same length (one weight per loss)")
        if self.crop <= 0 or self.crop % 4:
            raise ValueError(f"{_setting('crop')} must be a positive multiple of 4 (the generator downsamples by 4), "
                             f"got {self.crop}")
        for name in ("batch", "epochs", "steps_per_epoch", "checkpoint_every", "critic_steps", "gen_filters"):
            if getattr(self, name) < 1:
                raise ValueError(f"{_setting(name)} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.gen_dropout < 1.0:
            raise ValueError(f"{_setting('gen_dropout')} must be in [0, 1), got {self.gen_dropout}")
        if self.gen_padding not in ("reflect", "zero"):
            raise ValueError(f"{_setting('gen_padding')} must be 'reflect' or 'zero', got {self.gen_padding!r}")
        if self.init not in INITS:
            raise ValueError(f"{_setting('init')} must be one of {INITS}, got {self.init!r}")
        if not self.init_std > 0:
            raise ValueError(f"{_setting('init_std')} must be positive, got {self.init_std}")
        for name in ("lr_decay_start", "lr_decay_steps"):
            if getattr(self, name) < -1:
                raise ValueError(f"{_setting(name)} must be -1 (half of the run) or at least 0, got {getattr(self, name)}")
        if self.strategy not in ("default", "mirrored"):
            raise ValueError(f"{_setting('strategy')} must be 'default' or 'mirrored', got {self.strategy!r}")

    @property
    def total_steps(self) -> int:
        """Generator steps of the whole run."""
        return self.epochs * self.steps_per_epoch

    def lr_schedule(self) -> tuple[int, int]:
        """``(start, length)`` of the linear decay in generator steps, with -1 resolved."""
        start = self.total_steps // 2 if self.lr_decay_start < 0 else self.lr_decay_start
        length = max(self.total_steps - start, 0) if self.lr_decay_steps < 0 else self.lr_decay_steps
        return start, length

    def get_extra(self, name: str, default: Any = None) -> Any:
        """A setting from ``extra`` (for parts added by later presets)."""
        return dict(self.extra).get(name, default)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples become lists); :meth:`from_dict` inverts it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"unknown training settings {unknown}; known: {sorted(known)}")
        values = {}
        for k, v in d.items():
            if k == "extra":
                v = tuple((str(a), b) for a, b in v)
            elif isinstance(v, list):
                v = tuple(v)
            values[k] = v
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


# Only the fields that differ from the defaults. Each preset documents how to run it.
PRESETS: dict[str, dict[str, Any]] = {
    # DeblurGAN (Kupyn et al. 2018), its defaults are TrainConfig's: the paper's ResNet-9, PatchGAN,
    # WGAN-GP, VGG19 conv3_3 x100, Adam 1e-4 with linear decay (README: where it differs and why).
    #   python -m training.fit --preset deblurgan --train 'shards/*-train.tfrecord-*' --out runs/dg
    "deblurgan": {},
    # A small model for the demo and the tests: the cpu preset's network at half the width and
    # depth, on smaller crops, for 1,000 steps (about 2 minutes on 2 cores).
    #   python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    "smoke": {
        "generator": "unet", "gen_filters": 16, "gen_blocks": 2, "gen_dropout": 0.0,
        "critic_filters": 16, "critic_layers": 2, "critic_steps": 1, "adversarial_weight": 0.01,
        "content_losses": ("l1", "fft"), "content_weights": (100.0, 50.0), "vgg_weights": "random",
        "lr": 5e-4, "batch": 8, "crop": 96, "shuffle_buffer": 64,
        "epochs": 10, "steps_per_epoch": 100, "checkpoint_every": 500, "samples": 2,
    },
    # Training that measurably deblurs on two CPU cores in under 20 minutes: the multi-scale
    # ``unet`` generator (training/nets_unet.py) without normalisation, a small PatchGAN critic
    # with WGAN-GP at a small weight (one critic update per step), L1 and Fourier-spectrum L1
    # content losses (no download), Adam 5e-4 held for half the run, then down to 0. Chosen on
    # validation photos of the learning benchmark's training set (never on its held-out sets), in
    # 1,500-step trials: the ResNet generator at this cost stayed within 0.15 dB of the blurred
    # input; this network gained 0.53 dB with L1, 0.56 dB (SSIM +0.009) with the spectrum term
    # added; the adversarial term at 0.01 cost nothing; at lr 1e-3 it diverged.
    #   python -m training.fit --preset cpu --train 'shards/*-train.tfrecord-*' --out runs/cpu
    #   python benchmarks/bench_learning.py   (make learn: the scores it reaches, in the README)
    "cpu": {
        "generator": "unet", "gen_filters": 32, "gen_blocks": 4, "gen_dropout": 0.0,
        "critic_filters": 16, "critic_layers": 3, "critic_steps": 1, "adversarial_weight": 0.01,
        "content_losses": ("l1", "fft"), "content_weights": (100.0, 50.0), "vgg_weights": "random",
        "lr": 5e-4, "batch": 8, "crop": 128, "shuffle_buffer": 256,
        "epochs": 40, "steps_per_epoch": 100, "checkpoint_every": 500, "samples": 3,
    },
}


def register_preset(name: str, overrides: dict[str, Any], replace: bool = False) -> None:
    """Add a preset (fields that differ from the defaults); checked by building its config."""
    if name in PRESETS and not replace:
        raise ValueError(f"preset {name!r} already exists")
    TrainConfig(**overrides)
    PRESETS[name] = dict(overrides)


def _load_preset_modules() -> None:
    """Import the optional modules that register more presets and parts, if present."""
    import importlib
    for mod in ("training.presets",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def preset(name: str) -> TrainConfig:
    """The config of a named preset."""
    _load_preset_modules()
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return TrainConfig(**PRESETS[name])


def flag_name(field_name: str) -> str:
    """The command-line flag of a :class:`TrainConfig` field: ``crop`` -> ``--crop``."""
    return "--" + field_name.replace("_", "-")


def _setting(field_name: str) -> str:
    return f"{field_name} ({flag_name(field_name)})"


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--field-name`` flag per field of :class:`TrainConfig` (default: the preset's value).

    Tuples take comma-separated values (``--content-losses vgg19,l1 --content-weights 100,1``);
    booleans take ``true``/``false`` (a bare ``--mixed-precision`` means true).
    Values are checked as they are parsed, so a bad one (``--crop abc``) stops with argparse's
    usage error naming the flag and what it expects (exit status 2).
    """
    for f in dataclasses.fields(TrainConfig):
        flag = flag_name(f.name)
        if f.name == "extra":
            parser.add_argument(flag, dest=f.name, action="append", default=None, metavar="NAME=JSON",
                                help="an extra setting for parts added by later presets (repeatable)")
        elif isinstance(f.default, bool):
            parser.add_argument(flag, dest=f.name, nargs="?", const=True, type=_parse_bool, default=None,
                                metavar="true|false")
        else:
            parser.add_argument(flag, dest=f.name, default=None, metavar=f.name.upper(), type=_flag_type(f))


def _flag_type(f: dataclasses.Field):
    """A converter that raises ``ArgumentTypeError`` saying what the field expects."""
    def convert(kind, what):
        def parse(text: str):
            try:
                return kind(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        return parse

    if isinstance(f.default, int):
        return convert(int, "an integer")
    if isinstance(f.default, float):
        return convert(float, "a number")
    if isinstance(f.default, tuple) and _numeric_tuple(f.name):
        return convert(lambda t: tuple(float(p) for p in t.split(",") if p), "comma-separated numbers, e.g. 100,1")
    if isinstance(f.default, tuple):
        return lambda text: tuple(p for p in text.split(",") if p)
    return str


def _numeric_tuple(name: str) -> bool:
    return name.endswith("weights") and name not in ("vgg_weights", "lpips_weights")


def config_from_args(args: argparse.Namespace, base: TrainConfig) -> TrainConfig:
    """``base`` with every flag given on the command line applied (strings converted by field type)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(TrainConfig):
        value = getattr(args, f.name, None)
        if value is None:
            continue
        current = getattr(base, f.name)
        if f.name == "extra":
            pairs = dict(base.extra)
            for item in value:
                k, sep, v = item.partition("=")
                if not sep:
                    raise ValueError(f"--extra takes NAME=JSON, got {item!r}")
                try:
                    pairs[k] = json.loads(v)
                except json.JSONDecodeError:
                    pairs[k] = v
            value = tuple(pairs.items())
        else:
            # Flags arrive converted by add_config_flags; a Namespace built by hand may hold strings.
            value = _convert(f, value, current)
        changes[f.name] = value
    return base.replace(**changes)


def _convert(f: dataclasses.Field, value: Any, current: Any) -> Any:
    """``value`` as ``current``'s type; a ValueError names the flag and what it expects."""
    if not isinstance(value, str):
        return value
    try:
        return _parse_bool(value) if isinstance(current, bool) else _flag_type(f)(value)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{flag_name(f.name)}: {exc}") from None
