"""LPIPS (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric",
CVPR 2018), VGG16 variant, in TensorFlow: a loss for training and a metric for scoring.

distance(x0, x1) = sum over 5 VGG16 layers l of mean over pixels of
    sum_c w_l[c] * (f0_l[c] / |f0_l| - f1_l[c] / |f1_l|)^2
with f_l the features after relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 (64, 128, 256, 512, 512
channels), |f| the norm over channels at each pixel, and w_l the learned non-negative linear
weights ("lin" layers, version 0.1). Inputs are float NHWC RGB in [-1, 1], mapped by the
reference's shift/scale layer before VGG. Identical images give exactly 0.

Weights are the torchvision ImageNet VGG16 (``vgg16-397923af.pth``) plus the reference's linear
layers (``lpips/weights/v0.1/vgg.pth`` inside the ``lpips`` PyPI package). Convert them once, no
torch needed (the .pth files are read by a restricted unpickler)::

    python -m training.lpips convert --vgg16 vgg16-397923af.pth --lin vgg.pth --out lpips-weights/
    python -m training.fit --preset densegan --extra lpips_weights='"lpips-weights"' ...
    (or --lpips-weights lpips-weights/ where TrainConfig has an ``lpips_weights`` field)

``LPIPS(weights_dir=None)`` with ``random=True`` builds random weights (tests only).
"""
from __future__ import annotations

import json
import os

import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import tensorflow as tf

from blurgen.outputs import lock
from training.losses.registry import register_content_loss

WEIGHTS_FILE = "lpips_vgg16.npz"
#: Keras VGG16 conv layers in order; each includes its ReLU. LPIPS taps the marked ones.
VGG16_CONVS = ("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1",
               "block3_conv2", "block3_conv3", "block4_conv1", "block4_conv2", "block4_conv3",
               "block5_conv1", "block5_conv2", "block5_conv3")
TAPS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
TAP_CHANNELS = (64, 128, 256, 512, 512)
#: torchvision ``vgg16().features`` indices of the 13 convolutions, in VGG16_CONVS order.
TORCH_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
# The reference's ScalingLayer: ImageNet mean and std expressed for inputs in [-1, 1].
SHIFT = np.array([-0.030, -0.088, -0.188], np.float32)
SCALE = np.array([0.458, 0.448, 0.450], np.float32)

HOW_TO_GET = (
    "LPIPS needs converted weights in {where}. Get the two published files on a machine with "
    "internet: the torchvision VGG16 backbone "
    "https://download.pytorch.org/models/vgg16-397923af.pth and the linear layers "
    "lpips/weights/v0.1/vgg.pth from the `lpips` PyPI package (`pip download lpips==0.1.4 "
    "--no-deps`, then unzip the wheel). Convert them once with `python -m training.lpips "
    "convert --vgg16 vgg16-397923af.pth --lin vgg.pth --out DIR` and pass DIR (the "
    "`lpips_weights` setting / --lpips-weights).")


def _vgg16_trunk():
    import keras
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    return keras.Model(vgg.input, [vgg.get_layer(n).output for n in TAPS], name="lpips_vgg16")


class LPIPS:
    """LPIPS-VGG16 distance. ``lpips(x0, x1)`` -> float32 (N,) for float NHWC RGB in [-1, 1].

    Args:
      weights_dir: a folder written by ``python -m training.lpips convert``.
      random: build random weights instead (VGG: Keras' initialisers; lin: uniform [0, 1)),
        for tests and smoke runs only; ``seed`` makes them reproducible.
    The network is frozen (not trainable); gradients flow to the inputs, so it works as a loss.
    """

    def __init__(self, weights_dir: str | None = None, random: bool = False, seed: int = 0):
        import keras
        if random:
            keras.utils.set_random_seed(seed)
        self.trunk = _vgg16_trunk()
        self.trunk.trainable = False
        if random:
            rng = np.random.default_rng(seed)
            lins = [rng.uniform(0, 1, c).astype(np.float32) for c in TAP_CHANNELS]
        else:
            arrays = load_weights(weights_dir)
            for name in VGG16_CONVS:
                self.trunk.get_layer(name).set_weights([arrays[f"{name}/kernel"], arrays[f"{name}/bias"]])
            lins = [arrays[f"lin{i}"] for i in range(len(TAPS))]
        if any(np.any(w < 0) for w in lins):
            raise ValueError("LPIPS linear weights must be non-negative (the reference clamps them)")
        self.lins = [tf.constant(w.reshape(1, 1, 1, -1)) for w in lins]

    def features(self, x) -> list[tf.Tensor]:
        """Channel-unit-normalised features at the 5 taps, for images in [-1, 1]."""
        x = (tf.cast(x, tf.float32) - SHIFT) / SCALE
        return [_unit_normalise(f) for f in self.trunk(x, training=False)]

    def __call__(self, x0, x1, per_layer: bool = False):
        """Distances (N,) (or (N, 5) per layer with ``per_layer``); both inputs NHWC in [-1, 1].

        A pair of identical images scores exactly 0, on every CPU. Each side goes through VGG in
        its own pass of the same shape, so an image meets the same kernels at the same batch
        position on both sides (in one pass over the two sides concatenated, some CPUs' GEMM
        blocking rounded the second copy's features differently, and identical images scored
        about 1e-13). Bit-identical inputs are then set to 0 explicitly, which holds whatever
        the convolution kernels do; the gradient there is 0, as it is at the minimum of a
        squared distance."""
        x0 = tf.cast(x0, tf.float32)
        x1 = tf.cast(x1, tf.float32)
        f0, f1 = self.features(x0), self.features(x1)
        terms = [tf.reduce_mean(tf.reduce_sum(w * tf.square(a - b), axis=-1), axis=[1, 2])
                 for a, b, w in zip(f0, f1, self.lins)]
        stacked = tf.stack(terms, axis=1)
        same = tf.reduce_all(tf.equal(x0, x1), axis=[1, 2, 3])[:, None]  # (N, 1)
        stacked = tf.where(same, tf.zeros_like(stacked), stacked)
        return stacked if per_layer else tf.reduce_sum(stacked, axis=1)


