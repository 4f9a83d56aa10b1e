"""Photos, test sets and scoring shared by the learning and realism benchmarks (TensorFlow-free).

Training photos come from Debian's desktop-background packages (:mod:`learning_photos`): 32 for
training, 8 held out. The test sets, none of them trained on:

* ``synthetic``: the 8 held-out photos through ``blurgen synth`` with the default settings, 3
  blurred versions each, whole images (what a model meets on data like its own);
* ``levin``: Levin et al. 2009, 4 grey images x 8 recorded camera shakes, convolved in stored values;
* ``koehler``: Koehler et al. 2012, 16 photos blurred by real camera shake played back by a robot,
  JPEG, one sharp frame per scene (approximately aligned);
* ``lai``: the 8 held-out photos convolved (stored values, reflected borders, no noise) with Lai et
  al. 2016's 4 large recorded kernels (21 to 65 px across), the way Levin's set was made.

The last three come from ``../shared/data/real-blur`` and are skipped where it is absent.
Scores come from ``python -m training.score`` in a subprocess (TensorFlow stays out of this
process); :func:`summary` turns a report into the figures the benchmarks print.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import learning_photos  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real-blur"
# name -> what it is (the order is the order of the tables)
SETS = {"synthetic": "held-out photos, blurgen's default blur",
        "levin": "Levin et al. 2009 (recorded shake, 9-22 px)",
        "koehler": "Koehler et al. 2012 (real shake photos)",
        "lai": "held-out photos x Lai et al.'s kernels (21-65 px)"}
METRICS = "psnr,ssim,brightness"


# Draws a line chart with the trainer's chart code in a process of its own: a benchmark process
# that has read shards with the tfrecord package cannot import TensorFlow (both register the
# same protobuf messages). The series come in as JSON on stdin.
_LINE_CHART = """
import json, sys
import cv2
from training.gan.curves import line_chart
spec = json.load(sys.stdin)
image = line_chart([tuple(s) for s in spec["series"]], spec["title"], ylabel=spec["ylabel"], size=(900, 480))
cv2.imwrite(spec["out"], cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
"""


def metrics_rows(run_dir: pathlib.Path) -> list[dict[str, float]]:
    """The rows of a run's ``metrics.csv`` as floats (empty cells left out); [] without the file."""
    path = run_dir / "metrics.csv"
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def line_chart(series: list[tuple[str, list[float], list[float]]], title: str, out: pathlib.Path,
               ylabel: str = "dB") -> pathlib.Path:
    """``series`` of ``(label, x, y)`` drawn to the PNG ``out`` (in a subprocess: see above)."""
    spec = {"series": series, "title": title, "ylabel": ylabel, "out": str(out)}
    subprocess.run([sys.executable, "-c", _LINE_CHART], input=json.dumps(spec), text=True, check=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)})
    return out


def run(cmd: list[str], log: pathlib.Path, env: dict[str, str] | None = None) -> None:
    """Run a command (with ``env`` added to the environment), its output appended to ``log``; stop
    with its last lines if it fails."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        f.flush()
        code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT).returncode
    if code:
        tail = "".join(open(log).readlines()[-15:])
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{tail}")


def blurgen_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "blurgen.cli", *args]


def photos(work: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """``(train folder, held-out folder)`` of the benchmark photos, fetched once into ``work/photos``."""
    return learning_photos.prepare(work / "photos")


def photo_subset(folder: pathlib.Path, which: str, work: pathlib.Path) -> pathlib.Path:
    """``work/photos/subset-K-of-N``: links to every N-th photo of ``folder`` (sorted by name),
    starting with the K-th, for training on disjoint photo sets."""
    k, _, n = which.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise SystemExit(f"--photo-subset takes K/N with 1 <= K <= N, got {which!r}")
    out = work / "photos" / f"subset-{k}-of-{n}"
    if not out.exists():
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for photo in sorted(folder.resolve().glob("*.png"))[int(k) - 1::int(n)]:
            (tmp / photo.name).symlink_to(photo)
        tmp.rename(out)
    return out


def key_of(*parts: object) -> str:
    """A short stable name for a combination of settings (cache folders)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _pair_folders(dest: pathlib.Path, pairs: list[tuple[pathlib.Path, pathlib.Path, str]]) -> None:
    """``dest/blurred/NAME`` and ``dest/sharp/NAME`` (copies) for ``pairs`` of (blurred, sharp, NAME)."""
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for side in ("blurred", "sharp"):
        (tmp / side).mkdir(parents=True)
    for blurred, sharp, name in pairs:
        shutil.copyfile(blurred, tmp / "blurred" / name)
        shutil.copyfile(sharp, tmp / "sharp" / name)
    tmp.rename(dest)


