"""``python -m training.score``: PSNR and SSIM of a model on whole test images, beside the blurry input's.

    python -m training.score --model runs/smoke --data 'demo-out/shards/*-test.tfrecord-*' --out runs/smoke/report.json
    python -m training.score --model identity --data 'shards/*-test.tfrecord-*' --out blurry.json

The report (JSON, ``"format": "blurgen-score/1"``) holds the protocol, the mean scores of the
restored and of the blurry images, every image's scores and size, the warm per-image deblurring
time (the first image is run once untimed, so tracing is not counted), and the path of a contact
sheet PNG (rows of blurred | restored | sharp). :func:`score_pairs` computes it from any
iterable of pairs; ``METRICS`` maps a metric's name to ``fn(sharp, test) -> float`` on uint8
images, and more can be registered (issue 5: MS-SSIM, VIF, FSIM) without changing the format.
"""
from __future__ import annotations

import argparse
import json
import math
import posixpath
import statistics
import sys
import time
from typing import Callable, Iterable

import cv2
import numpy as np
import tensorflow as tf

from blurgen.images import encode_png
from training import data, metrics
from training.inference import Restorer

REPORT_FORMAT = "blurgen-score/1"
MetricFn = Callable[[np.ndarray, np.ndarray], float]
METRICS: dict[str, MetricFn] = {"psnr": metrics.psnr, "ssim": metrics.ssim}
# MS-SSIM is registered by training.presets (training.metrics_extra); VIFp and FSIM on request.
DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim")


def register_metric(name: str, fn: MetricFn) -> None:
    METRICS[name] = fn


def _full_protocol() -> str:
    from training.metrics_extra import METRICS_EXTRA_PROTOCOL
    return metrics.PROTOCOL + " " + METRICS_EXTRA_PROTOCOL


def _mean(values: list[float]) -> float:
    """The mean of the values a metric could give (MS-SSIM gives NaN for images under 161 px)."""
    known = [v for v in values if not math.isnan(v)]
    return float(np.mean(known)) if known else math.nan


def score_pairs(restore: Callable[[np.ndarray], np.ndarray], pairs: Iterable[tuple[str, np.ndarray, np.ndarray]],
                metric_names: Iterable[str] = DEFAULT_METRICS, sheet_rows: int = 4) -> tuple[dict, list]:
    """Score ``restore`` on ``(key, blurred, sharp)`` pairs (HxWx3 uint8, full size).

    Returns ``(report, sheet)``: the report dict (without the run's paths) and up to
    ``sheet_rows`` ``(blurred, restored, sharp)`` triples for the contact sheet.
    """
    names = list(metric_names)
    if any(n not in METRICS for n in names):
        from training.config import _load_preset_modules
        _load_preset_modules()  # later presets register more metrics
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; registered: {sorted(METRICS)}")
    images, sheet, times = [], [], []
    warmed = False
    for key, blurred, sharp in pairs:
        if not warmed:
            restore(blurred)  # tracing and first-call allocations are not part of the time
            warmed = True
        t0 = time.perf_counter()
        restored = restore(blurred)
        times.append(time.perf_counter() - t0)
        if restored.shape != sharp.shape or restored.dtype != np.uint8:
            raise AssertionError(f"{key}: restored image is {restored.shape} {restored.dtype}, expected {sharp.shape} uint8")
        images.append({
            "key": key, "height": int(sharp.shape[0]), "width": int(sharp.shape[1]), "seconds": times[-1],
            "restored": {n: METRICS[n](sharp, restored) for n in names},
            "blurry": {n: METRICS[n](sharp, blurred) for n in names},
        })
        if len(sheet) < sheet_rows:
            sheet.append((blurred, restored, sharp))
    if not images:
        raise ValueError("no image pairs to score (empty shards?)")
    report = {
        "format": REPORT_FORMAT,
        "protocol": metrics.PROTOCOL if set(names) <= {"psnr", "ssim"} else _full_protocol(),
        "metrics": names,
        "count": len(images),
        "mean": {side: {n: _mean([im[side][n] for im in images]) for n in names} for side in ("restored", "blurry")},
        "seconds_per_image": {"median": statistics.median(times), "mean": float(np.mean(times)),
                              "pixels_per_image_mean": float(np.mean([im["height"] * im["width"] for im in images]))},
        "images": images,
    }
    return report, sheet


