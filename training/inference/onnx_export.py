"""A trained Keras generator as an ONNX graph, layer for layer, for CPU inference runtimes.

:func:`to_onnx` walks a functional generator's saved config (the same description Keras
rebuilds it from) and writes each layer as the ONNX operators that compute the same function,
with the layer's own weights. Inside the graph tensors are NCHW (ONNX's convolution layout);
the graph's input and output are NHWC like the Keras model's: ``[1, H, W, 3]`` float32 in
[-1, 1], H and W free (multiples of 4 for the ResNet generator, any for ``unet``).

Only layers whose ONNX form is known are converted (:data:`CONVERTERS`); any other layer raises
:class:`UnsupportedModel` naming it, and the caller runs the model in TensorFlow instead. The
conversion is exact in the sense that every operator computes what the Keras layer computes
(same padding, same channel order of space/depth shuffles, same biased instance-norm variance);
results differ from TensorFlow's only by float32 rounding in the kernels (the tests bound it).

Needs the ``onnx`` package (the ``fast`` extra).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

OPSET = 17


class UnsupportedModel(ValueError):
    """The model holds a layer (or a structure) this converter does not write; run it in TensorFlow."""


@dataclass
class _Graph:
    """The ONNX graph being built: nodes, constants (initializers; a layer's weights are named
    ``LAYER/kernel``, ``LAYER/bias``, ...) and unique names."""
    nodes: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    _count: int = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}__{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        from onnx import numpy_helper
        name = self.name(hint)
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs) -> str:
        from onnx import helper
        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


def _activation(g: _Graph, x: str, name: str, hint: str) -> str:
    """A Keras activation by name (``linear``, ``relu``, ``tanh``, ``sigmoid``)."""
    if name in ("linear", None):
        return x
    ops = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid"}
    if name not in ops:
        raise UnsupportedModel(f"activation {name!r} of layer {hint!r} has no ONNX form here")
    return g.op(ops[name], [x], hint)


def _conv(g: _Graph, layer, cfg: dict, xs: list[str]) -> str:
    """Conv2D: kernel [kh, kw, in, out] -> ONNX [out, in, kh, kw]; "same" is TensorFlow's SAME
    (the odd pixel of padding at the bottom and right), which is ONNX's SAME_UPPER."""
    if cfg.get("groups", 1) != 1 or cfg.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedModel(f"layer {layer.name!r}: grouped or channels_first convolutions are not converted")
    weights = layer.get_weights()
    kernel = np.transpose(weights[0], (3, 2, 0, 1)).astype(np.float32)
    inputs = [xs[0], g.const(f"{layer.name}/kernel", kernel)]
    if cfg.get("use_bias", True):
        inputs.append(g.const(f"{layer.name}/bias", weights[1].astype(np.float32)))
    pad = {"auto_pad": "SAME_UPPER"} if cfg["padding"] == "same" else {"pads": [0, 0, 0, 0]}
    y = g.op("Conv", inputs, layer.name, kernel_shape=list(kernel.shape[2:]), strides=list(_pair(cfg["strides"])),
             dilations=list(_pair(cfg.get("dilation_rate", 1))), **pad)
    return _activation(g, y, cfg.get("activation"), layer.name)


def _conv_transpose(g: _Graph, layer, cfg: dict, xs: list[str]) -> str:
    """Conv2DTranspose, "valid" padding: kernel [kh, kw, out, in] -> ONNX [in, out, kh, kw];
    output (H - 1) * stride + kh, as TensorFlow's."""
    if cfg["padding"] != "valid" or cfg.get("output_padding") not in (None, (0, 0), [0, 0]):
        raise UnsupportedModel(f"layer {layer.name!r}: only 'valid' transposed convolutions are converted")
    if _pair(cfg.get("dilation_rate", 1)) != (1, 1):
        raise UnsupportedModel(f"layer {layer.name!r}: dilated transposed convolutions are not converted")
    weights = layer.get_weights()
    kernel = np.transpose(weights[0], (3, 2, 0, 1)).astype(np.float32)
    inputs = [xs[0], g.const(f"{layer.name}/kernel", kernel)]
    if cfg.get("use_bias", True):
        inputs.append(g.const(f"{layer.name}/bias", weights[1].astype(np.float32)))
    y = g.op("ConvTranspose", inputs, layer.name, kernel_shape=list(kernel.shape[2:]),
             strides=list(_pair(cfg["strides"])), pads=[0, 0, 0, 0])
    return _activation(g, y, cfg.get("activation"), layer.name)


def _pad(g: _Graph, x: str, hw: tuple[int, int, int, int], mode: str, hint: str) -> str:
    """Pad H and W by (top, bottom, left, right), ``mode`` "reflect" (edge not repeated) or "constant" (0)."""
    top, bottom, left, right = hw
    pads = g.const(f"{hint}_pads", np.array([0, 0, top, left, 0, 0, bottom, right], np.int64))
    return g.op("Pad", [x, pads], hint, mode=mode)


