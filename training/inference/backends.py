"""The runtimes a loaded generator can run in for inference, and the choice among them.

- ``tensorflow``: the Keras model in a traced ``tf.function``; every precision (float32,
  bfloat16, float16); always there (the ``train`` extra).
- ``openvino``: the model written as ONNX (:mod:`training.inference.onnx_export`) and compiled by
  OpenVINO's CPU plugin, in float32 or (on CPUs with bfloat16 instructions) bfloat16. For the
  ``deblurgan`` generator in float32 it took 0.86 to 0.92 of TensorFlow's time; for the small
  ``unet`` at 256x256 it was slower than TensorFlow (docs/inference.md, measured by
  ``benchmarks/bench_inference.py``). Needs the ``fast`` extra.
- ``onnxruntime``: the same ONNX graph in ONNX Runtime's CPU provider, float32 only. Needs
  ``onnxruntime`` and ``onnx`` (``pip install onnxruntime onnx``).

``auto`` takes the fastest one installed that runs the precision (:func:`choose_backend`), and
TensorFlow where the model holds a layer the ONNX writer does not know. An engine is
``fn(x) -> y`` on float32 NHWC arrays ``[1, H, W, 3]`` in [-1, 1].
"""
from __future__ import annotations

import importlib.util
import os
from typing import Callable

import numpy as np

BACKENDS = ("auto", "tensorflow", "openvino", "onnxruntime")
FAST_EXTRA = "pip install 'blurgen[fast]'"
#: The packages each backend imports; the first missing one is named in the error.
_NEEDS = {"openvino": ("openvino", "onnx"), "onnxruntime": ("onnxruntime", "onnx"), "tensorflow": ("tensorflow",)}
#: Precisions each backend runs. OpenVINO's bfloat16 needs the CPU's bfloat16 instructions.
PRECISIONS = {"tensorflow": ("float32", "bfloat16", "float16"), "openvino": ("float32", "bfloat16"),
              "onnxruntime": ("float32",)}
#: ``auto``'s order of preference for each precision, fastest first (measured; see the README).
PREFERENCE = {"float32": ("openvino", "onnxruntime", "tensorflow"),
              "bfloat16": ("openvino", "tensorflow"), "float16": ("tensorflow",)}
_INSTALL = {"openvino": FAST_EXTRA, "onnxruntime": "pip install onnxruntime onnx"}


class BackendError(ValueError):
    """A backend asked for that is not installed, or that cannot run the precision asked for."""


def missing_package(backend: str) -> str | None:
    """The first package ``backend`` needs that is not installed, or None."""
    for name in _NEEDS[backend]:
        if importlib.util.find_spec(name) is None:
            return name
    return None


def choose_backend(requested: str, precision: str) -> str:
    """``requested`` (one of :data:`BACKENDS`) checked against what is installed and against
    ``precision`` (resolved: not "auto"); for ``"auto"``, the first of :data:`PREFERENCE`
    installed. Raises :class:`BackendError` with a one-line fix otherwise."""
    if requested not in BACKENDS:
        raise BackendError(f"--backend must be one of {', '.join(BACKENDS)}, got {requested!r}")
    if requested == "auto":
        return next(b for b in PREFERENCE[precision] if missing_package(b) is None)
    missing = missing_package(requested)
    if missing:
        raise BackendError(f"--backend {requested} needs the {missing} package, which is not installed: "
                           f"{_INSTALL.get(requested, 'pip install blurgen[train]')} (or use --backend tensorflow)")
    if precision not in PRECISIONS[requested]:
        runs = ", ".join(PRECISIONS[requested])
        raise BackendError(f"--backend {requested} runs {runs} only, not {precision}; "
                           "choose another --precision or --backend tensorflow")
    return requested


def tensorflow_engine(model) -> Callable[[np.ndarray], np.ndarray]:
    """The Keras ``model`` in one traced function for every image size (the batch of 1 is fixed,
    which lets instance norm skip its batch folding; no AutoGraph: no Python control flow)."""
    import tensorflow as tf

    spec = tf.TensorSpec([1, None, None, 3], tf.float32)
    forward = tf.function(lambda x: model(x, training=False), input_signature=[spec], autograph=False)
    return lambda x: forward(tf.constant(x)).numpy()


def onnxruntime_engine(proto: bytes, threads: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """ONNX Runtime's CPU provider on the serialised ONNX model, float32; ``threads`` 0: its default
    (one per physical core)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = max(threads, 0)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # its notes about unused initialisers are not for users
    session = ort.InferenceSession(proto, opts, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"blurred": x})[0]


def openvino_engine(proto: bytes, precision: str, threads: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """OpenVINO's CPU plugin on the serialised ONNX model, compiled for latency (one stream) in
    ``precision`` ("float32" or "bfloat16"; OpenVINO would pick bfloat16 by itself on CPUs that
    have it, so float32 is asked for explicitly); ``threads`` 0: all cores."""
    import openvino as ov

    core = ov.Core()
    model = _read_onnx(core, proto)
    config = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
              "INFERENCE_PRECISION_HINT": {"float32": "f32", "bfloat16": "bf16"}[precision]}
    if threads > 0:
        config["INFERENCE_NUM_THREADS"] = threads
    request = core.compile_model(model, "CPU", config).create_infer_request()
    return lambda x: request.infer({0: x})[0].copy()


def _read_onnx(core, proto: bytes):
    """An ONNX model given as bytes, through a private temporary file (OpenVINO's reader takes a
    path; the weights are inside the file)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="blurgen-onnx-") as tmp:
        path = os.path.join(tmp, "generator.onnx")
        with open(path, "wb") as f:
            f.write(proto)
        return core.read_model(path)
