"""``python -m training.describe``: the networks of a preset as a table and a picture.

    python -m training.describe --preset li2024 --out docs/li2024
    python -m training.describe --preset densegan --out docs/densegan --crop 128

Writes into ``--out``:

* ``{preset}-networks.md``: per network, one row per convolution or dense layer (kernel, stride,
  filters, output shape at the preset's crop, parameters), as the Li (2024) paper's Table 2 lists
  them, then the totals (trainable, non-trainable such as batch-norm statistics, and all);
* ``{preset}-generator.png`` and ``{preset}-critic.png``: layered pictures drawn by
  ``visualkeras`` (``pip install visualkeras``), convolution-type layers only (activations,
  normalisation, padding and merges are left out so that the picture stays readable).

The networks are built from the preset by the trainer's registries (``build_generator``,
``build_critic``), so what is described is what ``training.fit --preset`` trains; any
``TrainConfig`` flag (``--gen-filters``, ``--crop``, ...) overrides the preset.
"""
from __future__ import annotations

import os
import sys
import warnings

import keras

from blurgen.outputs import lock
from training.commands.flags import config_from_args
from training.config import TrainConfig
from training.presets import preset
from training.networks import parameter_counts

WEIGHTED_TYPES = ("Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "Dense")
HIDDEN_IN_PICTURE = ("ReLU", "LeakyReLU", "Activation", "BatchNormalization", "GroupNormalization",
                     "LayerNormalization", "Dropout", "Identity", "ClipToRange", "ReflectPad2D",
                     "ZeroPadding2D", "Add", "Concatenate", "InputLayer")


def with_fixed_input(model: keras.Model, size: int) -> keras.Model:
    """The same layers (new weights) on a ``size`` x ``size`` input, so every output shape is known.
    Models that already fix their input size are returned as they are."""
    shape = model.input_shape
    if None not in shape[1:3]:
        return model
    return keras.models.clone_model(model, input_tensors=keras.Input((size, size, shape[-1])))


def layer_rows(model: keras.Model) -> list[dict]:
    """One dict per convolution/dense layer: name, type, kernel, stride, filters, output, params."""
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in WEIGHTED_TYPES:
            continue
        conv = hasattr(layer, "kernel_size")
        rows.append({
            "name": layer.name, "type": kind,
            "kernel": "x".join(map(str, layer.kernel_size)) if conv else "-",
            "stride": "x".join(map(str, layer.strides)) if conv else "-",
            "filters": getattr(layer, "filters", None) or getattr(layer, "units", None),
            "output": "x".join(str(d) for d in layer.output.shape[1:]),
            "params": layer.count_params(),
        })
    return rows


def markdown_table(title: str, model: keras.Model) -> str:
    rows = layer_rows(model)
    t = parameter_counts(model)
    conv_params = sum(r["params"] for r in rows)
    lines = [f"## {title}: `{model.name}`", "",
             "| # | layer | type | kernel | stride | filters | output (HxWxC) | parameters |",
             "|---:|---|---|---|---|---:|---|---:|"]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {i} | {r['name']} | {r['type']} | {r['kernel']} | {r['stride']} | {r['filters']} "
                     f"| {r['output']} | {r['params']:,} |")
    lines += ["", f"- convolution and dense layers: {len(rows)}, {conv_params:,} parameters",
              f"- normalisation and other layers: {t['total'] - conv_params:,} parameters",
              f"- total: **{t['total']:,}** ({t['total'] / 1e6:.2f} M; trainable {t['trainable']:,}, "
              f"non-trainable {t['non_trainable']:,})", ""]
    return "\n".join(lines)


def draw(model: keras.Model, path: str) -> str:
    """A layered picture of ``model`` by visualkeras (convolution-type layers) as PNG."""
    try:
        import visualkeras
    except ImportError as exc:
        raise ImportError("the architecture pictures need visualkeras: pip install 'blurgen[describe]' "
                          "(or pip install visualkeras); --no-pictures writes the tables only") from exc
    for layer in model.layers:
        # visualkeras 0.2 reads Keras 2's `layer.output_shape`, which Keras 3 layers no longer have.
        if not hasattr(layer, "output_shape"):
            object.__setattr__(layer, "output_shape", tuple(layer.output.shape))
    hidden = [type(layer) for layer in model.layers if type(layer).__name__ in HIDDEN_IN_PICTURE]
    with warnings.catch_warnings():  # visualkeras warns about its own default arguments
        warnings.simplefilter("ignore", UserWarning)
        image = visualkeras.layered_view(model, legend=True, type_ignore=list(set(hidden)), spacing=12,
                                         scale_xy=0.6, max_xy=180, scale_z=0.08, max_z=120)
    image.save(path)
    return path


def describe(cfg: TrainConfig, name: str, out: str, pictures: bool = True) -> dict[str, str]:
    """Write the table and pictures of ``cfg``'s networks; returns ``{kind: path}``."""
    from training.networks import build_critic, build_generator
    os.makedirs(out, exist_ok=True)
    nets = {"generator": with_fixed_input(build_generator(cfg), cfg.crop),
            "critic": with_fixed_input(build_critic(cfg), cfg.crop)}
    header = (f"# Networks of the `{name}` preset\n\nBuilt by `python -m training.describe --preset {name}` at "
              f"{cfg.crop}x{cfg.crop} input (generator `{cfg.generator}`, critic `{cfg.critic}`).\n\n")
    written = {"table": os.path.join(out, f"{name}-networks.md")}
    with open(written["table"], "w") as fh:
        fh.write(header + "\n".join(markdown_table(k.capitalize(), m) for k, m in nets.items()))
    if pictures:
        for kind, model in nets.items():
            written[kind] = draw(model, os.path.join(out, f"{name}-{kind}.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    from training.commands.parsers import parse, prog
    args = parse("describe", argv)
    cfg = config_from_args(args, preset(args.preset))
    try:
        with lock.output_lock(args.out, command=prog("describe"), break_lock=args.break_lock, what="the tables and pictures"):
            written = describe(cfg, args.preset, args.out, not args.no_pictures)
    except ValueError as exc:  # the folder is in use by another run, or cannot be written
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0
