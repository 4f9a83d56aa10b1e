"""Every training setting in one frozen dataclass, with its default and its help text.

The defaults are DeblurGAN's. A preset (:mod:`training.presets`, one file per family) is a dict
of the fields that differ from them; the command line starts from a preset and overrides single
fields (:mod:`training.commands.flags` makes one flag per field)::

    python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    python -m training.fit --preset deblurgan --train ... --out runs/dg --crop 128 --content-losses l1

A new generator, critic or loss is registered by name in :mod:`training.networks` or
:mod:`training.losses`; the fields below name them.
Fields a new part needs and no old part uses go into ``extra`` (a tuple of ``(name, value)``
pairs, read with :meth:`TrainConfig.get_extra`), or are added here with a default that keeps the
old presets unchanged.
"""
from __future__ import annotations

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
    grad_clip: float = _field(0.0, "scale the generator's gradient down to at most this many times the running "
                              "mean of its norm, so that a burst of outsized gradients cannot throw the weights off "
                              "(the cpu and smoke presets: 4); 0 never clips")
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
        if not self.grad_clip >= 0 or 0 < self.grad_clip <= 1:
            raise ValueError(f"{_setting('grad_clip')} must be 0 (off) or more than 1 (times the running mean of the "
                             f"gradient's norm), got {self.grad_clip}")
        if self.grad_clip and self.strategy != "default":
            raise ValueError(f"{_setting('grad_clip')} works on one device only; use {_setting('strategy')} default "
                             f"or {_setting('grad_clip')} 0")

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


def field_help(name: str) -> str:
    """The help text of a :class:`TrainConfig` field."""
    return TrainConfig.__dataclass_fields__[name].metadata["help"]


def flag_name(field_name: str) -> str:
    """The command-line flag of a :class:`TrainConfig` field: ``crop`` -> ``--crop``."""
    return "--" + field_name.replace("_", "-")


def _setting(field_name: str) -> str:
    return f"{field_name} ({flag_name(field_name)})"
