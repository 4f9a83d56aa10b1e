"""Run an exported generator on uint8 images of any size, whole or in overlapping tiles.

Images in and out are HxWx3 RGB uint8 (HxW grey is accepted and returned as HxWx3). The
generator needs sides that are multiples of 4, so images are reflect-padded up to one and the
result cropped back. Large images go through :func:`restore_tiled`: tiles of ``tile`` px that
overlap by ``overlap`` px, each tile's result weighted by a ramp that falls towards its edges,
so seams blend away and memory is bounded by the tile size.

For a generator without instance normalisation whose receptive field reaches less than
``overlap / 4`` px each way, tiling gives the untiled result exactly away from tile borders;
instance norm makes each tile's statistics its own, so results differ slightly (not seams:
the ramps blend them).
"""
from __future__ import annotations

import os
import posixpath

import keras
import numpy as np
import tensorflow as tf

# Every module that registers a Keras layer a saved generator may hold must be imported before
# `load_model`, or a new process fails with "Could not locate class ...": the registries'
# builders import the preset modules lazily, so loading cannot rely on them.
import training.nets_dense  # noqa: F401
import training.nets_li2024  # noqa: F401
import training.nets_unet  # noqa: F401  (PadToMultiple, SpaceToDepth, ...)
import training.networks  # noqa: F401  (ClipToRange)

GENERATOR_FILE = "generator.keras"
IDENTITY = "identity"


def generator_path(model: str) -> str:
    """The ``.keras`` file of ``model`` (a run directory or the file itself)."""
    if tf.io.gfile.isdir(model):
        path = posixpath.join(model, GENERATOR_FILE)
        if not tf.io.gfile.exists(path):
            raise ValueError(f"{model}: no {GENERATOR_FILE} in this run directory; was training finished? "
                             "(python -m training.fit exports it at the end; rerun it with the same --out)")
        return path
    if not tf.io.gfile.exists(model):
        raise ValueError(f"--model {model!r}: no such run directory or .keras file (or use 'identity')")
    return model


class Restorer:
    """A loaded generator (or ``"identity"``, which returns the input) as ``uint8 -> uint8``."""

    def __init__(self, model: str | keras.Model, tile: int = 1536, overlap: int = 128):
        if tile % 4 or overlap % 4 or not 0 <= overlap < tile:
            raise ValueError(f"tile ({tile}) and overlap ({overlap}) must be multiples of 4 with overlap < tile")
        self.tile, self.overlap = tile, overlap
        if isinstance(model, str) and model == IDENTITY:
            self.generator = None
            self.name = IDENTITY
            return
        if isinstance(model, str):
            path = generator_path(model)
            if not os.path.exists(path):  # keras loads local files only
                local = os.path.join(os.environ.get("TMPDIR", "/tmp"), "blurgen-" + posixpath.basename(path))
                tf.io.gfile.copy(path, local, overwrite=True)
                path = local
            self.name = model
            model = keras.models.load_model(path, compile=False)
        else:
            self.name = model.name
        self.generator = model
        spec = tf.TensorSpec([None, None, None, 3], tf.float32)
        # One traced function for all sizes (reduce_retracing would still trace per new shape).
        self._forward = tf.function(lambda x: self.generator(x, training=False), input_signature=[spec])

    def __call__(self, image: np.ndarray) -> np.ndarray:
        img = _as_rgb(image)
        if self.generator is None:
            return img.copy()
        h, w = img.shape[:2]
        if h <= self.tile and w <= self.tile:
            return self.run_whole(img)
        return self.restore_tiled(img)

    def run_whole(self, img: np.ndarray) -> np.ndarray:
        """The generator on the whole image (padded to multiples of 4), HxWx3 uint8 out."""
        h, w = img.shape[:2]
        padded = _pad4(img)
        x = padded.astype(np.float32)[None] / 127.5 - 1.0
        y = self._forward(tf.constant(x)).numpy()[0, :h, :w]
        return _to_uint8(y)

    def restore_tiled(self, image: np.ndarray) -> np.ndarray:
        """The generator tile by tile; the overlaps are blended with linear ramps."""
        img = _as_rgb(image)
        h, w = img.shape[:2]
        padded = _pad4(img).astype(np.float32) / 127.5 - 1.0
        ph, pw = padded.shape[:2]
        acc = np.zeros((ph, pw, 3), np.float64)
        wsum = np.zeros((ph, pw, 1), np.float64)
        for y0, th in _spans(ph, self.tile, self.overlap):
            for x0, tw in _spans(pw, self.tile, self.overlap):
                out = self._forward(tf.constant(padded[None, y0:y0 + th, x0:x0 + tw])).numpy()[0]
                weight = np.outer(_ramp(th, self.overlap, y0 > 0, y0 + th < ph),
                                  _ramp(tw, self.overlap, x0 > 0, x0 + tw < pw))[..., None]
                acc[y0:y0 + th, x0:x0 + tw] += out * weight
                wsum[y0:y0 + th, x0:x0 + tw] += weight
        return _to_uint8((acc / wsum)[:h, :w])


def _as_rgb(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {img.dtype}")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected HxWx3 RGB or HxW grey, got shape {img.shape}")
    return img


def _pad4(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    ph, pw = -h % 4, -w % 4
    if ph == 0 and pw == 0:
        return img
    return np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="symmetric")


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(start, size) of tiles covering ``length``; starts are multiples of 4 (the generator's
    stride), consecutive tiles overlap by at least ``overlap``."""
    if length <= tile:
        return [(0, length)]
    step = tile - overlap
    starts = list(range(0, length - tile, step)) + [length - tile]
    return [(s, tile) for s in starts]


def _ramp(n: int, overlap: int, fade_in: bool, fade_out: bool) -> np.ndarray:
    """Weights along one tile side: 0 over the ``overlap // 4`` px next to a faded edge (where the
    tile's own zero padding reaches into its output), rising linearly across the middle of the
    overlap, 1 elsewhere. Where one tile fades out its neighbour is at full weight, so the
    weights of the tiles covering any pixel never sum to 0."""
    w = np.ones(n, np.float64)
    if overlap > 0:
        m = overlap // 4
        r = np.clip((np.arange(overlap) + 0.5 - m) / (overlap - 2 * m), 0.0, 1.0)
        if fade_in:
            w[:overlap] = np.minimum(w[:overlap], r)
        if fade_out:
            w[n - overlap:] = np.minimum(w[n - overlap:], r[::-1])
    return w
