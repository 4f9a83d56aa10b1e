"""The extents of the published recorded-shake kernels that ``blurgen.kernels.realshake`` ships as numbers.

    python benchmarks/recorded_extents.py

Reads the kernels from ``../shared/data/real-blur`` (Levin et al.'s 8, Koehler et al.'s 4 JPEG
crops with their background level subtracted, Lai et al.'s 4; loaded as ``kernel_stats.py`` loads
them), prints each kernel's extent (the larger side of the box around its values above 1 % of
its peak) beside the shipped number, and exits 1 if any differs. Run it once after changing the
extent's definition, and copy the printed table into ``blurgen/kernels/realshake.py``.
"""
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from kernel_stats import REAL, real_kernels  # noqa: E402

from blurgen.kernels.realshake import RECORDED, extent  # noqa: E402


def measured() -> dict[str, list[tuple[str, int]]]:
    """``{dataset: [(kernel name, extent), ...]}`` computed from the published files."""
    return {name: [(k, extent(v)) for k, v in kernels] for name, kernels in real_kernels().items()}


def main() -> int:
    found = measured()
    if not found:
        print(f"{REAL} is absent: nothing to measure")
        return 0
    shipped = {r.name: list(r.kernels) for r in RECORDED}
    differ = 0
    print("| recorded kernels | extents measured (px) | shipped in blurgen/kernels/realshake.py |")
    print("|---|---|---|")
    for name, kernels in found.items():
        print(f"| {name} | {', '.join(f'{k} {e}' for k, e in kernels)} | "
              f"{'same' if shipped.get(name) == kernels else shipped.get(name)} |")
        differ += shipped.get(name) != kernels
    print("\nas Python:")
    for name, kernels in found.items():
        print(f"    {name!r}: {tuple(kernels)!r},")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
