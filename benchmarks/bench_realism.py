"""Which synthesis choices make models that deblur real photos? ``make realism``.

One model and one training budget, one set of training photos, several synthesis recipes: each
recipe's data is made with ``blurgen synth`` (the recipe's flags on top of the defaults), a model is
trained on it with ``python -m training.fit --preset cpu``, and scored on the test sets of
:mod:`realsets` (held-out synthetic photos, Levin, Koehler, Lai's large kernels). Prints one table
(per recipe and set: PSNR and SSIM gain over the blurry input, images that gain, the model's own
brightness shift) and draws ``realism.png`` (the same crops of real images restored by each
recipe's model, beside blurred and sharp).

    python benchmarks/bench_realism.py                        # every recipe, the full budget (hours)
    python benchmarks/bench_realism.py --quick                # a shorter budget and fewer test images, to rank
    python benchmarks/bench_realism.py --recipes default,deblurgan
    python benchmarks/bench_realism.py --add 'mine=--mix trajectory=0.7,defocus=0.3'   # one more row

Each recipe's data and each (recipe, budget) model are cached under ``--work`` by a hash of their
settings, so a new row trains one model and a rerun only prints.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import sys
import time

import realsets  # sets up sys.path

# name -> (what it is, synth flags on top of blurgen's defaults). The first rows reproduce
# DeblurGAN's generator and blurgen's default; the rest switch one realism step of the default.
RECIPES: dict[str, tuple[str, list[str]]] = {
    "deblurgan": ("DeblurGAN's generator: 60 px paths, exposures 1/100, 1/10, 1/2, 1, stored values, no noise "
                  "(kernels centred: the only difference)",
                  ["--max-length", "60", "--canvas", "64", "--exposures", "0.01,0.1,0.5,1", "--linear", "none",
                   "--noise", "none"]),
    "default": ("blurgen's default (stored values, shot and read noise, 80 px paths)", []),
    "linear-light": ("default, blurred in linear light (sRGB undone, then applied again)", ["--linear", "srgb"]),
    "no-noise": ("default without sensor noise", ["--noise", "none"]),
    "highlights": ("default, saturated highlights 1-4x brighter, then clipped", ["--highlight-boost", "1,4"]),
    "jpeg": ("default, then JPEG at quality 70-95", ["--jpeg", "70,95"]),
    "families": ("default mixed with linear motion and defocus kernels (0.8 / 0.1 / 0.1)",
                 ["--mix", "trajectory=0.8,linear=0.1,defocus=0.1"]),
    "small-kernels": ("default with DeblurGAN's kernel sizes (60 px paths)", ["--max-length", "60", "--canvas", "64"]),
    "large-kernels": ("default with paths up to 160 px, exposures 1/10 to 1", ["--max-length", "160", "--canvas", "165",
                                                                              "--exposures", "0.1,0.25,0.5,1"]),
    "box-centre": ("default, kernels centred on their bounding box as recorded kernels are stored",
                   ["--centre", "box"]),
    "rotation": ("default mixed half and half with a rotating camera (blur varying across the photo)",
                 ["--mix", "trajectory=1,rotation=1"]),
    "raw": ("default through a RAW sensor: camera colours, Bayer mosaic, noise before demosaicing",
            ["--isp", "raw"]),
    "rotation-raw": ("rotation shake and the RAW sensor together", ["--mix", "trajectory=1,rotation=1", "--isp", "raw"]),
}
BUDGETS = {"full": [], "quick": ["--epochs", "8"]}
QUICK_LIMIT = 12  # test images per set with --quick


def parse_recipes(names: str, added: list[str]) -> dict[str, tuple[str, list[str]]]:
    chosen = dict(RECIPES) if names == "all" else {}
    for name in (n for n in names.split(",") if n and names != "all"):
        if name not in RECIPES:
            raise SystemExit(f"unknown recipe {name!r}; known: {', '.join(RECIPES)} (or --add NAME=FLAGS)")
        chosen[name] = RECIPES[name]
    for item in added:
        name, sep, flags = item.partition("=")
        if not sep:
            raise SystemExit(f"--add takes NAME=FLAGS, got {item!r}")
        chosen[name] = (f"flags: {flags}", shlex.split(flags))
    return chosen


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="realism-out", help="working folder, caches included (default: %(default)s)")
    p.add_argument("--recipes", default="all", help=f"comma-separated, of: {', '.join(RECIPES)} (default: all)")
    p.add_argument("--add", action="append", default=[], metavar="NAME=FLAGS", help="a recipe of your own")
    p.add_argument("--quick", action="store_true", help=f"budget {BUDGETS['quick']} and {QUICK_LIMIT} images a set")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--variants", type=int, default=8, help="blurred versions of each training photo")
    p.add_argument("--fit-args", default="", help="more flags for python -m training.fit (part of the model's key)")
    args = p.parse_args(argv)
    work = pathlib.Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench_realism.log"
    recipes = parse_recipes(args.recipes, args.add)
    budget = BUDGETS["quick" if args.quick else "full"] + shlex.split(args.fit_args)
    limit = QUICK_LIMIT if args.quick else None
    t0 = time.monotonic()
    sets = realsets.test_sets(work, log)
    print(f"test sets ready in {time.monotonic() - t0:.0f} s: {', '.join(sets)} ({log})", flush=True)
    rows = {}
    for name, (about, flags) in recipes.items():
        data = realsets.training_data(work, flags, args.variants, log)
        key = realsets.key_of(realsets.recipe_config(flags), args.variants, args.preset, budget)
        run_dir = work / "models" / key
        minutes = realsets.fit(run_dir, args.preset, data, budget, log)
        scored = {s: realsets.score_set(str(run_dir), s, g, log, limit) for s, g in sets.items()}
        rows[name] = {"about": about, "flags": flags, "model": str(run_dir), "minutes": minutes, "sets": scored}
        print(f"{name}: trained {minutes:.1f} min; " + "; ".join(
            f"{s} {v['psnr_gain']:+.2f} dB ({v['gaining']}/{v['count']}), shift {v['shift']:+.2f}"
            for s, v in scored.items()), flush=True)
    print()
    print(table(rows, sets))
    (work / "realism.json").write_text(json.dumps(rows, indent=2))
    from realism_picture import draw
    picture = draw(work, rows, sets, work / "realism.png", log)
    print(f"\npicture: {picture}; figures: {work / 'realism.json'}")
    return 0


def table(rows: dict, sets: dict) -> str:
    """Markdown: one row per recipe, per set the PSNR gain over the blurry input (dB; on real sets
    also aligned, in brackets), the SSIM gain, the images that gain PSNR, and the model's own
    brightness shift (restored minus blurred input, grey levels)."""
    head = "| recipe | " + " | ".join(f"{s}: dB (aligned) / SSIM / images gaining / shift" for s in sets) + " |"
    lines = [head, "|---|" + "---|" * len(sets)]
    for name, row in rows.items():
        cells = []
        for s in sets:
            v = row["sets"][s]
            aligned = f" ({v['aligned_psnr_gain']:+.2f})" if "aligned_psnr_gain" in v else ""
            cells.append(f"{v['psnr_gain']:+.2f}{aligned} / {v['ssim_gain']:+.3f} / {v['gaining']} of {v['count']} / "
                         f"{v['shift']:+.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
