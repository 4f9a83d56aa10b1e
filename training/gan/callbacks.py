"""The callbacks of ``python -m training.fit``: checkpoints and the time limit, sample pictures,
TensorBoard scalars, the generator's health, and the per-epoch ``metrics.csv``/``curves.png`` and
progress line. Each takes what it writes to from its arguments; :func:`training.fit.run` wires them.
"""
from __future__ import annotations

import logging
import posixpath
import sys
import time

import json
import math

import keras
import numpy as np
import tensorflow as tf

from blurgen.images import encode_png
from training.gan import checkpoint
from training.gan import curves
from training.gan import pictures
from training.gan import tblog
from training.gan.files import write_atomic

log = logging.getLogger("training.fit")


class CheckpointEvery(keras.callbacks.Callback):
    """Checkpoints every ``every`` generator steps and at the end; stops at ``total`` steps, or
    after ``minutes`` of training when given."""

    def __init__(self, directory: str, every: int, total: int, minutes: float | None = None):
        super().__init__()
        self.directory, self.every, self.total = directory, every, total
        self.deadline = None if minutes is None else time.monotonic() + 60 * minutes
        self.last = -1

    def on_train_batch_end(self, batch, logs=None):
        step = self.model.step
        if step % self.every == 0:
            self._save(step)
        if step >= self.total:
            self.model.stop_training = True
        elif self.deadline is not None and time.monotonic() > self.deadline:
            print(f"--max-minutes reached at step {step}: stopping; rerun the same command to go on",
                  file=sys.stderr)
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._save(self.model.step)

    def _save(self, step):
        if step != self.last:
            checkpoint.save(self.model, self.directory)
            self.last = step


class SampleImages(keras.callbacks.Callback):
    """Per epoch: ``samples/epoch-NNN.png``, titled rows of blurred | restored | sharp with each
    crop's PSNR (:func:`training.gan.pictures.sample_picture`), also to TensorBoard."""

    def __init__(self, blurred: np.ndarray, sharp: np.ndarray, out: str, writer, total: int | None = None):
        super().__init__()
        self.blurred, self.sharp, self.out, self.writer, self.total = blurred, sharp, out, writer, total

    def on_epoch_end(self, epoch, logs=None):
        restored = np.asarray(self.model.generator(self.blurred, training=False), np.float32)
        grid = pictures.sample_picture(self.blurred, restored, self.sharp, epoch + 1, self.model.step, self.total)
        tf.io.gfile.makedirs(posixpath.join(self.out, "samples"))
        write_atomic(posixpath.join(self.out, "samples", f"epoch-{epoch + 1:03d}.png"), encode_png(grid))
        with self.writer.as_default():
            tblog.image("blurred_restored_sharp", tf.constant(grid), step=self.model.step)


class ScalarLog(keras.callbacks.Callback):
    """TensorBoard scalars at the global step (so a resumed run continues its curves)."""

    def __init__(self, writer, every: int):
        super().__init__()
        self.writer, self.every = writer, every

    def on_train_batch_end(self, batch, logs=None):
        step = self.model.step
        if step % self.every == 0 and logs:
            with self.writer.as_default():
                for k, v in logs.items():
                    tblog.scalar(f"train/{k}", float(v), step=step)

    def on_epoch_end(self, epoch, logs=None):
        with self.writer.as_default():
            for k, v in (logs or {}).items():
                if k.startswith("val_"):
                    tblog.scalar(f"val/{k[4:]}", float(v), step=self.model.step)
        self.writer.flush()


class HealthCheck(keras.callbacks.Callback):
    """Per epoch, on one fixed batch (validation if given): the share of positive activations
    after each of the generator's ReLUs, and the content loss of the restored images beside that
    of the blurred input itself (the identity). A generator whose ReLUs have died returns its
    input plus a constant and cannot learn again; one that does no better than the identity
    has learnt nothing. Both are logged as warnings, and go to the epoch's logs
    (``min_active``, ``probe_content``, ``identity_content``) and the run's summary.
    """

    DEAD = 0.01  # a ReLU layer with fewer positive activations than this is dead
    GRACE_EPOCHS = 2  # epochs allowed before a loss at the identity's level is worth a warning

    def __init__(self, blurred: np.ndarray, sharp: np.ndarray):
        super().__init__()
        self.blurred, self.sharp = blurred, sharp
        self.last: dict = {}
        self.epochs_seen = 0

    def _probe(self):
        gen = self.model.generator
        # ReLUs can die; leaky activations cannot, and are not probed.
        relus = [layer for layer in gen.layers if isinstance(layer, keras.layers.ReLU)]
        probe = keras.Model(gen.input, {"restored": gen.output, **{layer.name: layer.output for layer in relus}})
        outs = probe(self.blurred, training=False)
        active = {layer.name: float(np.mean(np.asarray(outs[layer.name]) > 0)) for layer in relus}
        content = float(self.model.content_loss(self.sharp, outs["restored"])["content"])
        identity = float(self.model.content_loss(self.sharp, self.blurred)["content"])
        return active, content, identity

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_seen += 1
        active, content, identity = self._probe()
        worst = min(active, key=active.get) if active else None
        self.last = {"min_active": active[worst] if worst else None, "min_active_layer": worst,
                     "probe_content": content, "identity_content": identity, "step": self.model.step}
        if logs is not None:
            logs.update(probe_content=content, identity_content=identity)
            if worst:
                logs["min_active"] = active[worst]
        dead = [name for name, share in active.items() if share < self.DEAD]
        if dead:
            log.warning("the generator is dying: %s have fewer than %.0f%% positive activations (%s); it now returns "
                        "little more than its input. Lower --lr, use normalisation (--gen-norm instance) or "
                        "--init he", ", ".join(dead), 100 * self.DEAD,
                        ", ".join(f"{n} {active[n]:.4f}" for n in dead))
        if self.epochs_seen >= self.GRACE_EPOCHS and content >= identity:
            log.warning("step %d: the restored images' content loss (%.5g) is no lower than the blurred input's "
                        "own (%.5g): the generator has not learnt to deblur", self.model.step, content, identity)


