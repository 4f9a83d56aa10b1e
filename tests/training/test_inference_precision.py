"""Loading a generator for inference: the fast loader gives Keras' model exactly, bfloat16 keeps
the generator's tail in float32 and stays close, and bfloat16 is chosen only where the CPU has it."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from shardkit import sample_pairs, tiny_config
from training.inference import cpu
from training.inference import restorer as inference
from training.networks import li2024 as nets_li2024
from training.presets import preset
from training.networks import build_generator


@pytest.fixture(scope="module")
def saved_generator(tmp_path_factory):
    """A tiny DeblurGAN-layout generator (instance norm, reflect padding, global skip), saved."""
    keras.utils.set_random_seed(5)
    gen = build_generator(tiny_config(gen_norm="instance", gen_zero_init_output=False))
    tail = gen.get_layer("tail_conv")
    tail.set_weights([w * 0.1 for w in tail.get_weights()])  # a moderate residual, like a trained one
    path = tmp_path_factory.mktemp("gen") / "generator.keras"
    gen.save(path)
    return str(path)


def test_fast_load_gives_the_saved_model_exactly(saved_generator):
    reference = keras.models.load_model(saved_generator, compile=False)
    fast = inference.load_generator(saved_generator, "float32")
    x = tf.random.uniform([1, 40, 52, 3], -1, 1, seed=1)
    assert fast.count_params() == reference.count_params()
    np.testing.assert_array_equal(fast(x).numpy(), reference(x).numpy())
    for a, b in zip(fast.weights, reference.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_float32_tail_of_the_deblurgan_and_li2024_generators():
    cfg = keras.saving.serialize_keras_object(build_generator(preset("deblurgan")))
    assert inference.float32_tail(cfg["config"]["layers"]) == {
        "tail_conv", "tail_tanh", "input_f32", "global_skip", "restored"}
    li = keras.saving.serialize_keras_object(nets_li2024.build_li2024_generator(width=4, blocks=1))
    assert inference.float32_tail(li["config"]["layers"]) == {"head_conv", "skip_add", "skip_clip"}


def test_bfloat16_runs_the_body_in_bfloat16_and_the_tail_in_float32(saved_generator, tensorflow_bfloat16):
    gen = inference.load_generator(saved_generator, "bfloat16")
    policies = {layer.name: layer.dtype_policy.name for layer in gen.layers if layer.weights or "norm" in layer.name}
    assert policies["tail_conv"] == "float32"
    assert policies["head_conv"] == policies["head_norm"] == policies["res0_a_conv"] == "mixed_bfloat16"
    assert all(w.dtype == "float32" for w in gen.weights)  # the saved weights, unrounded
    (_, blurred, _), = sample_pairs(64, names=("chelsea.png",))
    f32 = inference.Restorer(saved_generator, precision="float32")(blurred)
    b16 = inference.Restorer(saved_generator, precision="bfloat16")(blurred)
    diff = np.abs(f32.astype(int) - b16.astype(int))
    assert b16.dtype == np.uint8 and b16.shape == f32.shape
    assert 0 < diff.mean() < 1.0 and diff.max() <= 12, (diff.mean(), diff.max())


def test_in_memory_model_converts_and_float32_is_left_as_is(tensorflow_bfloat16):
    gen = build_generator(tiny_config(gen_norm="instance"))
    assert inference.convert_generator(gen, "float32") is gen
    b16 = inference.convert_generator(gen, "bfloat16")
    assert b16 is not gen and b16.get_layer("head_conv").dtype_policy.name == "mixed_bfloat16"
    x = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=2)
    assert np.abs(b16(x).numpy() - gen(x).numpy()).max() < 0.1


def test_bfloat16_where_onednn_has_no_kernels_is_refused_with_the_fix(saved_generator, monkeypatch):
    def failing(model):
        def run(x):
            raise tf.errors.AbortedError(None, None, "could not create a primitive descriptor")
        return run
    monkeypatch.setattr(inference, "tensorflow_bfloat16", lambda: "unavailable")
    monkeypatch.setattr(inference, "tensorflow_engine", failing)
    with pytest.raises(inference.BackendError, match="no bfloat16 convolution.*--precision float32"):
        inference.Restorer(saved_generator, precision="bfloat16", backend="tensorflow")


@pytest.mark.parametrize("flags,expected", [("fpu sse avx512f avx512_bf16 avx512_vnni", True),
                                            ("fpu sse amx_bf16 amx_tile", True),
                                            ("fpu sse avx2 avx512f", False)])
def test_bfloat16_support_is_read_from_cpu_flags(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n")
    assert inference.cpu_supports_bfloat16(str(cpuinfo)) is expected
    assert inference.cpu_supports_bfloat16(str(tmp_path / "absent")) is False


def test_auto_precision_follows_the_cpu_and_tensorflows_onednn(monkeypatch):
    # The CPU's answer and TensorFlow's bfloat16 state are given here, not read from this machine.
    gpu = bool(tf.config.list_physical_devices("GPU"))
    monkeypatch.setattr(inference, "cpu_supports_bfloat16", lambda: True)
    monkeypatch.setattr(inference, "tensorflow_bfloat16", lambda: "hardware")
    assert inference.resolve_precision("auto") == ("float32" if gpu else "bfloat16")
    for state in ("emulated", "unavailable"):  # oneDNN off, or capped below the bfloat16 instructions
        monkeypatch.setattr(inference, "tensorflow_bfloat16", lambda: state)
        assert inference.resolve_precision("auto") == "float32"
    monkeypatch.setattr(inference, "tensorflow_bfloat16", lambda: "hardware")
    monkeypatch.setattr(inference, "cpu_supports_bfloat16", lambda: False)
    assert inference.resolve_precision("auto") == "float32"
    assert inference.resolve_precision("bfloat16") == "bfloat16"
    with pytest.raises(ValueError, match="precision"):
        inference.resolve_precision("int8")


@pytest.mark.parametrize("flags,onednn,cap,want", [
    ("avx2 fma", False, "", "emulated"),  # TensorFlow's own kernels: bfloat16 computed in float32
    ("avx2 fma", True, "", "unavailable"),  # oneDNN below AVX-512 has no bfloat16 convolution
    ("avx2 avx512f avx512bw avx512vl avx512dq", True, "", "emulated"),
    ("avx2 avx512f avx512bw avx512vl avx512dq avx512_bf16", True, "", "hardware"),
    ("avx2 avx512f avx512bw avx512vl avx512dq avx512_bf16", True, "AVX512_CORE", "emulated"),
    ("avx2 avx512f avx512bw avx512vl avx512dq avx512_bf16", True, "avx2", "unavailable"),
    ("avx2 avx512f avx512bw avx512vl avx512dq avx512_bf16", False, "avx2", "emulated"),
])
def test_tensorflows_bfloat16_follows_the_flags_onednn_and_its_isa_cap(monkeypatch, flags, onednn, cap, want):
    monkeypatch.setattr(cpu, "tensorflow_onednn", lambda: onednn)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert cpu.tensorflow_bfloat16(cpu.CpuInfo("a CPU", frozenset(flags.split()))) == want


def test_tensorflows_onednn_state_follows_the_switch(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert cpu.tensorflow_onednn() is False
