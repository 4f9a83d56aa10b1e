"""``python -m training.compare``: several score reports in one table and one picture.

    python -m training.score --model runs/dg --data 'shards/*-test.tfrecord-*' --out runs/dg/report.json
    python -m training.score --model runs/li --data 'shards/*-test.tfrecord-*' --out runs/li/report.json
    python -m training.compare runs/dg/report.json runs/li/report.json --out compare/

Reads reports written by ``training.score`` (format ``blurgen-score/1``), checks that they scored
the same images (the same keys; otherwise their means are not comparable and it stops), and writes
into ``--out``:

* ``comparison.md`` and ``comparison.json``: one row per report (mean of every metric on the
  restored images, median warm seconds per image, image count) under one row for the blurry
  input itself (the baseline every report carries);
* ``comparison.png``: ``--images`` test images (of distinct sources where there are enough) as
  rows of blurred | each model's restoration | sharp, with the column names on top and each row
  captioned with its key and every model's PSNR. The restorations are recomputed with each
  report's ``model`` on each report's ``data`` (override with ``--data``), since reports keep
  only scores; ``--no-picture`` skips this;
* ``comparison-curves.png``: the training curves of the compared runs in one picture, one line
  per run (PSNR, content loss and learning rate against the step, from each run folder's
  ``metrics.csv``, which ``fit`` writes; validation where the run had it). Runs without a
  ``metrics.csv`` (``identity``, a bare ``.keras`` file) are left out and named.
Column names are the run folders' names unless ``--names`` gives them.
"""
from __future__ import annotations

import json
import math
import os
import posixpath
import sys

import numpy as np

from blurgen.outputs import lock, safety
from blurgen.pictures import preview


def report_name(report: dict, path: str) -> str:
    model = str(report.get("model", ""))
    if model and model != "identity":
        return posixpath.basename(model.rstrip("/")) or model
    return model or posixpath.basename(posixpath.dirname(path)) or path


def check_same_images(reports: list[dict], paths: list[str]) -> list[str]:
    """The common image keys in the first report's order; ValueError when the sets differ."""
    keys = [[im["key"] for im in r["images"]] for r in reports]
    for k, p in zip(keys[1:], paths[1:]):
        if set(k) != set(keys[0]):
            missing, extra = sorted(set(keys[0]) - set(k)), sorted(set(k) - set(keys[0]))
            raise ValueError(f"{p} scored other images than {paths[0]} (missing {missing[:3]}, extra {extra[:3]}); "
                             "score every model on the same --data to compare them")
    return keys[0]


def comparison_table(reports: list[dict], names: list[str]) -> dict:
    """``{"metrics": [...], "rows": [{"name", "<metric>"..., "seconds", "count"}]}``, blurry first."""
    metrics: list[str] = []
    for r in reports:
        metrics += [m for m in r["metrics"] if m not in metrics]
    first = reports[0]
    rows = [{"name": "blurry input", **{m: first["mean"]["blurry"].get(m, math.nan) for m in metrics},
             "seconds": None, "count": first["count"]}]
    for r, name in zip(reports, names):
        rows.append({"name": name, **{m: r["mean"]["restored"].get(m, math.nan) for m in metrics},
                     "seconds": r["seconds_per_image"]["median"], "count": r["count"]})
    return {"metrics": metrics, "rows": rows, "protocol": first.get("protocol")}


def markdown(table: dict) -> str:
    ms = table["metrics"]
    lines = ["| model | " + " | ".join(m.upper() for m in ms) + " | s / image (median) | images |",
             "|---|" + "---:|" * (len(ms) + 2)]
    for row in table["rows"]:
        cells = [f"{row[m]:.4f}" if isinstance(row[m], float) and math.isfinite(row[m]) else str(row[m]) for m in ms]
        secs = "-" if row["seconds"] is None else f"{row['seconds']:.3f}"
        lines.append(f"| {row['name']} | " + " | ".join(cells) + f" | {secs} | {row['count']} |")
    if table.get("protocol"):
        lines += ["", f"Protocol: {table['protocol']}"]
    return "\n".join(lines) + "\n"


def side_by_side(rows: list[list[np.ndarray]], labels: list[str], height: int = 256,
                 captions: list[list[str]] | None = None) -> np.ndarray:
    """RGB uint8 sheet (:func:`blurgen.pictures.preview.sheet`): one row per image under its caption, every
    panel scaled to ``height`` and centred in its column, the labels on top of their columns."""
    return preview.sheet(labels, rows, height, captions)


def picture_keys(keys: list[str], count: int) -> list[str]:
    """``count`` keys for the picture, of distinct source images first (``training.score.source_of``)."""
    from training.metrics.report import source_of
    firsts = list({source_of(k): k for k in reversed(keys)}.values())[::-1]
    return (firsts + [k for k in keys if k not in firsts])[:count]


def row_captions(reports: list[dict], names: list[str], keys: list[str]) -> list[list[str]]:
    """Per picture row: its key, and each model's PSNR beside the blurry input's."""
    by_key = [{im["key"]: im for im in r["images"]} for r in reports]
    out = []
    for key in keys:
        first = by_key[0][key]
        scores = [f"{n} {b[key]['restored'].get('psnr', math.nan):.2f}" for n, b in zip(names, by_key)]
        out.append([f"{key}: PSNR (dB) blurry {first['blurry'].get('psnr', math.nan):.2f}, " + ", ".join(scores)])
    return out


