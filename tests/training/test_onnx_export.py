"""The ONNX form of a generator computes what the Keras model computes, in both runtimes that run
it (OpenVINO, ONNX Runtime), for the layouts that matter: DeblurGAN's ResNet (instance norm,
reflect and zero padding, transposed convolutions, crops) and the cpu preset's ``unet`` (space to
depth, TensorFlow's SAME padding at stride 2, dynamic reflect padding and cropping)."""
import keras
import numpy as np
import pytest

pytest.importorskip("onnx")

from shardkit import tiny_config  # noqa: E402
from training.inference import backends  # noqa: E402
from training.inference import onnx_export
from training.presets import preset  # noqa: E402
from training.inference.restorer import Restorer  # noqa: E402
from training.networks import build_generator  # noqa: E402

# float32 kernels that sum in another order (blocked GEMM, Winograd-free direct convolution,
# their own instance-norm reductions) differ from TensorFlow's by rounding: measured 1e-5 at most
# on the 11 M-parameter deblurgan generator with random weights (instance norm rescales the
# differences layer after layer), about 1e-6 on these small ones. 1e-4 is 10x the largest
# measured and 78x smaller than one uint8 level (2 / 255) of the [-1, 1] output.
ATOL = 1e-4
RUNTIMES = [pytest.param(b, marks=pytest.mark.skipif(backends.missing_package(b) is not None,
                                                     reason=f"{backends.missing_package(b)} is not installed"))
            for b in ("openvino", "onnxruntime")]


def _randomised(gen, seed: int, scale: float = 0.2):
    """``gen`` with every weight drawn at random (zero-initialised convolutions included), so
    that every layer changes the output; batch norm's variances stay positive."""
    rng = np.random.default_rng(seed)
    weights = []
    for v in gen.weights:
        w = rng.normal(0, scale, v.shape).astype(np.float32)
        weights.append(np.abs(w) + 0.5 if "variance" in v.path else w)
    gen.set_weights(weights)
    return gen


def _engine(backend, gen):
    proto = onnx_export.to_onnx(gen).SerializeToString()
    if backend == "openvino":
        return backends.openvino_engine(proto, "float32", threads=1)
    return backends.onnxruntime_engine(proto, threads=1)


def _check(backend, gen, shapes):
    run = _engine(backend, gen)
    rng = np.random.default_rng(0)
    for h, w in shapes:
        x = rng.uniform(-1, 1, (1, h, w, 3)).astype(np.float32)
        want = gen(x, training=False).numpy()
        got = run(x)
        assert got.shape == want.shape == (1, h, w, 3)
        assert np.abs(want - x).max() > 0.1  # the network does change its input
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


@pytest.mark.parametrize("backend", RUNTIMES)
def test_deblurgan_layout_is_converted_exactly(backend):
    keras.utils.set_random_seed(1)
    gen = build_generator(tiny_config(gen_norm="instance", gen_padding="reflect", gen_blocks=2,
                                      gen_dropout=0.5, gen_zero_init_output=False))
    _check(backend, _randomised(gen, 1), [(32, 32), (36, 52)])


@pytest.mark.parametrize("backend", RUNTIMES)
def test_batch_norm_and_zero_padded_resnet_is_converted_exactly(backend):
    keras.utils.set_random_seed(2)
    gen = build_generator(tiny_config(gen_norm="batch", gen_padding="zero", gen_zero_init_output=False))
    _check(backend, _randomised(gen, 2), [(28, 40)])


@pytest.mark.parametrize("backend", RUNTIMES)
def test_unet_of_the_cpu_preset_is_converted_exactly_at_any_size(backend):
    keras.utils.set_random_seed(3)
    gen = build_generator(preset("cpu").replace(gen_filters=8, gen_blocks=1))
    # Sizes that are and are not multiples of 8: the padding and the crop back are computed in the graph.
    _check(backend, _randomised(gen, 3, scale=0.1), [(32, 48), (37, 29), (8, 16)])


def test_the_full_deblurgan_generator_converts_with_every_weight():
    gen = build_generator(preset("deblurgan"))
    proto = onnx_export.to_onnx(gen)
    stored = sum(int(np.prod(t.dims)) for t in proto.graph.initializer if "/" in t.name)  # LAYER/kernel, ...
    assert stored == gen.count_params() == 11_378_179
    kinds = {n.op_type for n in proto.graph.node}
    assert {"Conv", "ConvTranspose", "InstanceNormalization", "Pad", "Slice", "Tanh", "Clip"} <= kinds


def test_a_layer_without_an_onnx_form_is_named_and_auto_falls_back_to_tensorflow():
    inp = keras.Input((None, None, 3))
    odd = keras.Model(inp, keras.layers.UpSampling2D(1, name="odd_one")(inp), name="odd")
    with pytest.raises(onnx_export.UnsupportedModel, match="odd_one.*UpSampling2D"):
        onnx_export.to_onnx(odd)
    if backends.missing_package("onnxruntime") is None:
        auto = Restorer(odd, backend="auto", precision="float32")
        assert auto.backend == "tensorflow" and "odd_one" in auto.note
        with pytest.raises(backends.BackendError, match="odd_one.*--backend tensorflow"):
            Restorer(odd, backend="onnxruntime", precision="float32")
