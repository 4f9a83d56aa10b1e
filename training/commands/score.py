"""``python -m training.score``: PSNR and SSIM of a model on whole test images, beside the blurry input's.

    python -m training.score --model runs/smoke --data 'demo-out/shards/*-test.tfrecord-*' --out runs/smoke/report.json
    python -m training.score --model identity --data 'shards/*-test.tfrecord-*' --out blurry.json

The report (JSON, ``"format": "blurgen-score/1"``) holds the protocol, the mean scores of the
restored and of the blurry images, every image's scores and size, the warm per-image deblurring
time (the first image is run once untimed, so tracing is not counted), and the path of a contact
sheet PNG (rows of blurred | restored | sharp from distinct source images, each captioned with its
key and scores). :func:`score_pairs` computes it from any
iterable of pairs; ``METRICS`` maps a metric's name to ``fn(sharp, test) -> float`` on uint8
images (PSNR, SSIM, MS-SSIM, VIFp, FSIM, and LPIPS with ``--metrics psnr,ssim,lpips
--lpips-weights DIR``; lower LPIPS is better), and more can be registered without changing the
format. With ``--ignore-errors`` the report's ``"skipped"`` says what was skipped (undecodable
records, and the shards cut short by corruption), and the printed summary says it too.
"""
from __future__ import annotations

import json
import math
import posixpath
import statistics
import sys
import time
from typing import Callable, Iterable

import numpy as np

from blurgen.pictures import preview
from blurgen.images import encode_png
from training.metrics import protocol as metrics
from training.data.shards import shard_pairs
from training.metrics.report import REPORT_FORMAT, load_report, source_of
from training.metrics.registry import DEFAULT_METRICS, METRICS, MetricFn, full_protocol, metric_overrides

# TensorFlow is imported by the functions that read shards or write files, not here, so that
# `score --help` (training.cli) lists the metrics below without loading it.


def _mean(values: list[float]) -> float:
    """The mean of the values a metric could give (MS-SSIM gives NaN for images under 161 px)."""
    known = [v for v in values if not math.isnan(v)]
    return float(np.mean(known)) if known else math.nan


def score_pairs(restore: Callable[[np.ndarray], np.ndarray], pairs: Iterable[tuple[str, np.ndarray, np.ndarray]],
                metric_names: Iterable[str] = DEFAULT_METRICS, sheet_rows: int = 4,
                metric_fns: dict[str, MetricFn] | None = None, align: int = 0) -> tuple[dict, list]:
    """Score ``restore`` on ``(key, blurred, sharp)`` pairs (HxWx3 uint8, full size).

    ``metric_fns`` adds or replaces metrics for this call only (``lpips`` with its weights).
    ``align`` > 0 scores each of the restored and the blurry image at its own best whole-pixel
    offset within that many px (:func:`training.metrics.protocol.align`), and records the offsets.
    Returns ``(report, sheet)``: the report dict (without the run's paths) and up to
    ``sheet_rows`` ``(key, blurred, restored, sharp)`` rows for the contact sheet, from distinct
    source images where there are enough (:func:`source_of`), else other pairs of the same ones.
    """
    names = list(metric_names)
    fns = {**METRICS, **(metric_fns or {})}
    unknown = [n for n in names if n not in fns]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; registered: {sorted(fns)}")
    images, sheet, times = [], [], []
    spare: list[tuple[int, int, tuple]] = []  # (pairs of its source before it, order met, row)
    per_source: dict[str, int] = {}
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
        image = {"key": key, "height": int(sharp.shape[0]), "width": int(sharp.shape[1]), "seconds": times[-1]}
        for side, test in (("restored", restored), ("blurry", blurred)):
            reference, test, shift = metrics.align(sharp, test, align)
            image[side] = {n: fns[n](reference, test) for n in names}
            if align:
                image[f"{side}_shift"] = list(shift)
        images.append(image)
        n = per_source.get(source_of(key), 0)
        per_source[source_of(key)] = n + 1
        if n == 0 and len(sheet) < sheet_rows:
            sheet.append((key, blurred, restored, sharp))
        elif n > 0:  # short of sources, the second pair of each source in turn, then the third, ...
            spare = sorted(spare + [(n, len(images), (key, blurred, restored, sharp))], key=lambda t: t[:2])[:sheet_rows]
    if not images:
        raise ValueError("no image pairs to score (empty shards?)")
    report = {
        "format": REPORT_FORMAT,
        "protocol": (metrics.PROTOCOL if set(names) <= {"psnr", "ssim"} else full_protocol())
        + ("; " + metrics.ALIGN_PROTOCOL.format(r=align) if align else ""),
        "align": align,
        "metrics": names,
        "count": len(images),
        "mean": {side: {n: _mean([im[side][n] for im in images]) for n in names} for side in ("restored", "blurry")},
        "seconds_per_image": {"median": statistics.median(times), "mean": float(np.mean(times)),
                              "pixels_per_image_mean": float(np.mean([im["height"] * im["width"] for im in images]))},
        "images": images,
    }
    return report, (sheet + [row for _, _, row in spare])[:sheet_rows]


