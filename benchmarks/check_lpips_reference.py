"""Cross-check training/lpips.py against the reference `lpips` package (Zhang et al.) on real pairs.

Not a test (it needs PyTorch, which the project does not depend on). Two processes, because the
reference runs in an environment with torch and `lpips`, ours in the project's:

    python -m venv /tmp/lpref && /tmp/lpref/bin/pip install "torch==2.13.0+cpu" numpy pillow
    /tmp/lpref/bin/pip install --no-deps lpips==0.1.4 torchvision==0.28.0
    .venv/bin/python benchmarks/check_lpips_reference.py --torch-python /tmp/lpref/bin/python \
        [--vgg16 vgg16-397923af.pth] [--out /tmp/lpips-check]

What it does:
  1. (reference process) builds ``lpips.LPIPS(net="vgg")`` with the linear weights the package
     ships (``weights/v0.1/vgg.pth``) and the VGG16 backbone from ``--vgg16`` (torchvision's
     ImageNet file) or, without it, a seeded random backbone; saves that backbone as a legacy
     .pth state dict; scores the pairs; writes the images and the scores.
  2. (this process) converts the two .pth files with ``training.losses.lpips.convert`` (no torch),
     scores the same arrays with ``training.losses.lpips.LPIPS`` and prints both columns and the
     largest relative difference. Exit status 1 when it exceeds ``--rtol``.

Pairs: Levin et al.'s sharp images against their real-kernel blurs (grey, replicated to RGB),
plus a sharp image against itself with Gaussian noise of three strengths.
When torchvision cannot be imported (its compiled ops must match torch's build), VGG16's layer
list is built here with torch.nn (the same 13 convolutions and 4 poolings as
``torchvision.models.vgg16().features``); everything LPIPS adds on top is the package's code.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LEVIN = os.path.join(REPO, "..", "shared", "data", "real-blur", "levin")
VGG16_PLAN = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def _pairs():
    """(name, a, b) float32 HWC RGB in [-1, 1] from the Levin images (PIL only: no cv2 needed)."""
    import numpy as np
    from PIL import Image

    def read(path):
        grey = np.asarray(Image.open(path).convert("L"), np.float32) / 127.5 - 1.0
        return np.repeat(grey[..., None], 3, axis=2)

    out = []
    for i, j in [(1, 1), (1, 4), (2, 2), (3, 6), (4, 8)]:
        out.append((f"levin im_{i} vs ker_{j}", read(f"{LEVIN}/im_{i}.png"),
                    read(f"{LEVIN}/blurred/im_{i}_ker_{j}.png")))
    sharp = read(f"{LEVIN}/im_1.png")
    rng = np.random.default_rng(0)
    for sigma in (0.02, 0.1, 0.3):
        noisy = np.clip(sharp + rng.normal(0, sigma, sharp.shape), -1, 1).astype(np.float32)
        out.append((f"levin im_1 vs noise {sigma}", sharp, noisy))
    out.append(("levin im_1 vs itself", sharp, sharp.copy()))
    return out


def _stub_torchvision():
    """A minimal ``torchvision.models.vgg16`` (layer list only), for when torchvision's ops fail."""
    import torch.nn as nn

    def vgg16(pretrained=False, **unused):
        layers, cin = [], 3
        for v in VGG16_PLAN:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
                cin = v
        return types.SimpleNamespace(features=nn.Sequential(*layers))

    models = types.ModuleType("torchvision.models")
    models.vgg16 = vgg16
    tv = types.ModuleType("torchvision")
    tv.models = models
    sys.modules["torchvision"], sys.modules["torchvision.models"] = tv, models


def reference(out: str, vgg16: str | None) -> None:
    import numpy as np
    import torch
    try:
        import torchvision.models  # noqa: F401
    except Exception as exc:  # a CPU torch with a CUDA torchvision fails here
        print(f"torchvision unusable ({type(exc).__name__}); building VGG16's layer list with torch.nn")
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        _stub_torchvision()
    import lpips

    torch.manual_seed(0)
    model = lpips.LPIPS(net="vgg", pretrained=True, pnet_rand=True, verbose=False).eval()
    if vgg16:  # the slices keep torchvision's indices: slice2.5.weight is features.5.weight
        loaded = torch.load(vgg16, map_location="cpu")
        model.net.load_state_dict({k: loaded["features." + k.split(".", 1)[1]] for k in model.net.state_dict()})
    backbone = {"features." + k.split(".", 1)[1]: v for k, v in model.net.state_dict().items()}
    torch.save(backbone, os.path.join(out, "vgg16_backbone.pth"), _use_new_zipfile_serialization=False)
    lin = os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "vgg.pth")
    rows = []
    with torch.no_grad():
        for k, (name, a, b) in enumerate(_pairs()):
            np.save(os.path.join(out, f"pair{k}_a.npy"), a)
            np.save(os.path.join(out, f"pair{k}_b.npy"), b)
            ta, tb = (torch.from_numpy(x).permute(2, 0, 1)[None] for x in (a, b))
            rows.append({"name": name, "reference": float(model(ta, tb).item())})
    with open(os.path.join(out, "reference.json"), "w") as fh:
        json.dump({"lin": lin, "vgg16": vgg16 or "random (torch.manual_seed(0))",
                   "torch": torch.__version__, "rows": rows}, fh, indent=2)


def ours(out: str, rtol: float) -> int:
    import numpy as np
    sys.path.insert(0, REPO)
    from training.losses.lpips import LPIPS, convert

    with open(os.path.join(out, "reference.json")) as fh:
        ref = json.load(fh)
    convert(os.path.join(out, "vgg16_backbone.pth"), ref["lin"], os.path.join(out, "converted"))
    model = LPIPS(weights_dir=os.path.join(out, "converted"))
    worst = 0.0
    print(f"backbone: {ref['vgg16']}; linear layers: {ref['lin']}; reference torch {ref['torch']}")
    print(f"{'pair':32s} {'reference':>12s} {'blurgen':>12s} {'rel. diff':>10s}")
    for k, row in enumerate(ref["rows"]):
        a, b = (np.load(os.path.join(out, f"pair{k}_{s}.npy"))[None] for s in "ab")
        mine = float(model(a, b)[0])
        rel = abs(mine - row["reference"]) / max(abs(row["reference"]), 1e-12)
        if row["reference"] == 0:
            rel = abs(mine)
        worst = max(worst, rel)
        print(f"{row['name']:32s} {row['reference']:12.6f} {mine:12.6f} {rel:10.2e}")
    print(f"largest relative difference {worst:.2e} (tolerance {rtol:g})")
    return 0 if worst <= rtol else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch-python", help="a python with torch and lpips (runs the reference)")
    parser.add_argument("--vgg16", help="torchvision's vgg16-397923af.pth (default: random backbone)")
    parser.add_argument("--out", default="/tmp/lpips-check")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--stage", choices=["all", "reference", "ours"], default="all")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not os.path.isdir(LEVIN):
        parser.error(f"needs the Levin images at {LEVIN}")
    if args.stage == "reference":
        reference(args.out, args.vgg16)
        return 0
    if args.stage == "all":
        if not args.torch_python:
            parser.error("--torch-python is needed to run the reference (see the module doc)")
        cmd = [args.torch_python, os.path.abspath(__file__), "--stage", "reference", "--out", args.out]
        subprocess.run(cmd + (["--vgg16", args.vgg16] if args.vgg16 else []), check=True)
    return ours(args.out, args.rtol)


if __name__ == "__main__":
    sys.exit(main())
