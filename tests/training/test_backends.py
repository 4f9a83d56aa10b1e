"""Which precision and backend inference runs in, decided from the CPU's flags (given here as
cpuinfo files of other machines, never this machine's), TensorFlow's oneDNN state and the
packages installed; and the one-line errors for what cannot run."""
import numpy as np
import pytest

from training.inference import backends
from training.inference import cpu
from training.commands import deblur
from training.inference import restorer as inference

AVX2_ONLY = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B12\n"
             "flags\t\t: fpu sse sse2 avx fma avx2 bmi2\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B12\n"
             "flags\t\t: fpu sse sse2 avx fma avx2 bmi2\n")
AVX512_BF16 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16\n"
AMX = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: avx2 fma avx512f amx_tile amx_bf16\n"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """``machine(cpuinfo_text, onednn=True, installed=(...))``: pretend to be that machine."""
    def pretend(text, onednn=True, installed=("tensorflow", "openvino", "onnxruntime")):
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        monkeypatch.setenv(cpu.ENV_CPUINFO, str(path))
        monkeypatch.setattr(cpu, "tensorflow_onednn", lambda: onednn)
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
        monkeypatch.setattr(backends, "missing_package", lambda b: None if b in installed else f"{b}-package")
        monkeypatch.setattr(inference.tf.config, "list_physical_devices", lambda kind=None: [])
    return pretend


def test_cpuinfo_gives_the_model_and_the_flags_that_matter():
    info = cpu.parse_cpuinfo(AVX2_ONLY)
    assert info.model == "AMD EPYC 7B12" and not info.bfloat16
    assert info.describe() == "AMD EPYC 7B12 (avx2 fma)"
    assert cpu.parse_cpuinfo(AVX512_BF16).describe() == "AMD EPYC (avx2 fma avx512f avx512_vnni avx512_bf16)"
    assert cpu.parse_cpuinfo(AMX).bfloat16 and cpu.parse_cpuinfo(AVX512_BF16).bfloat16
    assert cpu.parse_cpuinfo("").describe() == "unknown CPU (no AVX2)"


def test_the_cpuinfo_file_can_be_named_and_a_missing_one_means_no_flags(tmp_path, monkeypatch):
    (tmp_path / "other").write_text(AMX)
    monkeypatch.setenv(cpu.ENV_CPUINFO, str(tmp_path / "other"))
    assert cpu.read_cpuinfo().model.startswith("Intel(R) Xeon") and inference.cpu_supports_bfloat16()
    assert cpu.read_cpuinfo(str(tmp_path / "absent")).flags == frozenset()
    assert inference.cpu_supports_bfloat16(str(tmp_path / "absent")) is False


@pytest.mark.parametrize("text,onednn,installed,want", [
    (AVX2_ONLY, False, ("tensorflow", "openvino", "onnxruntime"), ("float32", "openvino")),
    (AVX2_ONLY, False, ("tensorflow", "onnxruntime"), ("float32", "onnxruntime")),
    (AVX2_ONLY, True, ("tensorflow",), ("float32", "tensorflow")),
    (AVX512_BF16, True, ("tensorflow", "openvino", "onnxruntime"), ("bfloat16", "openvino")),
    (AVX512_BF16, True, ("tensorflow", "onnxruntime"), ("bfloat16", "tensorflow")),
    # bfloat16 instructions, but TensorFlow without oneDNN would emulate them: float32.
    (AMX, False, ("tensorflow", "onnxruntime"), ("float32", "onnxruntime")),
    (AMX, False, ("tensorflow",), ("float32", "tensorflow")),
])
def test_auto_picks_precision_and_backend_from_the_cpu_and_what_is_installed(machine, text, onednn, installed, want):
    machine(text, onednn, installed)
    assert inference.resolve("auto", "auto") == want


def test_a_backend_asked_for_by_name_decides_the_auto_precision(machine):
    machine(AVX512_BF16, onednn=False)
    assert inference.resolve("auto", "onnxruntime") == ("float32", "onnxruntime")  # runs float32 only
    assert inference.resolve("auto", "tensorflow") == ("float32", "tensorflow")  # oneDNN off: emulated
    assert inference.resolve("auto", "openvino") == ("bfloat16", "openvino")
    assert inference.resolve_precision("auto") == "float32"
    assert inference.resolve("bfloat16", "tensorflow") == ("bfloat16", "tensorflow")  # asked for: given


def test_what_cannot_run_is_a_one_line_error_with_the_fix(machine):
    machine(AVX2_ONLY, installed=("tensorflow", "onnxruntime"))
    with pytest.raises(backends.BackendError, match=r"needs the openvino-package.*blurgen\[fast\]"):
        inference.resolve("float32", "openvino")
    with pytest.raises(backends.BackendError, match="runs float32 only, not bfloat16"):
        inference.resolve("bfloat16", "onnxruntime")
    with pytest.raises(ValueError, match="--backend must be one of"):
        inference.resolve("float32", "tensorrt")
    with pytest.raises(ValueError, match="--precision must be one of"):
        inference.resolve("int8", "auto")


def test_deblur_says_which_precision_backend_and_cpu_it_used(machine, tmp_path, capsys):
    machine(AVX2_ONLY, onednn=False, installed=("tensorflow",))
    img = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    from blurgen.images import write_image
    write_image(tmp_path / "a.png", img)
    assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ("precision float32 (auto: the CPU has no bfloat16 instructions), backend tensorflow (auto), "
            "oneDNN off; CPU AMD EPYC 7B12 (avx2 fma)") in out


def test_deblur_refuses_a_missing_backend_before_writing(machine, tmp_path, capsys):
    machine(AVX2_ONLY, installed=("tensorflow",))
    from blurgen.images import write_image
    write_image(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--out", str(tmp_path / "out"),
                        "--backend", "openvino"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --backend openvino needs") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_onednn_cap_below_bfloat16_keeps_openvino_in_float32(machine, monkeypatch):
    """OpenVINO's CPU plugin honours ONEDNN_MAX_CPU_ISA; under a cap below AVX512_CORE_BF16 it
    cannot build bfloat16 kernels (a deconvolution fails), so auto takes float32 there."""
    machine(AVX512_BF16, onednn=True, installed=("tensorflow", "openvino"))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert inference.resolve("auto", "auto") == ("float32", "openvino")
    assert inference.resolve("auto", "openvino") == ("float32", "openvino")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert inference.resolve("auto", "auto") == ("bfloat16", "openvino")
