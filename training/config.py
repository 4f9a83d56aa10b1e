"""Every training setting in one frozen dataclass, with its default, and the named presets.

A preset is a dict of the fields that differ from :class:`TrainConfig`'s defaults (which are
DeblurGAN's). The command line starts from a preset and overrides single fields::

    python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    python -m training.fit --preset deblurgan --train ... --out runs/dg --crop 128 --content-losses l1

Adding a preset means adding an entry to ``PRESETS`` (or, like ``li2024`` and ``densegan``, to
the TF-free :mod:`training.published`) with :func:`register_preset`, and registering any new
generator, critic or loss by name in the registries of :mod:`training.networks` and
:mod:`training.losses`; the fields below name them.
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

def _field(default: Any, help: str) -> Any:
    """A :class:`TrainConfig` field with its help text beside its default: ``fit --help`` and the
    docs read both from here, so neither can drift from the setting."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (DeblurGAN's values by default).

    Each field carries its help text (``dataclasses.fields(TrainConfig)[i].metadata["help"]``,
    :func:`field_help`); ``python -m training.fit --help`` prints every field as a flag with that
    text and its default.
    """

    # Networks
    generator: str = _field("resnet", "generator architecture, a name in training.networks.GENERATORS: "
                            "resnet (DeblurGAN's ResNet), li2024 (Li 2024's ResNet), dense (dense blocks), "
                            "unet (multi-scale, for CPU training)")
    gen_filters: int = _field(64, "generator width: filters of its first convolution")
    gen_blocks: int = _field(9, "residual (or dense) blocks of the generator")
    gen_norm: str = _field("instance", "generator normalisation: instance (no learned scale or shift, as "
                           "DeblurGAN), batch, or none")
    gen_dropout: float = _field(0.5, "dropout rate inside the generator's blocks, 0 to below 1 (DeblurGAN: 0.5)")
    gen_padding: str = _field("reflect", "padding of the generator's 7x7 and residual convolutions: reflect "
                              "(DeblurGAN's) or zero")
    gen_zero_init_output: bool = _field(False, "start the generator's last convolution at zero, so that with the "
                                        "global skip the untrained generator is the identity")
    clip_in_training: bool = _field(True, "clip the generator's output to [-1, 1] in training too (DeblurGAN's); "
                                    "false clips only when restoring, so that the losses can pull outputs that ran "
                                    "past the range back")
    init: str = _field("normal", "initial convolution weights of generator and critic: normal is "
                       "N(0, --init-std), he is He-normal, glorot is Keras' default")
    init_std: float = _field(0.02, "standard deviation of --init normal (DeblurGAN: 0.02)")
    critic: str = _field("patchgan", "critic architecture, a name in training.networks.CRITICS: patchgan "
                         "(70x70 PatchGAN at 3 layers), li2024 (Li 2024's 6 convolutions, logits)")
    critic_filters: int = _field(64, "critic width: filters of its first convolution")
    critic_layers: int = _field(3, "strided layers of the PatchGAN critic (3 gives 70x70 patches)")
    critic_norm: str = _field("instance", "critic normalisation: instance, batch or none")
    # Losses
    adversarial: str = _field("wgan-gp", "adversarial loss, a name in training.losses.ADVERSARIAL_LOSSES: "
                              "wgan-gp (Wasserstein with gradient penalty), bce (binary cross-entropy on the "
                              "critic's logits) or bce-probs (on a critic that ends in a sigmoid)")
    adversarial_weight: float = _field(1.0, "weight of the generator's adversarial term; 0 switches the critic off")
    critic_steps: int = _field(5, "critic updates per generator update (WGAN-GP: 5)")
    gp_weight: float = _field(10.0, "gradient-penalty weight of wgan-gp (WGAN-GP: 10)")
    content_losses: tuple[str, ...] = _field(("vgg19",), "content losses, comma-separated names in "
                                             "training.losses.CONTENT_LOSSES: vgg19 (VGG19 block3_conv3 feature "
                                             "MSE), vgg16, l1 (pixel L1), lpips, fft (L1 of the "
                                             "Fourier spectra)")
    content_weights: tuple[float, ...] = _field((100.0,), "weights of --content-losses, comma-separated, one per loss")
    vgg_weights: str = _field("imagenet", "VGG weights of the vgg16/vgg19 losses: imagenet (downloaded once), "
                              "a path to the no-top .h5 file, or random (tests only)")
    lpips_weights: str = _field("", "folder of converted LPIPS weights for the lpips loss (python -m "
                                "training.lpips convert), or random (tests only)")
    diffaugment: str = _field("", "DiffAugment policy applied to everything the critic sees, e.g. "
                              "color,translation,cutout; empty switches it off")
    # Optimiser and data
    lr: float = _field(1e-4, "Adam learning rate of generator and critic (DeblurGAN: 1e-4)")
    beta1: float = _field(0.5, "Adam beta1 (DeblurGAN: 0.5)")
    beta2: float = _field(0.999, "Adam beta2 (DeblurGAN: 0.999)")
    lr_decay_start: int = _field(-1, "generator step at which the learning rate starts to fall linearly to 0; "
                                 "-1: half of the run (epochs x steps per epoch)")
    lr_decay_steps: int = _field(-1, "steps over which the learning rate falls to 0; -1: the rest of the run, "
                                 "0: keep it constant")
    batch: int = _field(1, "batch size (the global batch, split over --strategy mirrored's devices)")
    crop: int = _field(256, "side of the square training crops in px, a multiple of 4")
    shuffle_buffer: int = _field(256, "examples in the shuffle buffer")
    ignore_errors: bool = _field(False, "skip and count corrupt records instead of stopping")
    val_fraction: float = _field(0.05, "without --val: the share of the training pairs held out for validation "
                                 "(by a stable hash of their photo, so no photo is on both sides), which chooses "
                                 "the best generator and watches for collapse; 0 keeps none")
    collapse_db: float = _field(2.0, "stop training when the restored validation crops score this many dB below "
                                "the blurred crops for --collapse-patience validations in a row; 0 never stops")
    collapse_patience: int = _field(3, "validations in a row below the blurred input (--collapse-db) that stop "
                                    "training")
    # Run
    epochs: int = _field(300, "epochs to train (a resumed run may raise it to go on)")
    steps_per_epoch: int = _field(1000, "generator steps per epoch")
    checkpoint_every: int = _field(1000, "steps between checkpoints (one is also written at the end)")
    samples: int = _field(3, "images in each samples/epoch-NNN.png")
    seed: int = _field(0, "seed of the weights, shuffles and crops")
    mixed_precision: bool = _field(False, "train in mixed float16 (GPUs); the exported generator is float32")
    strategy: str = _field("default", "distribution: default (one device) or mirrored (all local GPUs)")
    extra: tuple[tuple[str, Any], ...] = _field((), "extra settings of parts added by later presets, "
                                                "as NAME=JSON (repeatable)")

    def __post_init__(self) -> None:
        # Messages name the setting and its flag: users mostly meet them from the command line.
        if len(self.content_losses) != len(self.content_weights):
            raise ValueError(
                f"{_setting('content_losses')} {self.content_losses} and {_setting('content_weights')} "
                f"{self.content_weights} must have the same length (one weight per loss)")
        if self.crop <= 0 or self.crop % 4:
            raise ValueError(f"{_setting('crop')} must be a positive multiple of 4 (the generator downsamples by 4), "
                             f"got {self.crop}")
        if not 0.0 <= self.val_fraction <= 0.5:
            raise ValueError(f"{_setting('val_fraction')} must be 0 to 0.5, got {self.val_fraction}")
        if not self.collapse_db >= 0:
            raise ValueError(f"{_setting('collapse_db')} must be 0 or more, got {self.collapse_db}")
        for name in ("batch", "epochs", "steps_per_epoch", "checkpoint_every", "critic_steps", "gen_filters",
                     "collapse_patience"):
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


# Training that measurably deblurs on two CPU cores in under 20 minutes: the multi-scale
# ``unet`` generator (training/nets_unet.py) without normalisation, L1 and Fourier-spectrum L1
# content losses (no download), Adam 5e-4 (beta1 0.9) held for half the run, then down to 0.
# Its output is clipped only when restoring, not in training: clipped outputs have no gradient,
# and a run whose outputs all ran past white once stayed white for good (seen at step 450 of an
# 800-step run, with and without the adversarial term; unclipped, the same run trained on). No
# adversarial term: at weight 0.01 it moved no test set by more than 0.04 dB (make realism's
# trainer rows), cost a third of each step, and is the part that collapsed before (critic loss
# to -300). ``--adversarial-weight 0.01`` brings the PatchGAN critic (WGAN-GP) back.
#   python -m training.fit --preset cpu --train 'shards/*-train.tfrecord-*' --out runs/cpu
#   python benchmarks/bench_learning.py   (make learn: the scores it reaches, in the README)
_CPU: dict[str, Any] = {
    "generator": "unet", "gen_filters": 32, "gen_blocks": 4, "gen_dropout": 0.0, "clip_in_training": False,
    "adversarial_weight": 0.0, "critic_filters": 16, "critic_layers": 3, "critic_steps": 1,
    "content_losses": ("l1", "fft"), "content_weights": (100.0, 50.0), "vgg_weights": "random",
    "lr": 5e-4, "beta1": 0.9, "batch": 8, "crop": 128, "shuffle_buffer": 256,
    "epochs": 28, "steps_per_epoch": 100, "checkpoint_every": 500, "samples": 3,
}

# Only the fields that differ from the defaults. Each preset documents how to run it.
PRESETS: dict[str, dict[str, Any]] = {
    # DeblurGAN (Kupyn et al. 2018), its defaults are TrainConfig's: the paper's ResNet-9, PatchGAN,
    # WGAN-GP, VGG19 conv3_3 x100, Adam 1e-4 with linear decay (README: where it differs and why).
    #   python -m training.fit --preset deblurgan --train 'shards/*-train.tfrecord-*' --out runs/dg
    "deblurgan": {},
    # A small model for the demo and the tests: the cpu preset's network at half the width and
    # depth, on smaller crops, for 1,000 steps (about 3 minutes on 2 cores). Its learning rate
    # was chosen among 5e-4, 7e-4 and 1e-3 on the demo's own data (gains +0.50, +0.52, +0.49 dB).
    #   python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    "smoke": {**_CPU, "gen_filters": 16, "gen_blocks": 2, "critic_layers": 2, "lr": 7e-4, "crop": 96,
              "shuffle_buffer": 64, "epochs": 10, "samples": 2},
    "cpu": _CPU,
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
    for mod in ("training.published", "training.presets"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def preset_names() -> list[str]:
    """Every registered preset, without importing TensorFlow (for ``--help``): the published
    systems' settings live in the TF-free :mod:`training.published`."""
    import importlib
    try:
        importlib.import_module("training.published")
    except ModuleNotFoundError as exc:
        if exc.name != "training.published":
            raise
    return sorted(PRESETS)


