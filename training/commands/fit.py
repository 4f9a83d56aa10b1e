"""``python -m training.fit``: train a deblurring GAN on shards, with checkpoints and resume.

    python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
    python -m training.fit --train 'shards/*-train.tfrecord-*' --val 'shards/*-test.tfrecord-*' \\
        --out runs/dg --epochs 300 --steps-per-epoch 1000 --vgg-weights ~/vgg19_notop.h5

``--out`` receives ``config.json`` (the full settings), ``checkpoints/ckpt-STEP.npz`` (every
``--checkpoint-every`` steps and at the end), ``logs/`` (TensorBoard scalars and sample images),
``samples/epoch-NNN.png`` (rows of blurred | restored | sharp), and ``generator.keras`` (the
generator for :mod:`training.score` and :mod:`training.deblur`). Running again with the same
``--out`` resumes from the newest checkpoint with its saved settings (flags given again
override, e.g. a larger ``--epochs``); the step count and optimiser state continue, and the
resumed step is folded into the data's seed (:func:`data_seed`) so the run goes on with fresh
shuffles and crops instead of replaying its first batches. A bad flag value (``--crop abc``)
stops with a usage error naming the flag (exit status 2).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import posixpath
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf

from training.gan import checkpoint
from training.gan import curves
from training.gan.files import write_atomic
from training.data import shards as data
from training.gan.callbacks import (BestGenerator, CheckpointEvery, CollapseGuard, EpochFiles, HealthCheck,  # noqa: F401
                                SampleImages, ScalarLog)
from training.commands.flags import config_from_args
from training.config import TrainConfig, flag_name
from training.presets import preset
from training.gan.model import DeblurGAN
from training.commands.outputlock import locks_out

log = logging.getLogger("training.fit")
CONFIG_FILE = "config.json"
SUMMARY_FILE = "fit-summary.json"


def parse_args(argv=None) -> argparse.Namespace:
    """The flags of :func:`training.commands.parsers.fit_parser` (built without TensorFlow, so
    ``--help`` is instant); arguments the dispatcher has parsed already pass as they are."""
    from training.commands.parsers import parse
    return parse("fit", argv)


# Settings a resumed run may change: they say how long to go on and what to write, not what is
# trained. Every other setting must match the saved run's.
RESUMABLE_CHANGES = ("epochs", "checkpoint_every", "samples", "ignore_errors", "collapse_db", "collapse_patience")


def resolve_config(args: argparse.Namespace) -> tuple[TrainConfig, bool]:
    """The run's settings: the saved ``config.json`` when resuming, else the preset; flags on top.
    Returns ``(config, resuming)``.

    Raises:
      ValueError: resuming with a ``--preset`` or flags that change what the saved run trains
        (anything but :data:`RESUMABLE_CHANGES`); the message lists each difference.
    """
    saved = posixpath.join(args.out, CONFIG_FILE)
    resuming = tf.io.gfile.exists(saved)
    if not resuming:
        return config_from_args(args, preset(args.preset or "deblurgan")), False
    with tf.io.gfile.GFile(saved) as f:
        base = TrainConfig.from_dict(json.load(f))
    cfg = config_from_args(args, base)
    asked = config_from_args(args, preset(args.preset)) if args.preset else cfg
    diffs = [f"{flag_name(k)}: saved {v!r}, now {getattr(asked, k)!r}"
             for k, v in base.to_dict().items() if k not in RESUMABLE_CHANGES and asked.to_dict()[k] != v]
    if diffs:
        raise ValueError(f"{args.out} holds a run with other settings ({'; '.join(diffs)}); resume it with its "
                         f"own settings (only {', '.join(flag_name(k) for k in RESUMABLE_CHANGES)} may change) "
                         "or choose a new --out")
    return cfg, True


def make_strategy(cfg: TrainConfig) -> tf.distribute.Strategy:
    if cfg.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def export_generator(model: DeblurGAN, cfg: TrainConfig, out: str, weights: list[np.ndarray] | None = None,
                     name: str = "generator.keras") -> str:
    """Save the generator as ``{out}/{name}`` in float32 (a fresh copy without the mixed precision
    policy or distribution), for inference on any device; ``weights`` replace the model's own (the
    best generator's)."""
    from training.networks import build_generator
    policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy("float32")
    try:
        with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
            gen = build_generator(cfg)
        gen.set_weights(weights if weights is not None else [np.asarray(w) for w in model.generator.get_weights()])
    finally:
        keras.mixed_precision.set_dtype_policy(policy)
    path = posixpath.join(out, name)
    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, name)
        gen.save(local)
        tf.io.gfile.copy(local, path + ".tmp", overwrite=True)
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)
    return path


