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

from training import checkpoint, curves, data
from training.callbacks import CheckpointEvery, EpochFiles, HealthCheck, SampleImages, ScalarLog  # noqa: F401
from training.config import TrainConfig, config_from_args, flag_name, preset
from training.gan import DeblurGAN
from training.outputlock import locks_out

log = logging.getLogger("training.fit")
CONFIG_FILE = "config.json"
SUMMARY_FILE = "fit-summary.json"


def parse_args(argv=None) -> argparse.Namespace:
    """The flags of :func:`training.cli.fit_parser` (built without TensorFlow, so ``--help`` is instant
    through ``blurgen fit``)."""
    from training.cli import fit_parser
    return fit_parser().parse_args(argv)


# Settings a resumed run may change: they say how long to go on and what to write, not what is
# trained. Every other setting must match the saved run's.
RESUMABLE_CHANGES = ("epochs", "checkpoint_every", "samples", "ignore_errors")


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
        return config_from_args(args, preset("smoke" if args.smoke else (args.preset or "deblurgan"))), False
    with tf.io.gfile.GFile(saved) as f:
        base = TrainConfig.from_dict(json.load(f))
    cfg = config_from_args(args, base)
    asked = config_from_args(args, preset("smoke" if args.smoke else args.preset)) if (args.preset or args.smoke) else cfg
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


def export_generator(model: DeblurGAN, cfg: TrainConfig, out: str) -> str:
    """Save the generator as ``{out}/generator.keras`` in float32 (a fresh copy without the mixed
    precision policy or distribution), for inference on any device."""
    from training.networks import build_generator
    policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy("float32")
    try:
        with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
            gen = build_generator(cfg)
        gen.set_weights([np.asarray(w) for w in model.generator.get_weights()])
    finally:
        keras.mixed_precision.set_dtype_policy(policy)
    path = posixpath.join(out, "generator.keras")
    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "generator.keras")
        gen.save(local)
        tf.io.gfile.copy(local, path + ".tmp", overwrite=True)
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)
    return path


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


def make_datasets(args: argparse.Namespace, cfg: TrainConfig, global_batch: int, step: int = 0):
    """``(train, val or None, files)``; with ``ignore_errors`` the broken shards are reported first.
    ``step`` is the step training starts from (folded into the training data's seed); validation
    keeps one seed so that its scores stay comparable across runs."""
    files = data.list_shards(args.train) + (data.list_shards(args.val) if args.val else [])
    if cfg.ignore_errors:
        for r in (r for r in data.scan_shards(files) if r.error):
            print(f"warning: {r.path}: {r.error}; only its first {r.records} records are used", file=sys.stderr)
    train = data.train_dataset(args.train, global_batch, cfg.crop, cfg.shuffle_buffer, data_seed(cfg.seed, step),
                               cfg.ignore_errors)
    val = None
    if args.val:
        # The same crops every epoch (the first pass fills the cache), so that the validation
        # curve moves only with the model.
        val = data.train_dataset(args.val, global_batch, cfg.crop, cfg.shuffle_buffer, cfg.seed + 1,
                                 cfg.ignore_errors).take(args.val_steps).cache()
        for _ in val:  # fill the cache now: a partly read cache is thrown away
            pass
    return train, val, files


def identity_psnr(val: tf.data.Dataset | None) -> float | None:
    """PSNR of the blurred validation crops themselves: the level a useful model must beat."""
    if val is None:
        return None
    from training.gan import batch_psnr
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
    train, val, files = make_datasets(args, cfg, cfg.batch * strategy.num_replicas_in_sync, model.step)
    history = {}
    with naming_corrupt_shards(files):
        probe_b, probe_s = next(iter(val if val is not None else train))
        sample_b, sample_s = next(iter((val if val is not None else train).unbatch().batch(cfg.samples)))
        tf.io.gfile.makedirs(args.out)
        curves.write_atomic(posixpath.join(args.out, CONFIG_FILE), cfg.to_json().encode("utf-8"))
        writer = tf.summary.create_file_writer(posixpath.join(args.out, "logs"))
        health = HealthCheck(probe_b.numpy(), probe_s.numpy())
        callbacks = [CheckpointEvery(ckpt_dir, cfg.checkpoint_every, total, args.max_minutes),
                     ScalarLog(writer, args.log_every),
                     SampleImages(sample_b.numpy(), sample_s.numpy(), args.out, writer, total), health,
                     EpochFiles(args.out, total, identity_psnr(val))]
        if model.step < total:
            # Keras distributes the global batches itself: the model was built in the strategy's scope.
            h = model.fit(train, epochs=cfg.epochs, steps_per_epoch=cfg.steps_per_epoch,
                          initial_epoch=model.step // cfg.steps_per_epoch, callbacks=callbacks,
                          validation_data=val, verbose=args.verbose, shuffle=False)  # the dataset shuffles
            history = {k: float(v[-1]) for k, v in h.history.items()}
        else:
            print(f"already trained to step {model.step} of {total}; raise --epochs to go on", file=sys.stderr)
    summary = {"step": model.step, "metrics": history, "health": health.last,
               "generator": export_generator(model, cfg, args.out),
               "checkpoint": checkpoint.latest(ckpt_dir), "resumed": resuming}
    curves.write_atomic(posixpath.join(args.out, SUMMARY_FILE), json.dumps(summary, indent=2).encode("utf-8"))
    print(f"{args.out}: step {summary['step']} of {total}; generator {summary['generator']}; "
          f"summary {posixpath.join(args.out, SUMMARY_FILE)}")
    return summary


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        run(argv)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
