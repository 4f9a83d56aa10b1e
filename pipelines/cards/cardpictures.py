"""The dataset card's statistics pictures, drawn from :class:`pipelines.cards.stats.DatasetStats`.

Each picture is an RGB uint8 array (:mod:`blurgen.pictures.charts`) saved as PNG in ``DIR/card/``; each says
what it measures, in which unit, over how many pairs. Kernel extents are drawn against the
extents of recorded camera shake that the package ships (:mod:`blurgen.kernels.realshake`).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from blurgen.pictures import charts
from blurgen.kernels.realshake import EXTENT_LEVEL, RECORDED
from pipelines.cards.stats import OTHER, DatasetStats, Histogram

DISPLAY_BINS = 60  # bars across a histogram at most
MOST_BARS = 12  # rows of a bar chart; the rest are summed into one row

KERNEL_EXTENT = "kernel-extent.png"
FAMILIES = "kernel-families.png"
EXPOSURES = "exposures.png"
NOISE = "noise.png"
STRENGTH = "blur-strength.png"
SIZES = "image-sizes.png"
PICTURES = (KERNEL_EXTENT, FAMILIES, EXPOSURES, NOISE, STRENGTH, SIZES)


def _percent(counts: list[float], total: float) -> list[float]:
    return [100.0 * c / total for c in counts] if total else list(counts)


def extent_picture(stats: DatasetStats) -> np.ndarray:
    """Shares of kernels per extent (px), with the recorded kernels' extents marked below."""
    n = sum(stats.extents.values())
    refs = [(f"{r.name} ({len(r.kernels)} recorded)", [float(e) for e in r.extents]) for r in RECORDED]
    title = f"kernel extent (px): side of the box around the values above {EXTENT_LEVEL:.0%} of the peak"
    if not n:
        return charts.histogram([], 1.0, title, "extent (px)", markers=refs,
                                note="no kernels in this dataset (real or video pairs); recorded shake for reference")
    lo, hi = min(stats.extents), max(stats.extents)
    width = max(1, math.ceil((hi - lo + 1) / DISPLAY_BINS))
    binned: Counter = Counter()
    for e, c in stats.extents.items():
        binned[lo + (e - lo) // width * width] += c
    starts = sorted(binned)
    summary = stats.extent_summary()
    note = (f"{n:,} kernels: median {summary['p50']} px, p90 {summary['p90']}, max {summary['max']}; "
            f"triangles: recorded camera shake")
    return charts.histogram([("this dataset", starts, _percent([binned[s] for s in starts], n))], width,
                            title, "extent (px)" + (f", bins of {width} px" if width > 1 else ""),
                            "share of kernels (%)", markers=refs, note=note)


def _series(hist: Histogram, first: int, per: int, last: int) -> tuple[list[float], list[float]]:
    starts, counts = [], []
    for b in range(first, last + 1, per):
        starts.append(b * hist.width)
        counts.append(float(hist.counts[b:b + per].sum()))
    return starts, _percent(counts, hist.n)


def histograms_picture(hists: list[tuple[str, Histogram]], title: str, xlabel: str, note: str) -> np.ndarray:
    """Shares of pairs per bin of one or more :class:`Histogram` on a common axis."""
    held = [(name, h) for name, h in hists if h.n]
    if not held:
        return charts.message(title, [note or "no values"])
    lo = min(h.low for _, h in held)
    hi = max(h.high for _, h in held)
    stored = held[0][1]
    first, last = int(lo // stored.width), min(int(hi // stored.width), len(stored.counts) - 1)
    per = max(1, math.ceil((last - first + 1) / DISPLAY_BINS))
    series = [(f"{name} ({h.n:,})", *_series(h, first, per, last)) for name, h in held]
    return charts.histogram(series, per * stored.width, title, xlabel, note=note)


def noise_picture(stats: DatasetStats) -> np.ndarray:
    hists = [("from the stored camera parameters", stats.noise["parameters"]),
             ("estimated from the blurred image", stats.noise["estimated"])]
    note = "sigma at stored mid-grey (128) from the parameters; Immerkaer's estimate (texture raises it) otherwise"
    return histograms_picture(hists, "noise: standard deviation in 8-bit levels", "sigma (levels of 255)", note)


def strength_picture(stats: DatasetStats) -> np.ndarray:
    s = stats.psnr.summary()
    note = (f"median {s['p50']:.1f} dB (lower: stronger blur); identical pairs, left out: {stats.identical:,}"
            if stats.psnr.n else f"every pair's images are identical ({stats.identical:,})")
    return histograms_picture([("pairs", stats.psnr)], "blur strength: PSNR of the blurred image against the sharp one",
                              "PSNR (dB, peak 255, all channels)", note)


def _bar_rows(counter: Counter, label=str) -> list[tuple[str, int]]:
    rows = [(label(k), c) for k, c in counter.most_common() if k != OTHER]
    rest = sum(c for _, c in rows[MOST_BARS - 1:]) + counter.get(OTHER, 0)
    rows = rows[:MOST_BARS - 1] if rest else rows
    return rows + ([("others", rest)] if rest else [])


def sizes_picture(stats: DatasetStats) -> np.ndarray:
    widths, heights = stats.widths, stats.heights
    title = (f"image sizes (width x height px): {len(stats.sizes):,} distinct; widths {min(widths)} to {max(widths)}, "
             f"heights {min(heights)} to {max(heights)}") if widths else "image sizes"
    return charts.bars(_bar_rows(stats.sizes, lambda s: f"{s[0]}x{s[1]}"), title)


def pictures(stats: DatasetStats) -> dict[str, np.ndarray]:
    """Every card picture by file name."""
    n = stats.total
    return {KERNEL_EXTENT: extent_picture(stats),
            FAMILIES: charts.bars(_bar_rows(stats.families), f"kernel families of {n:,} pairs"),
            EXPOSURES: charts.bars(_bar_rows(stats.exposures),
                                   f"exposure of {n:,} pairs: fraction of the shake path, or frames averaged"),
            NOISE: noise_picture(stats), STRENGTH: strength_picture(stats), SIZES: sizes_picture(stats)}