def lai_kernels() -> list[np.ndarray]:
    """Lai et al.'s 4 recorded kernels as float32 arrays that sum to 1."""
    out = []
    for path in sorted((REAL / "lai-kernels").glob("kernel_*.png")):
        k = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32)
        out.append(k / k.sum())
    return out


def _lai_folders(dest: pathlib.Path, held: pathlib.Path) -> None:
    """Each held-out photo convolved with each of Lai's kernels in stored values (no camera model)."""
    from blurgen.camera.blur import convolve
    from blurgen.camera import quantize
    from blurgen.images import read_image, write_image
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for side in ("blurred", "sharp"):
        (tmp / side).mkdir(parents=True)
    for photo in sorted(held.glob("*.png")):
        sharp = read_image(str(photo))
        for i, kernel in enumerate(lai_kernels(), 1):
            name = f"{photo.stem}_lai{i}.png"
            blurred = quantize(convolve(sharp.astype(np.float32) / 255.0, kernel))
            write_image(str(tmp / "blurred" / name), blurred)
            shutil.copyfile(photo, tmp / "sharp" / name)
    tmp.rename(dest)


def _real_folders(work: pathlib.Path, held: pathlib.Path) -> dict[str, pathlib.Path]:
    """Folders of Levin's, Koehler's and the Lai-kernel pairs for ``blurgen pairs --layout folders``."""
    if not REAL.is_dir():
        return {}
    base = work / "real"
    levin, koehler, lai = base / "levin", base / "koehler", base / "lai"
    if not levin.exists():
        _pair_folders(levin, [(p, REAL / "levin" / (p.name.split("_ker")[0] + ".png"), p.name)
                              for p in sorted((REAL / "levin" / "blurred").glob("im_*_ker_*.png"))])
    if not koehler.exists():
        _pair_folders(koehler, [(p, REAL / "koehler" / f"GroundTruth{p.stem[6]}.jpg", p.name)
                                for p in sorted((REAL / "koehler").glob("Blurry*_*.jpg"))])
    if not lai.exists():
        _lai_folders(lai, held)
    return {"levin": levin, "koehler": koehler, "lai": lai}


def test_sets(work: pathlib.Path, log: pathlib.Path) -> dict[str, str]:
    """Shards of every test set (built once; the synthetic set again when blurgen's defaults change);
    returns a shard glob per set name, in :data:`SETS` order."""
    from blurgen.config import DegradeConfig
    _, held = photos(work)
    synthetic = work / "data" / f"synthetic-{key_of(DegradeConfig().to_dict())}"
    if not (synthetic / "manifest.json").exists():
        run(blurgen_cmd("synth", "--src", str(held), "--out", str(synthetic), "--variants", "3",
                        "--test-fraction", "1", "--seed", "2", "--overwrite"), log)
    globs = {"synthetic": str(synthetic / "*.tfrecord-*")}
    for name, folder in _real_folders(work, held).items():
        out = work / "data" / name
        if not (out / "manifest.json").exists():
            run(blurgen_cmd("pairs", "--layout", "folders", "--blurred", str(folder / "blurred"), "--sharp",
                            str(folder / "sharp"), "--out", str(out), "--test-fraction", "1", "--overwrite"), log)
        globs[name] = str(out / "*.tfrecord-*")
    return {name: globs[name] for name in SETS if name in globs}


def training_data(work: pathlib.Path, flags: list[str], variants: int, log: pathlib.Path,
                  src: pathlib.Path | None = None) -> dict[str, str]:
    """``blurgen synth`` of the training photos (or of the photos in ``src``) with ``flags``
    (cached by all three): 4 aligned 256 px patches of each of ``variants`` blurred versions, a
    tenth of the photos in a validation split. Returns ``{"train": glob, "val": glob}``."""
    train = src.resolve() if src is not None else photos(work)[0]
    out = work / "data" / f"train-{key_of(recipe_config(flags), variants, None if src is None else str(train))}"
    if not (out / "manifest.json").exists():
        run(blurgen_cmd("synth", "--src", str(train), "--out", str(out), "--variants", str(variants),
                        "--patch", "256", "--patches-per-image", "4", "--test-fraction", "0.1", "--seed", "1",
                        "--overwrite", *flags), log)
        (out / "flags.json").write_text(json.dumps(flags))
    return {"train": str(out / "*-train.tfrecord-*"), "val": str(out / "*-test.tfrecord-*")}


