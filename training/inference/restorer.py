"""Run an exported generator on uint8 images of any size, whole or in overlapping tiles.

Images in and out are HxWx3 RGB uint8 (HxW grey is accepted and returned as HxWx3). The
generator needs sides that are multiples of 4, so images are reflect-padded up to one and the
result cropped back. Large images go through :meth:`Restorer.restore_tiled`: tiles of ``tile``
px that overlap by ``overlap`` px, each tile's result weighted by a ramp that falls towards its
edges, so seams blend away and memory is bounded by the tile size.

For a generator without instance normalisation whose receptive field reaches less than
``overlap / 4`` px each way, tiling gives the untiled result exactly away from tile borders;
instance norm makes each tile's statistics its own, so results differ slightly (not seams:
the ramps blend them).

Precision: ``"float32"``, or ``"bfloat16"`` (Keras' ``mixed_bfloat16``: convolutions and
activations in bfloat16, weights kept in float32, normalisation moments in float32, and the
generator's last convolution and everything after it in float32), or ``"float16"`` (the same
with ``mixed_float16``, for GPUs). bfloat16 pays only on CPUs with bfloat16 instructions
(:func:`cpu_supports_bfloat16`); ``"auto"`` picks it there, float32 elsewhere.
Measured speed and the PSNR cost are in the README (``benchmarks/bench_inference.py``).

Loading is the generator's saved config rebuilt with the chosen precision and with zero
initialisers (the saved weights replace them at once, so drawing 11 M random numbers first is
wasted), then the saved weights; see :func:`load_generator`.
"""
from __future__ import annotations

import copy
import json
import os
import posixpath
import tempfile
import time
import zipfile

import keras
import numpy as np
import tensorflow as tf

# Every Keras layer a saved generator may hold must be registered before a generator is
# deserialised, or a new process fails with "Could not locate class ...": importing the networks
# package imports every network module (ClipToRange, InstanceNorm, ReflectPad2D, PadToMultiple, ...).
import training.networks  # noqa: F401
from training.inference.backends import (BackendError, choose_backend, onnxruntime_engine, openvino_engine,
                                         tensorflow_engine)
from training.inference.cpu import openvino_bfloat16, read_cpuinfo, tensorflow_bfloat16, tensorflow_onednn

