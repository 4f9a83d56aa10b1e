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
* ``comparison.png``: the first ``--images`` test images as rows of blurred | each model's
  restoration | sharp, with the column names on top. The restorations are recomputed with each
  report's ``model`` on each report's ``data`` (override with ``--data``), since reports keep
  only scores; ``--no-picture`` skips this.
Column names are the run folders' names unless ``--names`` gives them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import posixpath
import sys

import cv2
import numpy as np

from blurgen import preview, safety


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


def side_by_side(rows: list[list[np.ndarray]], labels: list[str], height: int = 192) -> np.ndarray:
    """RGB uint8 grid: one row per image, every panel scaled to ``height`` and centred in a column
    as wide as the widest panel (4 px white gaps), the labels on top of their columns."""
    scaled = [[preview.fit_height(p, height) for p in panels] for panels in rows]
    col_w = max(p.shape[1] for row in scaled for p in row) + 4

    def cell(p):
        left = (col_w - 4 - p.shape[1]) // 2
        return np.pad(p, ((0, 4), (left, col_w - p.shape[1] - left), (0, 0)), constant_values=255)

    header = np.full((28, col_w * len(labels), 3), 255, np.uint8)
    for i, label in enumerate(labels):
        cv2.putText(header, label[:28], (i * col_w + 4, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([header, *[np.concatenate([cell(p) for p in row], axis=1) for row in scaled]], axis=0)


def restorations(reports: list[dict], keys: list[str], count: int, data_glob: str | None) -> list[list[np.ndarray]]:
    """Rows of [blurred, restored by each report's model..., sharp] for the first ``count`` keys."""
    from training.inference import Restorer
    from training.score import shard_pairs
    wanted = keys[:count]
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

    from training.score import load_report
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
        grid = side_by_side(restorations(reports, keys, images, data_glob), ["blurred", *names, "sharp"])
        written["picture"] = picture_path
        with open(written["picture"], "wb") as fh:
            fh.write(encode_png(grid))
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("reports", nargs="+", help="report .json files written by python -m training.score")
    p.add_argument("--out", required=True, help="folder for comparison.md/.json/.png")
    p.add_argument("--names", default=None, help="comma-separated column names, one per report")
    p.add_argument("--images", type=int, default=3, help="test images in the picture")
    p.add_argument("--data", default=None, help="shard glob to restore for the picture (default: the reports')")
    p.add_argument("--no-picture", action="store_true", help="write the table only")
    args = p.parse_args(argv)
    try:
        written = compare(args.reports, args.out, args.names.split(",") if args.names else None, args.images,
                          args.data, not args.no_picture)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with open(written["markdown"]) as fh:
        print(fh.read())
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