class TrainingStopped(RuntimeError):
    """Training broke down (:class:`training.gan.callbacks.CollapseGuard`); the message says what
    happened, where the best generator is, and what to change."""


def export_models(model: DeblurGAN, cfg: TrainConfig, out: str, best: BestGenerator) -> dict:
    """The run's model: ``generator.keras`` is the best generator by validation PSNR where there was
    a validation, with the last one beside it as ``generator-last.keras``; else the last one."""
    if best.best is None:
        return {"generator": export_generator(model, cfg, out)}
    return {"generator": export_generator(model, cfg, out, checkpoint.load_weights(best.weights_path)),
            "generator_last": export_generator(model, cfg, out, name="generator-last.keras"),
            "best": best.best}


def build_model(cfg: TrainConfig, strategy: tf.distribute.Strategy) -> DeblurGAN:
    keras.mixed_precision.set_dtype_policy("mixed_float16" if cfg.mixed_precision else "float32")
    with strategy.scope():
        model = DeblurGAN(cfg)
        model.compile()
    return model


@contextlib.contextmanager
def naming_corrupt_shards(files: list[str]):
    """Turn tf.data's ``DataLossError`` (which names no file) into an error naming the shard."""
    try:
        yield
    except tf.errors.DataLossError as exc:
        raise data.corrupt_shard_error(files, exc) from None


def data_seed(seed: int, step: int) -> int:
    """The training data's seed for a run starting at ``step``: ``seed`` itself for a fresh run
    (so it stays reproducible), else one mixed from both, so that a resumed run draws new
    shuffles and crops instead of replaying the batches of steps 1, 2, ... again."""
    if step == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(step)]).generate_state(1)[0])


def make_datasets(args: argparse.Namespace, cfg: TrainConfig, global_batch: int, step: int, files: list[str]):
    """``(train, val or None, how)`` from the shards ``files`` of ``--train`` and ``--val``; with
    ``ignore_errors`` the broken shards are reported first. ``step`` is the step training starts
    from (folded into the training data's seed); validation keeps one seed so that its scores stay
    comparable across runs. ``how`` says where the validation crops come from (for the log and the
    summary)."""
    if cfg.ignore_errors:
        for r in (r for r in data.scan_shards(files) if r.error):
            print(f"warning: {r.path}: {r.error}; only its first {r.records} records are used", file=sys.stderr)

    def crops(pattern, seed, holdout=None):
        return data.train_dataset(pattern, global_batch, cfg.crop, cfg.shuffle_buffer, seed, cfg.ignore_errors,
                                  holdout=holdout)

    def fixed(ds):
        # The same crops every epoch (the first pass fills the cache), so that the validation
        # curve moves only with the model.
        ds = ds.take(args.val_steps).cache()
        filled = sum(1 for _ in ds)  # fill the cache now: a partly read cache is thrown away
        return ds if filled else None

    train_seed = data_seed(cfg.seed, step)
    if args.val:
        return crops(args.train, train_seed), fixed(crops(args.val, cfg.seed + 1)), f"--val {args.val}"
    if cfg.val_fraction > 0:
        # Held out by photo where the training pairs come from enough photos for some to fall in
        # the held-out share, else pair by pair; a set too small for either validates on
        # training crops (it still chooses the best generator and watches for collapse).
        for by in data.HOLDOUT_BY:
            val = fixed(crops(args.train, cfg.seed + 1, (cfg.val_fraction, by, True)))
            train = crops(args.train, train_seed, (cfg.val_fraction, by, False))
            if val is not None and any(True for _ in train.take(1)):
                return train, val, f"{cfg.val_fraction:g} of the training pairs, held out by {by}"
        print(f"warning: no training pair falls in the validation share ({flag_name('val_fraction')} "
              f"{cfg.val_fraction:g}): too few pairs; validating on training crops", file=sys.stderr)
        return crops(args.train, train_seed), fixed(crops(args.train, cfg.seed + 1)), "training crops"
    return crops(args.train, train_seed), None, "none"


def identity_psnr(val: tf.data.Dataset | None) -> float | None:
    """PSNR of the blurred validation crops themselves: the level a useful model must beat."""
    if val is None:
        return None
    from training.gan.model import batch_psnr
    return float(np.mean([float(batch_psnr(s, b)) for b, s in val]))