class BestGenerator(keras.callbacks.Callback):
    """Keeps the generator of the best validation PSNR so far: its weights in ``{out}/best.npz``
    and its step and score in ``{out}/best.json`` (both rewritten, atomically, whenever a
    validation beats the best), so that the run's exported model is the best one rather than the
    last, and a resumed run goes on comparing with it. Adds ``best_val_psnr`` to the epoch's logs."""

    WEIGHTS, INFO = "best.npz", "best.json"

    def __init__(self, out: str):
        super().__init__()
        self.weights_path = posixpath.join(out, self.WEIGHTS)
        self.info_path = posixpath.join(out, self.INFO)
        self.best: dict | None = None
        if tf.io.gfile.exists(self.info_path) and tf.io.gfile.exists(self.weights_path):
            with tf.io.gfile.GFile(self.info_path) as f:
                self.best = json.load(f)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get("val_psnr")
        if value is None or not math.isfinite(float(value)):
            return
        if self.best is None or float(value) > self.best["val_psnr"]:
            checkpoint.save_weights([np.asarray(w) for w in self.model.generator.get_weights()], self.weights_path)
            self.best = {"step": self.model.step, "val_psnr": float(value)}
            write_atomic(self.info_path, json.dumps(self.best).encode("utf-8"))
        logs["best_val_psnr"] = self.best["val_psnr"]


class CollapseGuard(keras.callbacks.Callback):
    """Stops training that has broken down, and says why in :attr:`reason` (None while it has not).

    Two signs: a loss that is no longer a finite number (checked every step), and the restored
    validation crops staying more than ``margin_db`` dB below the blurred crops' own PSNR
    (``identity_psnr``) for ``patience`` validations in a row: the generator then makes images
    worse than it was given (a collapsed GAN outputs a flat colour or noise), and more steps rarely
    bring it back. ``margin_db`` 0 switches the second check off.
    """

    def __init__(self, identity_psnr: float | None, margin_db: float, patience: int):
        super().__init__()
        self.identity, self.margin, self.patience = identity_psnr, margin_db, patience
        self.below = 0
        self.reason: str | None = None

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            value = float(value)
            if not math.isfinite(value):
                self.reason = f"the training loss {name} became {value} at step {self.model.step}"
                self.model.stop_training = True
                return

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get("val_psnr")
        if self.identity is None or self.margin <= 0 or value is None:
            return
        value = float(value)
        worse = not math.isfinite(value) or value < self.identity - self.margin
        self.below = self.below + 1 if worse else 0
        if self.below >= self.patience:
            self.reason = (f"the restored validation crops have scored below the blurred input's own "
                           f"{self.identity:.2f} dB by more than {self.margin:g} dB for {self.below} validations "
                           f"in a row (now {value:.2f} dB at step {self.model.step})")
            self.model.stop_training = True


class EpochFiles(keras.callbacks.Callback):
    """Per epoch: a row of ``metrics.csv`` and a redrawn ``curves.png`` (:mod:`training.gan.curves`),
    and one line with the run's overall step, speed and time left."""

    def __init__(self, out: str, total: int, val_identity_psnr: float | None = None):
        super().__init__()
        self.out, self.total, self.val_identity_psnr = out, total, val_identity_psnr

    def on_train_begin(self, logs=None):
        self.started, self.start_step = time.monotonic(), self.model.step

    def on_epoch_end(self, epoch, logs=None):
        step = self.model.step
        elapsed = time.monotonic() - self.started
        rate = (step - self.start_step) / max(elapsed, 1e-9)
        lr = self.model.g_optimizer.learning_rate
        row = {"epoch": epoch + 1, "step": step, "seconds": elapsed, "lr": float(np.asarray(lr)),
               **{k: float(v) for k, v in (logs or {}).items() if np.isscalar(v) or np.ndim(v) == 0}}
        if self.val_identity_psnr is not None:
            row["val_identity_psnr"] = self.val_identity_psnr
        curves.write_run_files(self.out, row)
        left = (self.total - step) / rate if rate > 0 else float("nan")
        print(f"step {step}/{self.total} ({100 * step / self.total:.0f}%), {rate:.2f} steps/s, "
              f"about {_duration(left)} left; curves in {posixpath.join(self.out, curves.CURVES_PNG)}",
              file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "? min"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