def restorations(reports: list[dict], keys: list[str], count: int, data_glob: str | None) -> list[list[np.ndarray]]:
    """Rows of [blurred, restored by each report's model..., sharp] for ``count`` of ``keys``
    (:func:`picture_keys`)."""
    from training.inference.restorer import Restorer
    from training.data.shards import shard_pairs
    wanted = picture_keys(keys, count)
    pattern = data_glob or reports[0].get("data")
    if not pattern:
        raise ValueError("the reports do not say which data they scored; pass --data GLOB")
    pairs = {k: (b, s) for k, b, s in shard_pairs(pattern) if k in wanted}
    missing = [k for k in wanted if k not in pairs]
    if missing:
        raise ValueError(f"{pattern}: images {missing[:3]} of the reports are not there; pass the scored --data")
    models = [Restorer(r["model"]) for r in reports]
    return [[pairs[k][0], *[m(pairs[k][0]) for m in models], pairs[k][1]] for k in wanted]


def _load(path: str) -> dict:
    """A report, or a ValueError naming the file when it is missing or not JSON."""
    import tensorflow as tf

    from training.metrics.report import load_report
    try:
        return load_report(path)
    except (tf.errors.OpError, OSError) as exc:
        raise ValueError(f"{path}: cannot be read ({getattr(exc, 'message', exc)}); pass report files "
                         "written by python -m training.score") from None
    except (json.JSONDecodeError, AttributeError) as exc:  # not JSON, or JSON but not an object
        raise ValueError(f"{path}: not a score report ({exc}); pass report files written by "
                         "python -m training.score") from None


def compare(paths: list[str], out: str, names: list[str] | None = None, images: int = 3,
            data_glob: str | None = None, picture: bool = True) -> dict:
    """Write the table (md, json) and, with ``picture``, the PNG; returns ``{kind: path}``."""
    written = {"markdown": os.path.join(out, "comparison.md"), "json": os.path.join(out, "comparison.json")}
    picture_path = os.path.join(out, "comparison.png")
    safety.check_outputs([*written.values(), picture_path], paths, "choose another --out folder")
    reports = [_load(p) for p in paths]
    names = names or [report_name(r, p) for r, p in zip(reports, paths)]
    if len(names) != len(reports):
        raise ValueError(f"--names gives {len(names)} names for {len(reports)} reports")
    try:
        keys = check_same_images(reports, paths)
        table = comparison_table(reports, names)
    except KeyError as exc:
        raise ValueError(f"a report lacks the field {exc}; pass reports written by python -m training.score") from None
    os.makedirs(out, exist_ok=True)
    with open(written["markdown"], "w") as fh:
        fh.write(markdown(table))
    with open(written["json"], "w") as fh:
        json.dump({**table, "reports": paths}, fh, indent=2)
    if picture and images > 0:
        from blurgen.images import encode_png
        shown = picture_keys(keys, images)
        grid = side_by_side(restorations(reports, keys, images, data_glob), ["blurred", *names, "sharp"],
                            captions=row_captions(reports, names, shown))
        written["picture"] = picture_path
        with open(written["picture"], "wb") as fh:
            fh.write(encode_png(grid))
    curves_png, missing = training_curves(reports, names)
    if curves_png is not None:
        from blurgen.images import encode_png
        written["curves"] = os.path.join(out, "comparison-curves.png")
        with open(written["curves"], "wb") as fh:
            fh.write(encode_png(curves_png))
    if missing:
        print(f"no training curves (metrics.csv) for: {', '.join(missing)}", file=sys.stderr)
    return written


# Panels of the curves picture: title, y label, and the metrics.csv columns to plot, best first.
_CURVE_PANELS = (("PSNR of crops", "dB", ("val_psnr", "psnr")),
                 ("content loss (weighted)", "", ("val_content", "content")),
                 ("learning rate", "", ("lr",)))


def _run_folder(model: str | None) -> str | None:
    """The run folder of a report's model: the folder itself, or the folder of its ``.keras`` file."""
    if not model or model == "identity":
        return None
    return posixpath.dirname(model) if model.endswith(".keras") else model


def training_curves(reports: list[dict], names: list[str]) -> tuple[np.ndarray | None, list[str]]:
    """The compared runs' ``metrics.csv`` curves in one picture (``training.gan.curves``'s charts),
    and the names of the runs that have none."""
    from training.gan import curves
    runs, missing = [], []
    for report, name in zip(reports, names):
        folder = _run_folder(report.get("model"))
        rows = curves.read_rows(posixpath.join(folder, curves.METRICS_CSV)) if folder else []
        if rows:
            runs.append((name, rows))
        else:
            missing.append(name)
    panels = []
    for title, ylabel, keys in _CURVE_PANELS:
        series = []
        for name, rows in runs:
            key = next((k for k in keys if any(k in r for r in rows)), None)
            if key is not None:
                # A run without validation shows its training curve, and its legend says so.
                label = name + (" (train)" if keys[0].startswith("val_") and not key.startswith("val_") else "")
                series.append((label, [r["step"] for r in rows if key in r], [r[key] for r in rows if key in r]))
        if series:
            trained = [label.endswith("(train)") for label, _, _ in series]
            if keys[0].startswith("val_") and not all(trained):
                title += ", validation" + (" (training where marked)" if any(trained) else "")
            panels.append(curves.line_chart(series, title, ylabel=ylabel))
    return (curves.grid(panels) if panels else None), missing


def main(argv: list[str] | None = None) -> int:
    from training.commands.parsers import parse, prog
    args = parse("compare", argv)
    try:
        with lock.output_lock(args.out, command=prog("compare"), break_lock=args.break_lock, what="the comparison"):
            written = compare(args.reports, args.out, args.names.split(",") if args.names else None,
                              args.images, args.data, not args.no_picture)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # reading reports and drawing need the train extra
        from training.commands.parsers import missing_extra
        message = missing_extra(exc, prog("compare"))
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1
    with open(written["markdown"]) as fh:
        print(fh.read())
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0
