"""What this CPU offers inference: its model name and the instruction-set flags that decide which
kernels run (AVX2 and FMA, AVX-512, VNNI, bfloat16 dot products, AMX tiles). No TensorFlow here.

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
