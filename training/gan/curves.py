"""Training curves without TensorBoard: ``metrics.csv`` rows and line charts drawn with OpenCV.

``fit`` appends one row per epoch to ``{run}/metrics.csv`` (step, seconds, learning rate, every
training and validation metric) and redraws ``{run}/curves.png`` from it; ``compare`` draws the
curves of several runs in one picture. Pictures are RGB uint8 arrays, legible at 100 % zoom:
each panel has a title, axis labels, tick values and a legend.
"""
from __future__ import annotations

import csv
import io
import math
import posixpath
from typing import Sequence

import cv2
import numpy as np
import tensorflow as tf

from blurgen.pictures.charts import ascii_text, nice_ticks, text_width, tick_label
from training.gan.files import write_atomic

METRICS_CSV = "metrics.csv"
CURVES_PNG = "curves.png"
_FONT = cv2.FONT_HERSHEY_SIMPLEX
# Distinct colours (RGB) that stay apart for the colour-blind (Okabe and Ito's palette).
PALETTE = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0), (86, 180, 233),
           (0, 0, 0), (240, 228, 66))


def read_rows(path: str) -> list[dict[str, float]]:
    """The rows of a ``metrics.csv`` as floats (empty cells left out); [] if there is no file."""
    if not tf.io.gfile.exists(path):
        return []
    with tf.io.gfile.GFile(path) as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def append_row(path: str, row: dict[str, float]) -> list[dict[str, float]]:
    """Add ``row`` to the CSV at ``path`` (columns widen as new metrics appear); returns all rows.
    The file is rewritten whole through a temporary name, so a killed run leaves the old one."""
    rows = read_rows(path) + [row]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: f"{v:.6g}" for k, v in r.items()})
    write_atomic(path, buf.getvalue().encode("utf-8"))
    return rows