def preset(name: str) -> TrainConfig:
    """The config of a named preset."""
    _load_preset_modules()
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return TrainConfig(**PRESETS[name])


def field_help(name: str) -> str:
    """The help text of a :class:`TrainConfig` field."""
    return TrainConfig.__dataclass_fields__[name].metadata["help"]


def _show(value: Any) -> str:
    """A default as it is typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value) if value else "none"
    return repr(value) if value == "" else str(value)


def presets_epilog() -> str:
    """What each preset changes from the defaults, for the end of ``fit --help``."""
    lines = ["presets (each changes these settings from the defaults above):"]
    for name in preset_names():
        changes = ", ".join(f"{flag_name(k)} {_show(v)}" for k, v in PRESETS[name].items() if k != "extra")
        extra = dict(PRESETS[name].get("extra", ()))
        if extra:
            changes += (", " if changes else "") + ", ".join(f"--extra {k}={json.dumps(v)}" for k, v in extra.items())
        lines.append(f"  {name}: {changes or 'nothing (the defaults are this preset)'}")
    return "\n".join(lines)


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
    """One ``--field-name`` flag per field of :class:`TrainConfig`, with the field's help text and
    default (a preset may change the default; the flag's own default stays None, so that only the
    flags given on the command line override the preset or the saved run).

    Tuples take comma-separated values (``--content-losses vgg19,l1 --content-weights 100,1``);
    booleans take ``true``/``false`` (a bare ``--mixed-precision`` means true).
    Values are checked as they are parsed, so a bad one (``--crop abc``) stops with argparse's
    usage error naming the flag and what it expects (exit status 2).
    """
    group = parser.add_argument_group("training settings (every TrainConfig field; a --preset changes some "
                                      "defaults, listed at the end)")
    for f in dataclasses.fields(TrainConfig):
        flag = flag_name(f.name)
        text = field_help(f.name).replace("%", "%%")
        if f.name == "extra":
            group.add_argument(flag, dest=f.name, action="append", default=None, metavar="NAME=JSON", help=text)
        elif isinstance(f.default, bool):
            group.add_argument(flag, dest=f.name, nargs="?", const=True, type=_parse_bool, default=None,
                               metavar="true|false", help=f"{text} (default: {_show(f.default)})")
        else:
            group.add_argument(flag, dest=f.name, default=None, metavar=f.name.upper(), type=_flag_type(f),
                               help=f"{text} (default: {_show(f.default)})")


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