def _unit_normalise(f, eps: float = 1e-10):
    # As the reference: f / (||f|| + eps). The 1e-20 under the root only keeps the gradient finite
    # at pixels where every channel is 0 (the reference gives NaN there).
    return f / (tf.sqrt(tf.reduce_sum(tf.square(f), axis=-1, keepdims=True) + 1e-20) + eps)


def load_weights(weights_dir: str | None) -> dict[str, np.ndarray]:
    """Arrays of a converted weights folder; a ValueError says how to get them when absent."""
    path = os.path.join(weights_dir or "", WEIGHTS_FILE)
    if not weights_dir or not os.path.isfile(path):
        raise ValueError(HOW_TO_GET.format(where=repr(path) if weights_dir else "a folder (none was given)"))
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    missing = [k for k in [f"{n}/kernel" for n in VGG16_CONVS] + [f"lin{i}" for i in range(5)] if k not in arrays]
    if missing:
        raise ValueError(f"{path} lacks {missing[:3]}...; convert the weights again. " + HOW_TO_GET.format(where=path))
    return arrays


@register_content_loss("lpips")
def lpips_loss(cfg):
    """Content-loss builder ``fn(cfg) -> loss(sharp, restored) -> scalar`` (mean LPIPS).

    The weights folder is ``cfg.lpips_weights`` when the config has that field (``--lpips-weights
    DIR``), else ``cfg.get_extra("lpips_weights")``; "random" builds random weights (tests only).
    """
    where = getattr(cfg, "lpips_weights", None) or cfg.get_extra("lpips_weights", None)
    model = LPIPS(random=True) if where == "random" else LPIPS(weights_dir=where)
    return lambda sharp, restored: tf.reduce_mean(model(sharp, restored))


def lpips_uint8(model: LPIPS, a: np.ndarray, b: np.ndarray) -> float:
    """LPIPS of two RGB uint8 images (H, W, 3; H x W grey is taken as 3 equal channels), for scoring."""
    def to(im):
        im = np.asarray(im)
        if im.dtype != np.uint8:
            raise ValueError(f"expected uint8 images, got {im.dtype}")
        if im.ndim == 2:
            im = np.repeat(im[..., None], 3, axis=2)
        return tf.constant(im[None].astype(np.float32) / 127.5 - 1.0)
    if np.shape(a) != np.shape(b):
        raise ValueError(f"images differ in shape: {np.shape(a)} vs {np.shape(b)}")
    return float(model(to(a), to(b))[0])


def lpips_metric(weights_dir: str):
    """``fn(sharp, test) -> float`` on RGB uint8 images for ``training.score`` (``--metrics lpips
    --lpips-weights DIR``; lower is better, unlike the other metrics); the network is loaded once,
    here. ``weights_dir`` "random" builds random weights (tests only)."""
    model = LPIPS(random=True) if weights_dir == "random" else LPIPS(weights_dir=weights_dir)
    return lambda sharp, test: lpips_uint8(model, sharp, test)


# ---- conversion of the published .pth files -------------------------------------------------