GENERATOR_FILE = "generator.keras"
_WEIGHTS_MEMBER = "model.weights.h5"  # inside a .keras file
IDENTITY = "identity"
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
_POLICIES = {"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
_CONVOLUTIONS = ("Conv2D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D")


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


def cpu_supports_bfloat16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (AVX512_BF16 or AMX-BF16), which
    oneDNN uses for bfloat16 convolutions; without them bfloat16 is emulated and slower than
    float32. Reads ``cpuinfo`` (by default ``$BLURGEN_CPUINFO`` or ``/proc/cpuinfo``, see
    :mod:`training.inference.cpu`); elsewhere False."""
    return read_cpuinfo(cpuinfo).bfloat16


def resolve_precision(precision: str) -> str:
    """``precision`` itself, or for ``"auto"``: bfloat16 on a CPU-only machine whose CPU has
    bfloat16 instructions (:func:`cpu_supports_bfloat16`) and TensorFlow its oneDNN kernels,
    float32 otherwise (GPUs run float32 here). TensorFlow's choice; see :func:`resolve`."""
    return resolve(precision, "tensorflow")[0]


def resolve(precision: str, backend: str) -> tuple[str, str]:
    """The ``(precision, backend)`` that run for the ``precision`` and ``backend`` asked for
    (each may be "auto"). Auto precision is bfloat16 where the CPU has bfloat16 instructions and
    the backend runs them in hardware (TensorFlow only with oneDNN on), else float32; an auto
    backend is TensorFlow where a GPU is visible, else :func:`training.inference.backends.choose_backend`'s.
    Raises ValueError (:class:`~training.inference.backends.BackendError`) for what cannot run here."""
    if precision not in PRECISIONS:
        raise ValueError(f"--precision must be one of {PRECISIONS}, got {precision!r}")
    gpu = bool(tf.config.list_physical_devices("GPU"))
    if backend == "auto" and gpu:
        backend = "tensorflow"
    if precision != "auto":
        return precision, choose_backend(backend, precision)
    if not gpu and cpu_supports_bfloat16():
        try:
            chosen = choose_backend(backend, "bfloat16")
        except BackendError:  # a backend that runs float32 only, asked for by name
            chosen = None
        runs = {"tensorflow": lambda: tensorflow_bfloat16() == "hardware", "openvino": openvino_bfloat16}
        if chosen is not None and runs.get(chosen, lambda: True)():
            return "bfloat16", chosen
    return "float32", choose_backend(backend, "float32")


def _inbound_names(layer_cfg: dict) -> set[str]:
    """Names of the layers whose outputs feed ``layer_cfg`` (a functional config's layer entry)."""
    found: set[str] = set()

    def walk(obj):
        if isinstance(obj, dict):
            if "keras_history" in obj:
                found.add(obj["keras_history"][0])
            for value in obj.values():
                walk(value)
        elif isinstance(obj, (list, tuple)):  # lists in a saved file, tuples in memory
            for value in obj:
                walk(value)
    walk(layer_cfg.get("inbound_nodes", []))
    return found


def float32_tail(layers_cfg: list[dict]) -> set[str]:
    """Names of the layers that stay float32 under a mixed policy: the last convolution, every
    layer downstream of it, and the side branches that feed only those (the global skip's copy
    of the input). Generators end in a float32 convolution, tanh, skip and clip, so that
    outputs stay exact; a model saved in float32 no longer records which layers those were.
    ``layers_cfg``: a functional model config's ``"layers"``, in topological order."""
    inbound = {c["name"]: _inbound_names(c) for c in layers_cfg}
    convs = [c["name"] for c in layers_cfg if c["class_name"] in _CONVOLUTIONS]
    if not convs:
        return set()
    last = convs[-1]
    ancestors, todo = set(), [last]
    while todo:
        for src in inbound.get(todo.pop(), ()):
            if src not in ancestors:
                ancestors.add(src)
                todo.append(src)
    tail = {last}
    for c in layers_cfg:  # downstream: topological order, so one pass reaches every descendant
        if inbound[c["name"]] & tail:
            tail.add(c["name"])
    consumers: dict[str, set[str]] = {c["name"]: set() for c in layers_cfg}
    for name, sources in inbound.items():
        for src in sources:
            consumers.setdefault(src, set()).add(name)
    for c in reversed(layers_cfg):  # side branches into the tail, not the path to the last conv
        name = c["name"]
        if (c["class_name"] != "InputLayer" and name not in ancestors
                and consumers[name] and consumers[name] <= tail):
            tail.add(name)
    return tail


def inference_config(model_cfg: dict, precision: str) -> dict:
    """A copy of a functional model's serialised config for inference in ``precision``
    (``"float32"``, ``"bfloat16"`` or ``"float16"``): every layer's dtype policy set (the :func:`float32_tail`
    stays float32) and every initialiser replaced by zeros, since saved weights follow."""
    cfg = copy.deepcopy(model_cfg)
    layers_cfg = cfg["config"]["layers"]
    tail = float32_tail(layers_cfg) if precision != "float32" else set()
    for layer in layers_cfg:
        if layer["class_name"] == "InputLayer":
            continue
        inner = layer["config"]
        inner["dtype"] = "float32" if precision == "float32" or layer["name"] in tail else _POLICIES[precision]
        for key in list(inner):
            if key.endswith("_initializer") and inner[key] is not None:
                inner[key] = "zeros"
    return cfg


def _is_functional(model_cfg: dict) -> bool:
    return model_cfg.get("class_name") in ("Functional", "Model") and "layers" in model_cfg.get("config", {})


def load_generator(path: str, precision: str = "float32") -> keras.Model:
    """The generator saved in ``path`` (a local ``.keras`` file) set up for inference in
    ``precision`` (not ``"auto"``; see :func:`resolve_precision`). Functional models are rebuilt from their
    config (:func:`inference_config`) and given the saved weights; anything else is loaded by
    Keras as saved, and runs in float32."""
    with zipfile.ZipFile(path) as archive:
        model_cfg = json.loads(archive.read("config.json"))
        if not _is_functional(model_cfg) or _WEIGHTS_MEMBER not in archive.namelist():
            return keras.models.load_model(path, compile=False)
        model = keras.saving.deserialize_keras_object(inference_config(model_cfg, precision))
        # The weights file unpacked once: read in place, h5py's many small seeks inside a
        # compressed zip member each decompress from its start (seconds for 11 M weights).
        with tempfile.TemporaryDirectory(prefix="blurgen-weights-") as tmp:
            archive.extract(_WEIGHTS_MEMBER, tmp)
            model.load_weights(os.path.join(tmp, _WEIGHTS_MEMBER))
    return model


def convert_generator(model: keras.Model, precision: str) -> keras.Model:
    """An in-memory functional ``model`` rebuilt for ``precision`` with its weights copied, or
    ``model`` itself where nothing would change (float32 asked, float32 everywhere)."""
    if precision == "float32" and all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    model_cfg = keras.saving.serialize_keras_object(model)
    if not _is_functional(model_cfg):
        return model
    rebuilt = keras.saving.deserialize_keras_object(inference_config(model_cfg, precision))
    rebuilt.set_weights(model.get_weights())
    return rebuilt


class Restorer:
    """A loaded generator (or ``"identity"``, which returns the input) as ``uint8 -> uint8``.

    ``model``: a run directory, a ``.keras`` file (local or ``gs://``), ``"identity"``, or a
    ``keras.Model``. ``precision``: one of :data:`PRECISIONS` (float32 by default, which scoring
    relies on). ``backend``: one of :data:`training.inference.backends.BACKENDS` (TensorFlow by default;
    ``"auto"`` takes the fastest installed, see :func:`training.inference.backends.choose_backend`).
    ``threads``: CPU threads for the ONNX backends (0: their default; TensorFlow's are set
    process-wide, see ``training.deblur``). After construction ``precision`` and ``backend``
    say what runs; ``note`` says why auto fell back to TensorFlow ("" otherwise);
    ``load_seconds``: time spent loading (0 for an in-memory model).
    """

    def __init__(self, model: str | keras.Model, tile: int = 1536, overlap: int = 128,
                 precision: str = "float32", backend: str = "tensorflow", threads: int = 0):
        if tile % 4 or overlap % 4 or not 0 <= overlap < tile:
            raise ValueError(f"tile ({tile}) and overlap ({overlap}) must be multiples of 4 with overlap < tile")
        self.tile, self.overlap = tile, overlap
        self.precision, self.backend = resolve(precision, backend)
        self.load_seconds, self.note = 0.0, ""
        if isinstance(model, str) and model == IDENTITY:
            self.generator, self.name, self.engine = None, IDENTITY, None
            return
        t0 = time.perf_counter()
        tf_precision = self.precision if self.backend == "tensorflow" else "float32"
        if isinstance(model, str):
            self.name = model
            self.generator = load_generator(_local_copy(generator_path(model)), tf_precision)
        else:
            self.name = model.name
            self.generator = convert_generator(model, tf_precision)
        self.engine = self._engine(backend, threads)
        if isinstance(model, str):
            self.load_seconds = time.perf_counter() - t0

    def _engine(self, requested: str, threads: int):
        """The engine of ``self.backend``; where auto meets a model the ONNX writer cannot
        convert, TensorFlow's (and ``note`` says why)."""
        if self.backend == "tensorflow":
            return self._tensorflow_engine()
        from training.inference.onnx_export import UnsupportedModel, to_onnx
        try:
            proto = to_onnx(self.generator).SerializeToString()
        except UnsupportedModel as exc:
            if requested != "auto":
                raise BackendError(f"--backend {self.backend}: {exc}; use --backend tensorflow") from exc
            self.note = f"{exc}: TensorFlow runs it"
            self.backend = "tensorflow"
            if self.precision != "float32":
                self.generator = convert_generator(self.generator, self.precision)
            return self._tensorflow_engine()
        if self.backend == "onnxruntime":
            return onnxruntime_engine(proto, threads)
        return openvino_engine(proto, self.precision, threads)

    def _tensorflow_engine(self):
        """TensorFlow's engine; for bfloat16, tried once on a small image first: where oneDNN has
        no bfloat16 kernels for this CPU the operations fail, and the user is told what to do."""
        engine = tensorflow_engine(self.generator)
        if self.precision == "bfloat16" and tensorflow_bfloat16() == "unavailable":
            try:
                engine(np.zeros([1, 16, 16, 3], np.float32))
            except tf.errors.OpError as exc:
                raise BackendError(
                    "--precision bfloat16: TensorFlow's oneDNN kernels have no bfloat16 convolution for this CPU "
                    f"({read_cpuinfo().describe()}); use --precision float32 (or TF_ENABLE_ONEDNN_OPTS=0, "
                    "which emulates bfloat16 slowly)") from exc
        return engine

    def warm_up(self) -> float:
        """Trace and optimise the forward function once, on a small image, so that the first
        real image pays only for its own size; returns the seconds it took (0 for identity)."""
        if self.generator is None:
            return 0.0
        t0 = time.perf_counter()
        self.engine(np.zeros([1, 16, 16, 3], np.float32))
        return time.perf_counter() - t0

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
        x = _pad4(img).astype(np.float32)[None] / 127.5 - 1.0
        y = self.engine(x)[0, :h, :w]
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
                out = self.engine(np.ascontiguousarray(padded[None, y0:y0 + th, x0:x0 + tw]))[0]
                weight = np.outer(_ramp(th, self.overlap, y0 > 0, y0 + th < ph),
                                  _ramp(tw, self.overlap, x0 > 0, x0 + tw < pw))[..., None]
                acc[y0:y0 + th, x0:x0 + tw] += out * weight
                wsum[y0:y0 + th, x0:x0 + tw] += weight
        return _to_uint8((acc / wsum)[:h, :w])


def _local_copy(path: str) -> str:
    """``path`` itself when local; a remote file (``gs://``) is copied to the temp folder first,
    because Keras reads local files only."""
    if os.path.exists(path):
        return path
    local = os.path.join(os.environ.get("TMPDIR", "/tmp"), "blurgen-" + posixpath.basename(path))
    tf.io.gfile.copy(path, local, overwrite=True)
    return local


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
