"""Charts without matplotlib or TensorFlow: histograms and bar charts drawn with OpenCV (RGB uint8).

The dataset card's statistics pictures (``blurgen inspect --card``) are drawn here, in the style of
the trainer's curves (``training/curves.py``): white ground, a framed plot, tick values, axis
labels, a title and a legend, Okabe and Ito's colour-blind-safe palette, text legible at 100 %
zoom. Charts say what they show: every picture has a title naming the measure and its unit.
OpenCV's Hershey font draws ASCII only; other characters are drawn as ``?``.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
INK = (0, 0, 0)
GREY = (60, 60, 60)
FRAME = (120, 120, 120)
RULE = (230, 230, 230)
# Distinct colours (RGB) that stay apart for the colour-blind (Okabe and Ito's palette).
PALETTE = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0), (86, 180, 233),
           (0, 0, 0), (240, 228, 66))
SIZE = (720, 400)  # (width, height) px of a chart


def ascii_text(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in str(text))


def put(img: np.ndarray, text: str, xy: tuple[int, int], scale: float = 0.4, colour=GREY) -> None:
    cv2.putText(img, ascii_text(text), (int(xy[0]), int(xy[1])), FONT, scale, colour, 1, cv2.LINE_AA)


def text_width(text: str, scale: float = 0.4) -> int:
    return cv2.getTextSize(ascii_text(text), FONT, scale, 1)[0][0]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) covering ``[low, high]``."""
    if not high > low:
        high = low + 1.0
    raw = (high - low) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def tick_label(value: float) -> str:
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e7:
        return f"{int(value):,}"
    if abs(value) >= 1e4 or abs(value) < 1e-2:
        return f"{value:.1e}"
    return f"{value:.3g}"


