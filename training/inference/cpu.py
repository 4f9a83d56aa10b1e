"""What this CPU offers inference: its model name and the instruction-set flags that decide which
kernels run (AVX2 and FMA, AVX-512, VNNI, bfloat16 dot products, AMX tiles), and what that means
for TensorFlow's bfloat16. Importing this module does not import TensorFlow; only
:func:`tensorflow_onednn` and :func:`tensorflow_bfloat16` ask it.

On Linux the facts come from ``/proc/cpuinfo``; ``BLURGEN_CPUINFO=FILE`` reads another file of
the same format instead (a saved copy from another machine: ``--precision auto`` then decides as
it would there, which is how the tests pin the choice). Elsewhere the model is ``platform``'s
and no flags are known, so nothing that needs a flag is chosen.
"""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass

CPUINFO = "/proc/cpuinfo"
ENV_CPUINFO = "BLURGEN_CPUINFO"
#: The flags that change which inference kernels run, in the order reports list them.
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16",
                  "amx_tile", "amx_bf16", "amx_fp16")
#: Instructions that compute bfloat16 dot products in hardware; without one, bfloat16 is emulated.
BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
#: oneDNN's bfloat16 kernels need AVX-512 (AVX512_CORE) at least.
AVX512_CORE_FLAGS = frozenset({"avx512f", "avx512bw", "avx512vl", "avx512dq"})
#: ``ONEDNN_MAX_CPU_ISA`` values in oneDNN's order; a cap below AVX512_CORE leaves no bfloat16 kernel.
ONEDNN_ISAS = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
               "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_AMX", "AVX10_1_512_AMX", "AVX512_CORE_AMX_FP16",
               "AVX10_1_512_AMX_FP16", "ALL")


@dataclass(frozen=True)
class CpuInfo:
    """``model``: the CPU's model name ("" when unknown); ``flags``: its instruction-set flags as
    the Linux kernel names them (``avx2``, ``avx512_bf16``, ...)."""
    model: str
    flags: frozenset[str]

    @property
    def bfloat16(self) -> bool:
        """Whether the CPU has bfloat16 dot-product instructions (AVX512_BF16 or AMX-BF16)."""
        return bool(self.flags & BFLOAT16_FLAGS)

    def describe(self) -> str:
        """One line for reports: ``AMD EPYC (avx2 fma avx512f avx512_vnni avx512_bf16)``; the
        relevant flags it lacks are not listed, so an AVX2-only CPU reads ``(avx2 fma)``."""
        present = [f for f in RELEVANT_FLAGS if f in self.flags]
        return f"{self.model or 'unknown CPU'} ({' '.join(present) or 'no AVX2'})"


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor's model name and flags from ``/proc/cpuinfo``'s text (x86 ``flags``,
    or ARM's ``Features``)."""
    model, flags = "", frozenset()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep:
            continue
        if key == "model name" and not model:
            model = " ".join(value.split())
        elif key in ("flags", "features") and not flags:
            flags = frozenset(value.split())
        if model and flags:
            break
    return CpuInfo(model, flags)


def read_cpuinfo(path: str | None = None) -> CpuInfo:
    """This CPU's facts: ``path``, else the file named by ``$BLURGEN_CPUINFO``, else
    ``/proc/cpuinfo``; where none can be read, the platform's processor name and no flags."""
    path = path or os.environ.get(ENV_CPUINFO) or CPUINFO
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return parse_cpuinfo(f.read())
    except OSError:
        return CpuInfo(platform.processor() or platform.machine(), frozenset())


def onednn_isa_cap() -> int | None:
    """The rank in :data:`ONEDNN_ISAS` of oneDNN's ``ONEDNN_MAX_CPU_ISA`` cap, or None where it
    is unset (or DEFAULT, or a value this list does not know)."""
    value = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    return ONEDNN_ISAS.index(value) if value in ONEDNN_ISAS else None


def tensorflow_onednn() -> bool:
    """Whether TensorFlow runs its oneDNN kernels in this process (its default depends on the
    CPU: on for CPUs with AVX-512 VNNI or bfloat16 instructions, off on AVX2-only ones;
    ``TF_ENABLE_ONEDNN_OPTS`` overrides it)."""
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in ("0", "false"):
        return False
    try:
        from tensorflow.python.util import _pywrap_util_port
        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):  # another build: assume its default, on
        return True


def openvino_bfloat16(info: CpuInfo | None = None) -> bool:
    """Whether OpenVINO's CPU plugin has bfloat16 kernels here: a CPU with bfloat16 instructions,
    and no ``ONEDNN_MAX_CPU_ISA`` cap below AVX512_CORE_BF16 (the plugin's own oneDNN honours the
    cap, and under it a bfloat16 deconvolution cannot be built)."""
    info = info or read_cpuinfo()
    cap = onednn_isa_cap()
    return info.bfloat16 and (cap is None or cap >= ONEDNN_ISAS.index("AVX512_CORE_BF16"))


def tensorflow_bfloat16(info: CpuInfo | None = None) -> str:
    """How TensorFlow computes bfloat16 here: ``"hardware"`` (oneDNN on a CPU with bfloat16
    instructions: the fast case), ``"emulated"`` (oneDNN on AVX-512 without them, or TensorFlow's
    own kernels with oneDNN off: correct, slower than float32), or ``"unavailable"`` (oneDNN on
    a CPU, or under an ``ONEDNN_MAX_CPU_ISA`` cap, below AVX-512: oneDNN has no bfloat16
    convolution or batch norm there, and those operations fail)."""
    if not tensorflow_onednn():
        return "emulated"
    info = info or read_cpuinfo()
    cap = onednn_isa_cap()
    if not (AVX512_CORE_FLAGS <= info.flags or "amx_bf16" in info.flags) or \
            (cap is not None and cap < ONEDNN_ISAS.index("AVX512_CORE")):
        return "unavailable"
    if info.bfloat16 and (cap is None or cap >= ONEDNN_ISAS.index("AVX512_CORE_BF16")):
        return "hardware"
    return "emulated"