def _scores_text(scores: dict, names: list[str]) -> str:
    """``PSNR 23.21 dB (blurry 22.99), SSIM 0.662 (blurry 0.646)`` from a report's image or mean."""
    parts = []
    for n in [n for n in ("psnr", "ssim") if n in names] or names[:2]:
        r, b = scores["restored"][n], scores["blurry"][n]
        parts.append(f"PSNR {r:.2f} dB (blurry {b:.2f})" if n == "psnr" else f"{n.upper()} {r:.3f} (blurry {b:.3f})")
    return ", ".join(parts)


def contact_sheet(rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], report: dict,
                  height: int = 256) -> np.ndarray:
    """The report's picture: columns blurred | restored | sharp at ``height`` px, each row under its
    key and scores (PSNR, SSIM of the restored image, the blurry input's in brackets), a title
    naming the model, the data and the means (``blurgen.pictures.preview``'s layout)."""
    by_key = {im["key"]: im for im in report["images"]}
    names = report["metrics"]
    captions = [[f"{key}  ({by_key[key]['width']}x{by_key[key]['height']} px): {_scores_text(by_key[key], names)}"]
                for key, *_ in rows]
    picture = preview.sheet(["blurred", "restored", "sharp"], [list(r[1:]) for r in rows], height, captions)
    mean = {"restored": report["mean"]["restored"], "blurry": report["mean"]["blurry"]}
    title = [f"model {report.get('model', '?')} on {report.get('data', '?')}",
             f"mean of {report['count']} images: {_scores_text(mean, names)}; "
             f"{len(rows)} shown, from {len({source_of(r[0]) for r in rows})} distinct sources"]
    return preview.titled(picture, title)


def write_report(report: dict, sheet: list, out: str) -> dict:
    """Write ``out`` (JSON) and the contact sheet beside it (``<out stem>-sheet.png``)."""
    import tensorflow as tf
    folder = posixpath.dirname(out)
    if folder:
        tf.io.gfile.makedirs(folder)
    stem = out[:-5] if out.endswith(".json") else out
    sheet_path = stem + "-sheet.png"
    with tf.io.gfile.GFile(sheet_path, "wb") as f:
        f.write(encode_png(contact_sheet(sheet, report)))
    report = {**report, "contact_sheet": sheet_path}
    with tf.io.gfile.GFile(out, "w") as f:
        json.dump(report, f, indent=2)  # PSNR of identical images is Infinity, which json reads back
    return report


def run(argv=None) -> dict:
    from training.commands.parsers import parse
    args = parse("score", argv)
    from training.inference.restorer import Restorer  # TensorFlow: after the flags are checked
    names = [m for m in args.metrics.split(",") if m]
    extra = metric_overrides(names, args.lpips_weights)
    restorer = Restorer(args.model, tile=args.tile, overlap=args.overlap)
    skipped: dict = {}
    report, sheet = score_pairs(restorer, shard_pairs(args.data, args.ignore_errors, args.limit, skipped),
                                names, metric_fns=extra, align=args.align)
    report = {"model": args.model, "data": args.data, **report}
    if args.ignore_errors:
        report["skipped"] = skipped
    report = write_report(report, sheet, args.out)
    print(summary_line(report))
    return report


def summary_line(report: dict) -> str:
    r, b = report["mean"]["restored"], report["mean"]["blurry"]
    parts = [f"{n.upper()} restored {r[n]:.4f} vs blurry {b[n]:.4f}" for n in report["metrics"]]
    aligned = f" (each aligned within {report['align']} px)" if report.get("align") else ""
    line = (f"{report.get('model', '?')} on {report['count']} images{aligned}: " + "; ".join(parts)
            + f"; {report['seconds_per_image']['median']:.3f} s per image (median, warm)")
    skipped = report.get("skipped")
    if skipped is not None:
        line += f"; --ignore-errors skipped {skipped['records']} undecodable record(s)"
        if skipped["shards"]:
            read = ", ".join(str(s["records_read"]) for s in skipped["shards"])
            line += f" and the rest of {len(skipped['shards'])} corrupt shard(s) (after {read} good records)"
    return line


def main(argv=None) -> int:
    try:
        run(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