class Plot:
    """A framed plot area mapping data ``(x, y)`` to pixels, with ticks, labels and a title."""

    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float], title: str, xlabel: str,
                 ylabel: str, size: tuple[int, int] = SIZE, margins: tuple[int, int, int, int] = (70, 16, 64, 50),
                 note: str = ""):
        w, h = size
        self.img = np.full((h, w, 3), 255, np.uint8)
        self.left, self.right, self.top, self.bottom = margins
        self.x0, self.x1 = xlim if xlim[1] > xlim[0] else (xlim[0], xlim[0] + 1.0)
        self.y0, self.y1 = ylim if ylim[1] > ylim[0] else (ylim[0], ylim[0] + 1.0)
        cv2.rectangle(self.img, (self.left, self.top), (w - self.right, h - self.bottom), FRAME, 1)
        for t in (t for t in nice_ticks(max(self.y0, 0.0), self.y1) if t >= self.y0):
            _, y = self.px(self.x0, t)
            cv2.line(self.img, (self.left, y), (w - self.right, y), RULE, 1)
            put(self.img, tick_label(t), (self.left - 6 - text_width(tick_label(t)), y + 4))
        for t in nice_ticks(self.x0, self.x1, 8):
            x, _ = self.px(t, self.y0)
            cv2.line(self.img, (x, h - self.bottom), (x, h - self.bottom + 4), FRAME, 1)
            put(self.img, tick_label(t), (x - text_width(tick_label(t)) // 2, h - self.bottom + 18))
        put(self.img, title, (8, 22), 0.55, INK)
        put(self.img, note, (8, 42), 0.4, GREY)
        put(self.img, xlabel, (self.left + (w - self.left - self.right - text_width(xlabel, 0.45)) // 2, h - 12), 0.45, INK)
        put(self.img, ylabel, (8, self.top - 8), 0.4, INK)

    def px(self, x: float, y: float) -> tuple[int, int]:
        w, h = self.img.shape[1], self.img.shape[0]
        fx = (x - self.x0) / (self.x1 - self.x0)
        fy = (y - self.y0) / (self.y1 - self.y0)
        return (int(round(self.left + fx * (w - self.left - self.right))),
                int(round(h - self.bottom - fy * (h - self.top - self.bottom))))

    def legend(self, entries: Sequence[tuple[str, tuple[int, int, int]]]) -> None:
        """Colour swatches and names in the right margin, beside the plot area."""
        x = self.img.shape[1] - self.right + 10
        for i, (name, colour) in enumerate(entries):
            y = self.top + 16 + 16 * i
            cv2.rectangle(self.img, (x, y - 9), (x + 16, y - 1), colour, -1)
            put(self.img, name, (x + 22, y), 0.4, INK)


def histogram(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], width: float, title: str,
              xlabel: str, ylabel: str = "share of pairs (%)",
              markers: Sequence[tuple[str, Sequence[float]]] = (), note: str = "",
              size: tuple[int, int] = SIZE) -> np.ndarray:
    """Bars of ``(name, bin starts, values)`` series (each bin ``width`` wide; several series are
    drawn side by side within a bin), and below them one row of marks per ``(name, x values)``
    (reference values, such as the extents of recorded kernels); RGB uint8 of ``size`` (w, h)."""
    xs = [x for _, starts, _ in series for x in starts] + [x for _, vals in markers for x in vals]
    ys = [y for _, _, vals in series for y in vals]
    x0, x1 = (min(xs), max(xs) + width) if xs else (0.0, 1.0)
    pad = (x1 - x0) * 0.02
    rows = len(markers)
    top = max(ys, default=1.0) or 1.0
    # The marker rows sit in a band below zero, one row each, so that they never hide a bar.
    band = top * 0.07 * rows
    names = [name for name, _, _ in series] + [name for name, _ in markers]
    legend_width = max((text_width(name) for name in names), default=0) + 44
    size = (size[0] + legend_width, size[1])
    plot = Plot((x0 - pad, x1 + pad), (-band, top * 1.08), title, xlabel, ylabel, size,
                (70, legend_width, 64, 50), note)
    _, zero = plot.px(x0, 0)
    cv2.line(plot.img, (plot.left, zero), (plot.img.shape[1] - plot.right, zero), FRAME, 1)
    k = max(len(series), 1)
    for i, (name, starts, vals) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        for s, v in zip(starts, vals):
            if v > 0:
                a, b = plot.px(s + width * i / k, 0), plot.px(s + width * (i + 1) / k, v)
                cv2.rectangle(plot.img, (a[0], b[1]), (max(b[0] - 1, a[0]), a[1]), colour, -1)
    entries = [(name, PALETTE[i % len(PALETTE)]) for i, (name, _, _) in enumerate(series)]
    for j, (name, vals) in enumerate(markers):
        colour = PALETTE[(1 + j) % len(PALETTE)]  # fixed per row, with or without bars beside them
        y = plot.px(x0, -band * (j + 0.5) / rows)[1]
        for v in vals:
            x = plot.px(v + width / 2, 0)[0]
            cv2.drawMarker(plot.img, (x, y), colour, cv2.MARKER_TRIANGLE_UP, 9, 2, cv2.LINE_AA)
        entries.append((name, colour))
    plot.legend(entries)
    return plot.img


def bars(rows: Sequence[tuple[str, int]], title: str, unit: str = "pairs", width: int = SIZE[0]) -> np.ndarray:
    """Horizontal bars, one per ``(label, count)``, each with its count and share of the total."""
    total = sum(c for _, c in rows) or 1
    label_w = min(max((text_width(label) for label, _ in rows), default=40) + 12, width // 2)
    height = 50 + 24 * max(len(rows), 1) + 10
    img = np.full((height, width, 3), 255, np.uint8)
    put(img, title, (12, 24), 0.55, INK)
    most = max((c for _, c in rows), default=1) or 1
    span = width - label_w - 150
    for i, (label, count) in enumerate(rows):
        y = 50 + 24 * i
        text = label
        while text_width(text) > label_w - 12 and len(text) > 4:
            text = text[:-4] + "..."
        put(img, text, (label_w - 6 - text_width(text), y + 13), 0.4, INK)
        end = label_w + int(round(span * count / most))
        cv2.rectangle(img, (label_w, y), (max(end, label_w + 1), y + 17), PALETTE[i % len(PALETTE)], -1)
        said = unit[:-1] if count == 1 and unit.endswith("s") else unit
        put(img, f"{count:,} {said} ({100.0 * count / total:.1f} %)", (end + 6, y + 13), 0.4, GREY)
    if not rows:
        put(img, "nothing to count", (12, 62), 0.45, GREY)
    return img


def message(title: str, lines: Sequence[str], size: tuple[int, int] = (SIZE[0], 120)) -> np.ndarray:
    """A titled panel of text, for a chart that has nothing to show (and says why)."""
    img = np.full((size[1], size[0], 3), 255, np.uint8)
    put(img, title, (12, 24), 0.55, INK)
    for i, line in enumerate(lines):
        put(img, line, (12, 52 + 20 * i), 0.45, GREY)
    return img