def contact_sheet(triples: list[tuple[np.ndarray, np.ndarray, np.ndarray]], height: int = 192) -> np.ndarray:
    """Rows of blurred | restored | sharp, each row scaled to ``height`` px, padded to one width."""
    rows = []
    for triple in triples:
        h, w = triple[0].shape[:2]
        size = (max(1, round(w * height / h)), height)
        rows.append(np.concatenate([cv2.resize(im, size, interpolation=cv2.INTER_AREA) for im in triple], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows]
    return np.concatenate(rows, axis=0)


def shard_pairs(pattern: str, ignore_errors: bool = False, limit: int | None = None):
    """``(key, blurred, sharp)`` from shards, whole images, in a fixed order."""
    files = data.list_shards(pattern)
    for i, ex in enumerate(data.iterate_checked(data.eval_dataset(files, ignore_errors), files)):
        if limit is not None and i >= limit:
            return
        yield ex["key"].numpy().decode("utf-8"), ex["blurred"].numpy(), ex["sharp"].numpy()


def write_report(report: dict, sheet: list, out: str) -> dict:
    """Write ``out`` (JSON) and the contact sheet beside it (``<out stem>-sheet.png``)."""
    folder = posixpath.dirname(out)
    if folder:
        tf.io.gfile.makedirs(folder)
    stem = out[:-5] if out.endswith(".json") else out
    sheet_path = stem + "-sheet.png"
    with tf.io.gfile.GFile(sheet_path, "wb") as f:
        f.write(encode_png(contact_sheet(sheet)))
    report = {**report, "contact_sheet": sheet_path}
    with tf.io.gfile.GFile(out, "w") as f:
        json.dump(report, f, indent=2)  # PSNR of identical images is Infinity, which json reads back
    return report


def load_report(path: str) -> dict:
    """Read a report written by :func:`write_report` (checks its format)."""
    with tf.io.gfile.GFile(path) as f:
        report = json.load(f)
    if report.get("format") != REPORT_FORMAT:
        raise ValueError(f"{path}: not a blurgen score report (format {report.get('format')!r}, expected {REPORT_FORMAT!r})")
    return report


def run(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.score", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="run directory, .keras file, or 'identity' (scores the blurry input)")
    p.add_argument("--data", required=True, help="glob(s) of test shards (gs:// works)")
    p.add_argument("--out", required=True, help="report .json; the contact sheet goes beside it")
    p.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    p.add_argument("--tile", type=int, default=1536, help="images larger than this (px) on a side go in tiles of this side")
    p.add_argument("--overlap", type=int, default=128, help="tile overlap in px")
    p.add_argument("--ignore-errors", action="store_true", help="skip the rest of a corrupt shard instead of stopping")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help=f"comma-separated; registered: {sorted(METRICS)}")
    args = p.parse_args(argv)
    restorer = Restorer(args.model, tile=args.tile, overlap=args.overlap)
    report, sheet = score_pairs(restorer, shard_pairs(args.data, args.ignore_errors, args.limit),
                                [m for m in args.metrics.split(",") if m])
    report = {"model": args.model, "data": args.data, **report}
    report = write_report(report, sheet, args.out)
    print(summary_line(report))
    return report


def summary_line(report: dict) -> str:
    r, b = report["mean"]["restored"], report["mean"]["blurry"]
    parts = [f"{n.upper()} restored {r[n]:.4f} vs blurry {b[n]:.4f}" for n in report["metrics"]]
    return (f"{report.get('model', '?')} on {report['count']} images: " + "; ".join(parts)
            + f"; {report['seconds_per_image']['median']:.3f} s per image (median, warm)")


def main(argv=None) -> int:
    try:
        run(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    # Run the importable module, not this __main__ copy: training.presets registers metrics into
    # training.score.METRICS, which a `python -m training.score` process would otherwise not see.
    from training.score import main as _main
    sys.exit(_main())
