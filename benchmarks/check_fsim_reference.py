"""Cross-check training/metrics_extra.py's FSIM against ``piq.fsim`` (PyTorch) on real pairs.

Not a test (needs PyTorch); the values it prints for piq are the ones pinned in
tests/training/test_metrics_extra.py. Run with a python that has torch and piq:

    /tmp/lpref/bin/pip install --no-deps piq==0.8.0      # beside torch, see check_lpips_reference.py
    .venv/bin/python benchmarks/check_fsim_reference.py --torch-python /tmp/lpref/bin/python

Pairs: Levin et al. sharp vs real-kernel blur (grey, FSIM) and Koehler et al. ground truth vs
camera-shake photo, 300x300 centre crops (RGB: FSIMc and FSIM). Crops keep the reference's
downsampling factor at 1: for larger images piq average-pools where the MATLAB code (which
ours follows) filters with a centred box and subsamples, so the two differ by design there.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(REPO, "..", "shared", "data", "real-blur")
LEVIN_PAIRS = [(1, 1), (1, 4), (2, 2), (3, 6), (4, 8)]
KOEHLER_PAIRS = [(1, 1), (2, 3), (4, 2)]


def pairs():
    """(name, sharp, blurred, chromatic) with float64 HxW or HxWx3 arrays in 0..255."""
    import numpy as np
    from PIL import Image
    out = []
    for i, j in LEVIN_PAIRS:
        read = lambda p: np.asarray(Image.open(p).convert("L"), np.float64)  # noqa: E731
        out.append((f"levin_{i}_{j}", read(f"{REAL}/levin/im_{i}.png"),
                    read(f"{REAL}/levin/blurred/im_{i}_ker_{j}.png"), False))
    for scene, k in KOEHLER_PAIRS:
        read = lambda p: np.asarray(Image.open(p).convert("RGB"), np.float64)[250:550, 250:550]  # noqa: E731
        gt = sorted(glob.glob(f"{REAL}/koehler/GroundTruth{scene}.*"))[0]
        a, b = read(gt), read(f"{REAL}/koehler/Blurry{scene}_{k}.jpg")
        out += [(f"koehler_{scene}_{k}_fsimc", a, b, True), (f"koehler_{scene}_{k}_fsim", a, b, False)]
    return out


def _stub_torchvision():
    """piq imports torchvision's model classes at import time; a CPU torch with a CUDA
    torchvision wheel cannot load them, and FSIM uses none of them."""
    import torch

    class Any(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            if name[0].isupper():
                return type(name, (torch.nn.Module,), {})
            sub = Any(f"{self.__name__}.{name}")
            sys.modules[sub.__name__] = sub
            return sub

    for name in [m for m in sys.modules if m.startswith("torchvision")]:
        del sys.modules[name]
    for name in ("torchvision", "torchvision.models", "torchvision.models.inception", "torchvision.transforms"):
        sys.modules[name] = Any(name)
    sys.modules["torchvision"].models = sys.modules["torchvision.models"]


def reference() -> None:
    import torch
    try:
        import torchvision.models  # noqa: F401
    except Exception:
        _stub_torchvision()
    import piq
    values = {}
    for name, a, b, chromatic in pairs():
        to = (lambda x: torch.from_numpy(x)[None, None]) if a.ndim == 2 else \
             (lambda x: torch.from_numpy(x).permute(2, 0, 1)[None])
        values[name] = float(piq.fsim(to(b), to(a), data_range=255.0, chromatic=chromatic))
    print(json.dumps({"piq": piq.__version__, "values": values}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--torch-python", help="a python with torch and piq")
    p.add_argument("--stage", choices=["all", "reference"], default="all")
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args()
    if args.stage == "reference":
        reference()
        return 0
    if not args.torch_python:
        p.error("--torch-python is needed (see the module doc)")
    run = subprocess.run([args.torch_python, os.path.abspath(__file__), "--stage", "reference"],
                         check=True, capture_output=True, text=True)
    ref = json.loads(run.stdout.strip().splitlines()[-1])
    import numpy as np
    sys.path.insert(0, REPO)
    from training.metrics.extra import fsim
    worst = 0.0
    print(f"{'pair':24s} {'piq ' + ref['piq']:>14s} {'blurgen':>12s} {'abs diff':>10s}")
    for name, a, b, chromatic in pairs():
        mine = fsim(a.round().astype(np.uint8), b.round().astype(np.uint8), chromatic=chromatic)
        diff = abs(mine - ref["values"][name])
        worst = max(worst, diff)
        print(f"{name:24s} {ref['values'][name]:14.7f} {mine:12.7f} {diff:10.1e}")
    print(f"largest absolute difference {worst:.1e} (tolerance {args.atol:g})")
    return 0 if worst <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())