def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], title: str,
               xlabel: str = "step", ylabel: str = "", size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """One panel: ``(name, xs, ys)`` lines with title, axes, ticks and a legend; RGB uint8 ``size`` (w, h).
    Non-finite values are left out of the line."""
    w, h = size
    img = np.full((h, w, 3), 255, np.uint8)
    left, right, top, bottom = 70, 16, 34, 46
    pts = [(name, [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]) for name, xs, ys in series]
    allx = [x for _, p in pts for x, _ in p] or [0.0, 1.0]
    ally = [y for _, p in pts for _, y in p] or [0.0, 1.0]
    x0, x1 = min(allx), max(allx)
    y0, y1 = min(ally), max(ally)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.05
    if pad <= 1e-6 * max(abs(y0), abs(y1)):  # a flat line: give it a visible band
        pad = abs(y0) * 0.05 or 1.0
    y0, y1 = y0 - pad, y1 + pad

    def px(x, y):
        return (int(round(left + (x - x0) / (x1 - x0) * (w - left - right))),
                int(round(h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom))))

    cv2.rectangle(img, (left, top), (w - right, h - bottom), (120, 120, 120), 1)
    for t in nice_ticks(y0, y1):
        _, yy = px(x0, t)
        cv2.line(img, (left, yy), (w - right, yy), (230, 230, 230), 1)
        cv2.putText(img, tick_label(t), (4, yy + 4), _FONT, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    for t in nice_ticks(x0, x1):
        xx, _ = px(t, y0)
        cv2.line(img, (xx, h - bottom), (xx, h - bottom + 4), (120, 120, 120), 1)
        text = tick_label(t)
        cv2.putText(img, text, (xx - 4 * len(text), h - bottom + 18), _FONT, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, title, (left, 22), _FONT, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, xlabel, (w // 2 - 4 * len(xlabel), h - 8), _FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    if ylabel:
        cv2.putText(img, ylabel, (4, top - 8), _FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    lines = []
    for i, (name, p) in enumerate(pts):
        colour = PALETTE[i % len(PALETTE)]
        poly = np.array([px(x, y) for x, y in p], np.int32)
        if len(poly) > 1:
            cv2.polylines(img, [poly], False, colour, 2, cv2.LINE_AA)
        for q in poly[-1:] if len(poly) else []:
            cv2.circle(img, tuple(int(v) for v in q), 3, colour, -1, cv2.LINE_AA)
        lines.append((name, colour, poly))
    _legend(img, lines, (left, top, w - right, h - bottom))
    return img


def _legend(img: np.ndarray, lines: list[tuple[str, tuple, np.ndarray]], frame: tuple[int, int, int, int]) -> None:
    """The legend on a white box in the corner of the plot ``frame`` (x0, y0, x1, y1 px) that the
    lines cross least, each name whole."""
    if not lines:
        return
    x0, y0, x1, y1 = frame
    bw = 34 + max(text_width(name) for name, _, _ in lines)
    bh = 8 + 16 * len(lines)
    corners = [(x1 - bw - 6, y0 + 6), (x0 + 6, y0 + 6), (x1 - bw - 6, y1 - bh - 6), (x0 + 6, y1 - bh - 6)]
    # Points along every line, one per pixel of its path, to count how much each corner hides.
    trace = [np.linspace(a, b, max(2, int(np.abs(b - a).max()) + 1)) for _, _, poly in lines
             for a, b in zip(poly[:-1], poly[1:])]
    pts = np.concatenate(trace) if trace else np.zeros((0, 2))

    def hidden(corner: tuple[int, int]) -> int:
        cx, cy = corner
        return int(((pts[:, 0] >= cx) & (pts[:, 0] <= cx + bw) & (pts[:, 1] >= cy) & (pts[:, 1] <= cy + bh)).sum())

    cx, cy = min(corners, key=hidden)  # ties keep the first: top right
    cv2.rectangle(img, (cx, cy), (cx + bw, cy + bh), (255, 255, 255), -1)
    cv2.rectangle(img, (cx, cy), (cx + bw, cy + bh), (200, 200, 200), 1)
    for i, (name, colour, _) in enumerate(lines):
        ly = cy + 16 + 16 * i
        cv2.line(img, (cx + 6, ly - 4), (cx + 26, ly - 4), colour, 2, cv2.LINE_AA)
        cv2.putText(img, ascii_text(name), (cx + 30, ly), _FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)


def grid(panels: Sequence[np.ndarray], columns: int = 2) -> np.ndarray:
    """Panels of one size in rows of ``columns`` (blank cells white)."""
    h, w = panels[0].shape[:2]
    cells = list(panels) + [np.full((h, w, 3), 255, np.uint8)] * (-len(panels) % columns)
    rows = [np.concatenate(cells[i:i + columns], axis=1) for i in range(0, len(cells), columns)]
    return np.concatenate(rows, axis=0)


# Panels of a run's curves: title, y label, and (metrics.csv column, legend) of each line.
_PANELS = (("PSNR of crops (dB)", "dB", (("psnr", "train"), ("val_psnr", "validation"),
                                         ("val_identity_psnr", "validation, blurred input"))),
           ("content loss (weighted)", "", (("content", "train"), ("val_content", "validation"),
                                            ("probe_content", "probe: restored"),
                                            ("identity_content", "probe: blurred input"))),
           ("adversarial terms", "", (("g_adv", "generator"), ("d_loss", "critic"), ("gp", "penalty"))),
           ("learning rate", "", (("lr", "generator"),)))


def run_curves(rows: list[dict[str, float]], title: str = "") -> np.ndarray:
    """The panels of one run's ``metrics.csv`` rows against the generator step."""
    panels = []
    for name, ylabel, lines in _PANELS:
        series = [(label, [r["step"] for r in rows if key in r], [r[key] for r in rows if key in r])
                  for key, label in lines if any(key in r for r in rows)]
        if series:
            panels.append(line_chart(series, f"{title}: {name}" if title else name, ylabel=ylabel))
    return grid(panels) if panels else line_chart([], title or "no metrics yet")


def save_png(path: str, image: np.ndarray) -> None:
    """Write an RGB uint8 picture as PNG (through a temporary name)."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV fails only on impossible shapes
        raise RuntimeError(f"cannot encode {path}")
    write_atomic(path, buf.tobytes())


def write_run_files(run: str, row: dict[str, float]) -> None:
    """Append ``row`` to ``{run}/metrics.csv`` and redraw ``{run}/curves.png``."""
    rows = append_row(posixpath.join(run, METRICS_CSV), row)
    save_png(posixpath.join(run, CURVES_PNG), run_curves(rows, posixpath.basename(run.rstrip("/"))))
