"""Inference: an exported generator on images of any size (:mod:`.restorer`), in the runtime
chosen among TensorFlow, OpenVINO and ONNX Runtime (:mod:`.backends`; the ONNX graph from
:mod:`.onnx_export`), in the precision the CPU supports (:mod:`.cpu`)."""


def __getattr__(name: str):
    """``from training.inference import Restorer`` (the public path) without importing
    TensorFlow until a name of :mod:`.restorer` is asked for."""
    if name.startswith("__") or name == "restorer":
        raise AttributeError(name)
    import importlib

    restorer = importlib.import_module("training.inference.restorer")
    try:
        return getattr(restorer, name)
    except AttributeError:
        raise AttributeError(f"module 'training.inference' has no attribute {name!r}") from None