def _reflect_pad(g, layer, cfg, xs):
    p = int(cfg["pad"])
    return _pad(g, xs[0], (p, p, p, p), "reflect", layer.name)


def _zero_pad(g, layer, cfg, xs):
    (top, bottom), (left, right) = layer.padding
    return _pad(g, xs[0], (top, bottom, left, right), "constant", layer.name)


def _crop(g, layer, cfg, xs):
    """Cropping2D: a Slice of H and W (an end of 0 cropped is "to the end")."""
    (top, bottom), (left, right) = layer.cropping
    big = np.iinfo(np.int64).max
    starts = g.const(f"{layer.name}_starts", np.array([top, left], np.int64))
    ends = g.const(f"{layer.name}_ends", np.array([-bottom if bottom else big, -right if right else big], np.int64))
    axes = g.const(f"{layer.name}_axes", np.array([2, 3], np.int64))
    return g.op("Slice", [xs[0], starts, ends, axes], layer.name)


def _instance_norm(g, layer, cfg, xs):
    """InstanceNorm without scale or shift: ONNX InstanceNormalization (biased variance, as ours)
    with scale 1 and bias 0 for as many channels as the previous layer gives."""
    channels = int(layer.input.shape[-1])
    scale = g.const(f"{layer.name}_ones", np.ones(channels, np.float32))
    bias = g.const(f"{layer.name}_zeros", np.zeros(channels, np.float32))
    return g.op("InstanceNormalization", [xs[0], scale, bias], layer.name, epsilon=float(cfg["epsilon"]))


def _batch_norm(g, layer, cfg, xs):
    """BatchNormalization at inference: the moving statistics, with gamma 1 / beta 0 where the
    layer has none."""
    if cfg.get("axis", -1) not in (-1, 3, [-1], [3]):
        raise UnsupportedModel(f"layer {layer.name!r}: batch norm over an axis other than channels")
    w = {v.path.rsplit("/", 1)[-1]: np.asarray(v.numpy(), np.float32) for v in layer.weights}
    channels = w["moving_mean"].shape[0]
    gamma = w.get("gamma", np.ones(channels, np.float32))
    beta = w.get("beta", np.zeros(channels, np.float32))
    names = [g.const(f"{layer.name}/{k}", v) for k, v in
             (("gamma", gamma), ("beta", beta), ("mean", w["moving_mean"]), ("var", w["moving_variance"]))]
    return g.op("BatchNormalization", [xs[0], *names], layer.name, epsilon=float(cfg["epsilon"]))


def _relu(g, layer, cfg, xs):
    if cfg.get("max_value") is not None or float(cfg.get("threshold", 0.0)) != 0.0:
        raise UnsupportedModel(f"layer {layer.name!r}: ReLU with a cap or a threshold is not converted")
    slope = float(cfg.get("negative_slope", 0.0))
    if slope:
        return g.op("LeakyRelu", [xs[0]], layer.name, alpha=slope)
    return g.op("Relu", [xs[0]], layer.name)


def _leaky_relu(g, layer, cfg, xs):
    return g.op("LeakyRelu", [xs[0]], layer.name, alpha=float(cfg["negative_slope"]))


def _identity(g, layer, cfg, xs):
    return xs[0]  # Dropout and Identity at inference, a linear Activation


def _activation_layer(g, layer, cfg, xs):
    return _activation(g, xs[0], cfg["activation"], layer.name)


def _add(g, layer, cfg, xs):
    y = xs[0]
    for i, x in enumerate(xs[1:]):
        y = g.op("Add", [y, x], f"{layer.name}_{i}")
    return y


def _clip(g, layer, cfg, xs):
    low = g.const(f"{layer.name}_low", np.array(cfg["low"], np.float32))
    high = g.const(f"{layer.name}_high", np.array(cfg["high"], np.float32))
    return g.op("Clip", [xs[0], low, high], layer.name)


def _pad_to_multiple(g, layer, cfg, xs):
    """Reflect-pad bottom and right by ``-size % multiple`` (computed from the input's shape)."""
    m = g.const(f"{layer.name}_m", np.array([int(cfg["multiple"])] * 2, np.int64))
    hw = g.op("Slice", [g.op("Shape", [xs[0]], f"{layer.name}_shape"),
                        g.const(f"{layer.name}_s", np.array([2], np.int64)),
                        g.const(f"{layer.name}_e", np.array([4], np.int64))], f"{layer.name}_hw")
    extra = g.op("Mod", [g.op("Sub", [m, g.op("Mod", [hw, m], f"{layer.name}_r")], f"{layer.name}_d"), m],
                 f"{layer.name}_extra")
    pads = g.op("Concat", [g.const(f"{layer.name}_z", np.zeros(6, np.int64)), extra], f"{layer.name}_pads", axis=0)
    return g.op("Pad", [xs[0], pads], layer.name, mode="reflect")


def _space_to_depth(g, layer, cfg, xs):
    # TensorFlow's NHWC channel order (row in block, column in block, channel) is ONNX's.
    return g.op("SpaceToDepth", [xs[0]], layer.name, blocksize=int(cfg["block"]))