def recipe_config(flags: list[str]) -> dict:
    """The degradation settings ``blurgen synth`` would use with ``flags`` (as ``manifest.json``
    records them): two recipes that differ only in how they say it share their data and models."""
    from blurgen.config.loading import load_config
    from pipelines import synth
    args, _ = synth.build_parser().parse_known_args(["--src", ".", "--out", ".", *flags])
    return load_config(args.config, vars(args)).to_dict()


def fit(run_dir: pathlib.Path, preset: str, data: dict[str, str], fit_args: list[str],
        log: pathlib.Path, env: dict[str, str] | None = None) -> float:
    """``python -m training.fit`` into ``run_dir`` unless its model exists; returns the minutes it took."""
    timing = run_dir / "fit-seconds.txt"
    if not (run_dir / "generator.keras").exists():
        import time
        t = time.monotonic()
        run([sys.executable, "-m", "training.fit", "--preset", preset, "--train", data["train"], "--val",
             data["val"], "--out", str(run_dir), "--verbose", "0", *fit_args], log, env)
        timing.write_text(f"{time.monotonic() - t:.1f}\n")
    return float(timing.read_text()) / 60 if timing.exists() else float("nan")


# Whole-pixel offsets searched when a real set is also scored aligned: Koehler's sharp frames sit
# up to about 10 px from their blurred photos, and recorded kernels are not centred on their blur.
ALIGN = 16
REAL_SETS = ("levin", "koehler", "lai")


def score(model: str, data: str, log: pathlib.Path, limit: int | None = None, align: int = 0) -> dict:
    """The report of ``python -m training.score`` of ``model`` (a run folder) on the shards ``data``,
    cached in the run folder under the name of the shards' folder (the synthetic set's folder
    changes with blurgen's defaults, so a new default is scored anew)."""
    out = pathlib.Path(model) / f"score-{pathlib.Path(data).parent.name}{f'-aligned{align}' if align else ''}.json"
    if not out.exists():
        extra = (["--limit", str(limit)] if limit else []) + (["--align", str(align)] if align else [])
        run([sys.executable, "-m", "training.score", "--model", model, "--data", data, "--out", str(out),
             "--metrics", METRICS, *extra], log)
    return json.loads(out.read_text())


def score_set(model: str, name: str, data: str, log: pathlib.Path, limit: int | None = None) -> dict:
    """:func:`summary` of ``model`` on one test set; real sets also scored aligned (``aligned_*``)."""
    figures = summary(score(model, data, log, limit))
    if name in REAL_SETS:
        aligned = summary(score(model, data, log, limit, ALIGN))
        figures.update({f"aligned_{k}": aligned[k] for k in ("psnr_gain", "ssim_gain", "gaining", "restored_psnr",
                                                               "blurry_psnr")})
    return figures


def summary(report: dict) -> dict:
    """Figures of one scored set: mean PSNR and SSIM of blurry and restored images, the gains, the
    images that gain PSNR, and the brightness shifts (grey levels: restored minus sharp, blurry
    minus sharp, and the model's own, restored minus its blurry input), mean and largest."""
    images = report["images"]
    gain = np.array([im["restored"]["psnr"] - im["blurry"]["psnr"] for im in images])
    own = np.array([im["restored"]["brightness"] - im["blurry"]["brightness"] for im in images])
    b, r = report["mean"]["blurry"], report["mean"]["restored"]
    return {"count": len(images), "blurry_psnr": b["psnr"], "restored_psnr": r["psnr"],
            "psnr_gain": r["psnr"] - b["psnr"], "blurry_ssim": b["ssim"], "restored_ssim": r["ssim"],
            "ssim_gain": r["ssim"] - b["ssim"], "gaining": int((gain > 0).sum()),
            "median_gain": float(np.median(gain)), "shift": float(own.mean()),
            "shift_abs_max": float(np.abs(own).max()), "restored_vs_sharp": r["brightness"],
            "blurry_vs_sharp": b["brightness"]}
