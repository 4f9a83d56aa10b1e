"""Photographs for the learning benchmark that are neither blurgen's samples nor in ``../shared``.

They come from Debian's desktop-background packages (free licences; see each package's
``usr/share/doc/*/copyright``), fetched with ``apt-get download`` and unpacked with ``dpkg -x``,
so the benchmark runs on any Debian-like machine that reaches Debian's archive. Only files that
are photographs are used (the packages also hold illustrations and abstract art), listed by name
below; each is scaled so that its longer side is :data:`LONG_SIDE` px (GoPro's frames are
1280x720), with OpenCV's area filter, and stored as PNG.

    python benchmarks/learning_photos.py --out learn-out/photos    # prints the train/held-out split

The held-out photos are chosen by hand to span the kinds in the set (close-ups, landscapes,
night, indoor, texture) and are never used for training.
"""
from __future__ import annotations

import argparse
import glob
import os
import pathlib
import shutil
import subprocess
import sys

import cv2

PACKAGES = ("plasma-workspace-wallpapers", "mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04")
LONG_SIDE = 1280

# (package, path inside the package's root, short name)
_PLASMA = "usr/share/wallpapers/{}/contents/images"  # a folder of sizes: the largest is used
_MATE = "usr/share/backgrounds/mate/nature/{}.jpg"
_LOMIRI = "usr/share/backgrounds/{}.jpg"
PHOTOS: tuple[tuple[str, str, str], ...] = (
    *(("plasma-workspace-wallpapers", _PLASMA.format(n), n) for n in (
        "Autumn", "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
        "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")),
    *(("mate-backgrounds", _MATE.format(n), n) for n in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
        "TwoWings", "Wood", "YellowFlower")),
    *(("lomiri-wallpapers-16.04", _LOMIRI.format(n), n.split("_by_")[0]) for n in (
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace", "Picture_1A_by_freespace",
        "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi", "analogpattern_by_Peter_Nerlich",
        "free_by_Peter_Nerlich", "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich",
        "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi", "seeding_by_Clements_Engelhardt",
        "sunset_by_Aitzol_Berasategi")),
    *(("lomiri-wallpapers-20.04", _LOMIRI.format(n), n.split("_by_")[0]) for n in (
        "Infinite-Sea_by_Aury88", "Kleiber_by_Lukas_Baubkus")),
)
HELD_OUT = ("ColorfulCups", "Path", "LadyBird", "Storm", "Wine", "picosdeeuropa", "life", "Bridge")


def fetch_packages(cache: pathlib.Path) -> dict[str, pathlib.Path]:
    """Download and unpack each package once into ``cache``; returns package -> unpacked root."""
    roots = {}
    for package in PACKAGES:
        root = cache / package
        if not (root / ".done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            subprocess.run(["apt-get", "download", package], cwd=cache, check=True, capture_output=True)
            deb = sorted(glob.glob(str(cache / f"{package}_*.deb")))[-1]
            subprocess.run(["dpkg", "-x", deb, str(root)], check=True)
            os.remove(deb)
            (root / ".done").touch()
        roots[package] = root
    return roots


def _largest(path: pathlib.Path) -> pathlib.Path:
    """``path`` itself, or for a folder of one picture in several sizes (``1920x1200.jpg``, ...)
    the largest."""
    if not path.is_dir():
        return path

    def area(p: pathlib.Path) -> int:
        w, _, h = p.stem.partition("x")
        return int(w) * int(h) if w.isdigit() and h.isdigit() else 0
    return max(path.iterdir(), key=area)


def prepare(out: pathlib.Path, cache: pathlib.Path | None = None) -> tuple[pathlib.Path, pathlib.Path]:
    """``out/train/*.png`` and ``out/heldout/*.png``, scaled; returns the two folders."""
    cache = cache or out / "debs"
    cache.mkdir(parents=True, exist_ok=True)
    roots = fetch_packages(cache)
    train, held = out / "train", out / "heldout"
    for folder in (train, held):
        folder.mkdir(parents=True, exist_ok=True)
    for package, rel, name in PHOTOS:
        dest = (held if name in HELD_OUT else train) / f"{name}.png"
        if dest.exists():
            continue
        img = cv2.imread(str(_largest(roots[package] / rel)), cv2.IMREAD_COLOR)
        if img is None:
            raise RuntimeError(f"{package}: {rel} is missing or unreadable; the package changed?")
        h, w = img.shape[:2]
        scale = LONG_SIDE / max(h, w)
        if scale < 1:
            img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(dest), img)
    return train, held


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="learn-out/photos")
    args = p.parse_args(argv)
    train, held = prepare(pathlib.Path(args.out))
    print(f"train: {len(list(train.glob('*.png')))} photos in {train}")
    print(f"held out: {len(list(held.glob('*.png')))} photos in {held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