def _depth_to_space(g, layer, cfg, xs):
    # TensorFlow's NHWC order is ONNX's DCR mode (depth split as row, column, channel).
    return g.op("DepthToSpace", [xs[0]], layer.name, blocksize=int(cfg["block"]), mode="DCR")


def _crop_like(g, layer, cfg, xs):
    """The first input cut to the second's height and width."""
    hw = g.op("Slice", [g.op("Shape", [xs[1]], f"{layer.name}_shape"),
                        g.const(f"{layer.name}_s", np.array([2], np.int64)),
                        g.const(f"{layer.name}_e", np.array([4], np.int64))], f"{layer.name}_hw")
    starts = g.const(f"{layer.name}_starts", np.zeros(2, np.int64))
    axes = g.const(f"{layer.name}_axes", np.array([2, 3], np.int64))
    return g.op("Slice", [xs[0], starts, hw, axes], layer.name)


#: Keras class name -> writer ``fn(graph, layer, config, input names) -> output name``.
CONVERTERS = {
    "Conv2D": _conv, "Conv2DTranspose": _conv_transpose, "ReflectPad2D": _reflect_pad,
    "ZeroPadding2D": _zero_pad, "Cropping2D": _crop, "InstanceNorm": _instance_norm,
    "BatchNormalization": _batch_norm, "ReLU": _relu, "LeakyReLU": _leaky_relu, "Dropout": _identity,
    "Identity": _identity, "Activation": _activation_layer, "Add": _add, "ClipToRange": _clip,
    "PadToMultiple": _pad_to_multiple, "SpaceToDepth": _space_to_depth, "DepthToSpace": _depth_to_space,
    "CropLike": _crop_like,
}


def _ordered_inputs(layer_cfg: dict) -> list[str]:
    """Names of the layers feeding ``layer_cfg``, in call order (one call, first output each)."""
    nodes = layer_cfg.get("inbound_nodes", [])
    if len(nodes) > 1:
        raise UnsupportedModel(f"layer {layer_cfg['name']!r} is called more than once (shared layers are not converted)")
    found: list[str] = []

    def walk(obj):
        if isinstance(obj, dict):
            if "keras_history" in obj:
                name, node, index = obj["keras_history"]
                if node != 0 or index != 0:
                    raise UnsupportedModel(f"layer {layer_cfg['name']!r} takes a second output of {name!r}")
                found.append(name)
                return
            for value in obj.values():
                walk(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                walk(value)
    walk(nodes)
    return found


def _endpoints(entries) -> list[str]:
    """Layer names of a config's ``input_layers`` / ``output_layers``: one ``[name, node, index]``
    entry, or a list of them."""
    if entries and isinstance(entries[0], str):
        entries = [entries]
    return [e[0] for e in entries]


def to_onnx(model: keras.Model):
    """``model`` (a functional Keras generator, float32 weights) as an ``onnx.ModelProto`` with
    input ``blurred`` and output ``restored``, both ``[1, H, W, 3]`` float32 NHWC. Raises
    :class:`UnsupportedModel` for a model that is not one image in, one image out, or that holds a
    layer not in :data:`CONVERTERS`."""
    from onnx import TensorProto, checker, helper

    cfg = keras.saving.serialize_keras_object(model)
    if cfg.get("class_name") not in ("Functional", "Model") or "layers" not in cfg.get("config", {}):
        raise UnsupportedModel(f"{model.name}: not a functional Keras model")
    inner = cfg["config"]
    ins, outs = _endpoints(inner["input_layers"]), _endpoints(inner["output_layers"])
    if len(ins) != 1 or len(outs) != 1:
        raise UnsupportedModel(f"{model.name}: needs one input and one output")
    g = _Graph()
    x = g.op("Transpose", ["blurred"], "to_nchw", perm=[0, 3, 1, 2])
    out_of: dict[str, str] = {}
    for layer_cfg in inner["layers"]:
        name, kind = layer_cfg["name"], layer_cfg["class_name"]
        if kind == "InputLayer":
            out_of[name] = x
            continue
        if kind not in CONVERTERS:
            raise UnsupportedModel(f"{model.name}: layer {name!r} ({kind}) has no ONNX form here")
        xs = [out_of[src] for src in _ordered_inputs(layer_cfg)]
        out_of[name] = CONVERTERS[kind](g, model.get_layer(name), layer_cfg["config"], xs)
    g.nodes.append(helper.make_node("Transpose", [out_of[outs[0]]], ["restored"], name="to_nhwc", perm=[0, 2, 3, 1]))
    graph = helper.make_graph(
        g.nodes, model.name,
        [helper.make_tensor_value_info("blurred", TensorProto.FLOAT, [1, "height", "width", 3])],
        [helper.make_tensor_value_info("restored", TensorProto.FLOAT, [1, "height", "width", 3])],
        initializer=g.weights)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="blurgen")
    proto.ir_version = 8  # readable by every ONNX Runtime and OpenVINO release that has opset 17
    checker.check_model(proto)
    return proto
