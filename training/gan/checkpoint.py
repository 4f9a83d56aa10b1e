"""Checkpoints of a :class:`~training.gan.model.DeblurGAN`: every weight and optimiser slot, by step.

A checkpoint is one ``.npz`` file, ``{out}/checkpoints/ckpt-{step:08d}.npz``, holding the values
of the generator's and critic's weights (BatchNorm statistics included), both optimisers'
variables (their step counters included) and, with ``grad_clip``, the running mean of the
generator's gradient norm, each under its variable path, so that a restore checks that it fills
the same model. Files are written to a temporary name and renamed, so a run killed mid-write
leaves the previous checkpoint intact. ``tf.io.gfile`` does the I/O, so ``gs://`` output
directories work.
"""
from __future__ import annotations

import io
import posixpath
import re

import numpy as np
import tensorflow as tf

from training.gan.files import write_atomic

_NAME = re.compile(r"ckpt-(\d{8})\.npz$")


def _groups(model) -> dict[str, list]:
    groups = {"generator": model.generator.weights, "g_opt": model.g_optimizer.variables}
    if model.critic is not None:
        groups.update(critic=model.critic.weights, d_opt=model.d_optimizer.variables)
    if model.grad_norm is not None:
        groups["g_clip"] = [model.grad_norm]
    return groups


def _key(group: str, i: int, path: str) -> str:
    # Optimiser paths start with the optimiser's own name, which Keras numbers per process
    # ("adam_3/..."), and so does the model's own running gradient norm ("deblur_gan_1/..."), so
    # that part is left out; layer paths are fixed by the builders' names.
    if group.endswith("_opt") or group == "g_clip":
        path = path.split("/", 1)[-1]
    return f"{group}/{i:04d}/{path}"


def _state(model) -> dict[str, np.ndarray]:
    state = {}
    for group, variables in _groups(model).items():
        for i, v in enumerate(variables):
            state[_key(group, i, v.path)] = np.asarray(v.numpy())
    return state


def save(model, directory: str, keep: int = 3) -> str:
    """Write the model's state at its current step; keep the newest ``keep`` checkpoints."""
    tf.io.gfile.makedirs(directory)
    step = model.step
    path = posixpath.join(directory, f"ckpt-{step:08d}.npz")
    buf = io.BytesIO()
    np.savez(buf, **_state(model))
    write_atomic(path, buf.getvalue())
    for old in list_checkpoints(directory)[:-keep]:
        tf.io.gfile.remove(old)
    return path


def list_checkpoints(directory: str) -> list[str]:
    """Checkpoint paths in ``directory``, oldest step first."""
    if not tf.io.gfile.isdir(directory):
        return []
    names = sorted(n for n in tf.io.gfile.listdir(directory) if _NAME.search(n))
    return [posixpath.join(directory, n) for n in names]


def latest(directory: str) -> str | None:
    found = list_checkpoints(directory)
    return found[-1] if found else None


def restore(model, path: str) -> int:
    """Load a checkpoint into a compiled model with the same config; returns the restored step."""
    with tf.io.gfile.GFile(path, "rb") as f:
        data = np.load(io.BytesIO(f.read()))
        saved = {k: data[k] for k in data.files}
    expected = _state(model)
    if sorted(saved) != sorted(expected):
        missing = sorted(set(expected) - set(saved))[:3]
        extra = sorted(set(saved) - set(expected))[:3]
        raise ValueError(f"{path} does not fit this model (missing {missing}, unexpected {extra}); "
                         "resume with the config the run was started with (its config.json), or use a new --out")
    for group, variables in _groups(model).items():
        for i, v in enumerate(variables):
            value = saved[_key(group, i, v.path)]
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(f"{path}: {v.path} has shape {value.shape}, the model {tuple(v.shape)}")
            v.assign(value)
    return model.step


def save_weights(weights: list[np.ndarray], path: str) -> None:
    """Write a list of arrays (a network's weights, in its own order) to one ``.npz``, atomically."""
    buf = io.BytesIO()
    np.savez(buf, **{f"w{i:04d}": w for i, w in enumerate(weights)})
    write_atomic(path, buf.getvalue())


def load_weights(path: str) -> list[np.ndarray]:
    """The arrays :func:`save_weights` wrote, in their order."""
    with tf.io.gfile.GFile(path, "rb") as f:
        data = np.load(io.BytesIO(f.read()))
        return [data[k] for k in sorted(data.files)]