def convert(vgg16_path: str, lin_path: str, out_dir: str) -> str:
    """Write ``out_dir/lpips_vgg16.npz`` (+ a JSON note of the sources) from the two .pth files.

    ``vgg16_path``: torchvision's VGG16 state dict (keys ``features.N.weight``), or a whole
    ``lpips.LPIPS`` state dict (keys ``net.sliceK.N.weight``). ``lin_path``: the reference's
    ``vgg.pth`` (keys ``linL.model.1.weight``, shape (1, C, 1, 1)); may be the same file as the
    first when it is a whole LPIPS state dict.
    """
    backbone = _strip_slices(load_torch_state_dict(vgg16_path))
    lin = load_torch_state_dict(lin_path)
    arrays = {}
    for name, idx in zip(VGG16_CONVS, TORCH_CONV_INDICES):
        w, b = backbone.get(f"features.{idx}.weight"), backbone.get(f"features.{idx}.bias")
        if w is None or b is None:
            raise ValueError(f"{vgg16_path}: no features.{idx}.weight/bias; is it torchvision's VGG16?")
        arrays[f"{name}/kernel"] = np.transpose(w, (2, 3, 1, 0)).astype(np.float32)  # OIHW -> HWIO
        arrays[f"{name}/bias"] = b.astype(np.float32)
    for i, channels in enumerate(TAP_CHANNELS):
        w = lin.get(f"lin{i}.model.1.weight")
        if w is None or w.size != channels:
            raise ValueError(f"{lin_path}: no lin{i}.model.1.weight of {channels} values; is it lpips' vgg.pth?")
        arrays[f"lin{i}"] = w.reshape(-1).astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, WEIGHTS_FILE)
    np.savez(out, **arrays)
    with open(os.path.join(out_dir, "lpips_weights.json"), "w") as fh:
        json.dump({"vgg16": os.path.abspath(vgg16_path), "lin": os.path.abspath(lin_path),
                   "variant": "LPIPS v0.1, VGG16", "layers": list(TAPS)}, fh, indent=2)
    return out


def _strip_slices(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``net.slice2.5.weight`` (lpips keeps torchvision's indices in its slices) -> ``features.5.weight``."""
    out = dict(state)
    for key, value in state.items():
        parts = key.split(".")
        if len(parts) == 4 and parts[0] == "net" and parts[1].startswith("slice"):
            out[f"features.{parts[2]}.{parts[3]}"] = value
    return out


# ---- reading PyTorch .pth files without torch ------------------------------------------------
# A .pth file is either a zip archive (torch >= 1.6: ``*/data.pkl`` plus one raw file per storage
# under ``*/data/``) or the legacy stream (magic number, protocol, sys info, the main pickle, the
# list of storage keys, then each storage as an int64 element count and its raw bytes). Both
# pickles name storages by persistent ids and rebuild tensors with ``torch._utils`` functions;
# the unpickler below allows only those names, so a .pth file cannot run code here.

_STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                   "BFloat16Storage": np.uint16, "LongStorage": np.int64, "IntStorage": np.int32,
                   "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
                   "BoolStorage": np.bool_}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    def __init__(self, name: str):
        self.name, self.dtype = name, np.dtype(_STORAGE_DTYPES[name])


class _Storage:
    """A flat array filled when its bytes are read (at once for zip, after the pickle for legacy)."""

    def __init__(self, kind: _StorageType, numel: int):
        self.kind, self.numel, self.data = kind, numel, None

    def fill(self, raw: bytes) -> None:
        data = np.frombuffer(raw, dtype=self.kind.dtype.newbyteorder("<"), count=self.numel)
        if self.kind.name == "BFloat16Storage":  # bfloat16 is the top half of a float32
            data = (data.astype(np.uint32) << 16).view(np.float32)
        self.data = data.astype(data.dtype.newbyteorder("="))


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self) -> np.ndarray:
        base = self.storage.data[self.offset:]
        if not self.size:
            return base[:1].reshape(()).copy()
        item = base.itemsize
        return np.lib.stride_tricks.as_strided(base, self.size, [s * item for s in self.stride]).copy()


def _rebuild_tensor(storage, offset, size, stride, *unused):
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
    return data


class _TorchUnpickler(pickle.Unpickler):
    _ALLOWED = {("collections", "OrderedDict"): OrderedDict,
                ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
                ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
                ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
                ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter}

    def __init__(self, fh, storages: dict, read_storage=None):
        super().__init__(fh)
        self.storages, self.read_storage = storages, read_storage

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        if pid[0] != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid[0]!r}")
        kind, key, numel = pid[1], str(pid[2]), int(pid[4])
        if key not in self.storages:
            self.storages[key] = _Storage(kind, numel)
            if self.read_storage is not None:
                self.storages[key].fill(self.read_storage(key))
        return self.storages[key]


def load_torch_state_dict(path: str) -> dict[str, np.ndarray]:
    """``{name: numpy array}`` from a PyTorch state-dict file (zip or legacy format), without torch."""
    with open(path, "rb") as fh:
        raw = fh.read()
    storages: dict[str, _Storage] = {}
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
            prefix = pkl[: -len("data.pkl")]
            obj = _TorchUnpickler(io.BytesIO(zf.read(pkl)), storages,
                                  lambda key: zf.read(f"{prefix}data/{key}")).load()
    else:
        fh = io.BytesIO(raw)
        if pickle.load(fh) != _LEGACY_MAGIC:
            raise ValueError(f"{path} is neither a zip nor a legacy PyTorch file")
        pickle.load(fh), pickle.load(fh)  # protocol version, sys info
        obj = _TorchUnpickler(fh, storages).load()
        for key in pickle.load(fh):
            count = int(np.frombuffer(fh.read(8), "<i8")[0])
            storage = storages[str(key)]
            storage.fill(fh.read(count * storage.kind.dtype.itemsize))
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"{path} does not hold a state dict (found {type(obj).__name__})")
    return {k: v.numpy() for k, v in obj.items() if isinstance(v, _Tensor)}