@locks_out("fit")  # the run folder is locked from before config.json is read until the export
def run(argv=None) -> dict:
    """Train; returns the step reached, the last epoch's metrics and the paths written.

    Nothing is written to ``--out`` until the run can start: the model is built (VGG weights
    found), the checkpoint restored, the shards listed and the first batch read. ``config.json``,
    ``fit-summary.json`` and ``generator.keras`` are each written through a temporary name.
    """
    args = parse_args(argv)
    cfg, resuming = resolve_config(args)
    keras.utils.set_random_seed(cfg.seed)
    strategy = make_strategy(cfg)
    model = build_model(cfg, strategy)
    ckpt_dir = posixpath.join(args.out, "checkpoints")
    last = checkpoint.latest(ckpt_dir)
    if last:
        print(f"resuming from {last} at step {checkpoint.restore(model, last)}", file=sys.stderr)
    total = cfg.total_steps
    files = data.list_shards(args.train) + (data.list_shards(args.val) if args.val else [])
    history = {}
    with naming_corrupt_shards(files):
        train, val, val_from = make_datasets(args, cfg, cfg.batch * strategy.num_replicas_in_sync, model.step, files)
        probe_b, probe_s = next(iter(val if val is not None else train))
        sample_b, sample_s = next(iter((val if val is not None else train).unbatch().batch(cfg.samples)))
        tf.io.gfile.makedirs(args.out)
        write_atomic(posixpath.join(args.out, CONFIG_FILE), cfg.to_json().encode("utf-8"))
        writer = tf.summary.create_file_writer(posixpath.join(args.out, "logs"))
        health = HealthCheck(probe_b.numpy(), probe_s.numpy())
        identity = identity_psnr(val)
        best = BestGenerator(args.out)
        guard = CollapseGuard(identity, cfg.collapse_db, cfg.collapse_patience)
        print(f"validation: {val_from}" + (f"; the blurred crops score {identity:.2f} dB" if identity else ""),
              file=sys.stderr)
        callbacks = [CheckpointEvery(ckpt_dir, cfg.checkpoint_every, total, args.max_minutes),
                     ScalarLog(writer, args.log_every),
                     SampleImages(sample_b.numpy(), sample_s.numpy(), args.out, writer, total), health, best, guard,
                     EpochFiles(args.out, total, identity)]
        if model.step < total:
            # Keras distributes the global batches itself: the model was built in the strategy's scope.
            h = model.fit(train, epochs=cfg.epochs, steps_per_epoch=cfg.steps_per_epoch,
                          initial_epoch=model.step // cfg.steps_per_epoch, callbacks=callbacks,
                          validation_data=val, verbose=args.verbose, shuffle=False)  # the dataset shuffles
            history = {k: float(v[-1]) for k, v in h.history.items()}
        else:
            print(f"already trained to step {model.step} of {total}; raise --epochs to go on", file=sys.stderr)
    summary = {"step": model.step, "metrics": history, "health": health.last, "validation": val_from,
               **export_models(model, cfg, args.out, best),
               "checkpoint": checkpoint.latest(ckpt_dir), "resumed": resuming, "stopped": guard.reason}
    write_atomic(posixpath.join(args.out, SUMMARY_FILE), json.dumps(summary, indent=2).encode("utf-8"))
    if guard.reason:
        raise TrainingStopped(stop_message(args.out, cfg, guard.reason, summary))
    best_note = (f" (the best, validation PSNR {summary['best']['val_psnr']:.2f} dB at step {summary['best']['step']};"
                 f" the last is {summary['generator_last']})" if "best" in summary else "")
    print(f"{args.out}: step {summary['step']} of {total}; generator {summary['generator']}{best_note}; "
          f"summary {posixpath.join(args.out, SUMMARY_FILE)}")
    return summary


def stop_message(out: str, cfg: TrainConfig, reason: str, summary: dict) -> str:
    """One line: what happened, where the best generator is, what to change."""
    if "best" in summary:
        kept = (f"the best generator (validation PSNR {summary['best']['val_psnr']:.2f} dB at step "
                f"{summary['best']['step']}) is {summary['generator']}")
    else:
        kept = f"no validation chose a best generator; the last one is {summary['generator']}"
    hints = [f"a lower {flag_name('lr')} (now {cfg.lr:g})"]
    if cfg.adversarial_weight > 0:
        hints.append(f"a lower {flag_name('adversarial_weight')} (now {cfg.adversarial_weight:g}) or 0")
    return (f"training stopped at step {summary['step']}: {reason}; {kept}. Start a new --out with "
            + " or ".join(hints))


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        run(argv)
    except TrainingStopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
