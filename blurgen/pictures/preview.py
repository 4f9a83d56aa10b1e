"""Pictures for people: kernel galleries, rows of images, contact sheets (RGB uint8 arrays).

The one home of the picture helpers: ``blurgen kernels --preview``, ``blurgen preview``,
``blurgen inspect --sheet`` (pipelines) and the trainer's sample pictures and contact sheets all
lay out and label their images with these functions. Every picture says what it shows: column
titles, a caption per row or tile (key, kernel family and size, scores) and a title, in text
that reads at 100 % zoom (OpenCV's Hershey font, capitals about 11 px high, light on dark).

Kernels are drawn on a black background, each scaled to its own maximum (square root, so faint
tails show) and enlarged with nearest-neighbour sampling so single pixels stay visible. Blur that
varies across the image (a turning camera) comes as a grid of local kernels (gy, gx, k, k), each
the blur of the point at the centre of its cell: its tile shows the grid, and
:func:`overlay_local_kernels` draws each kernel on the image where it applies.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from blurgen.kernels.rotation import grid_points

GAP = 4
BACKGROUND = 40
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_SCALE = 0.5  # capitals about 11 px high
TEXT_COLOUR = (235, 235, 235)
LINE = 20  # px per line of text
SUPPORT_LEVEL = 0.01  # a kernel's size: the bounding box of its values above 1 % of its peak


def as_rgb(img: np.ndarray) -> np.ndarray:
    """HxW or HxWx1 grey to HxWx3; RGB unchanged."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 3:
        return img
    return np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)


def fit_height(img: np.ndarray, height: int) -> np.ndarray:
    """Scale an image to ``height`` px, keeping its aspect ratio; RGB uint8 out. A whole-number
    enlargement repeats pixels (nearest neighbour), so a small crop's sharpness can be judged."""
    h, w = img.shape[:2]
    width = max(1, round(w * height / h))
    if height > h and height % h == 0:
        interpolation = cv2.INTER_NEAREST
    else:
        interpolation = cv2.INTER_AREA if height <= h else cv2.INTER_LINEAR
    return cv2.resize(as_rgb(img), (width, height), interpolation=interpolation)


def kernel_tile(kernel: np.ndarray | None, size: int = 96, min_canvas: int = 33) -> np.ndarray:
    """One kernel as a ``size`` x ``size`` RGB uint8 tile (brightness = sqrt(weight / max weight)).

    Kernels smaller than ``min_canvas`` px are padded to it, so tiles share one scale. A missing
    kernel (a real pair has none) gives a plain grey tile.
    """
    if kernel is None or np.size(kernel) == 0 or float(np.max(kernel)) <= 0:
        return np.full((size, size, 3), 96, np.uint8)
    if np.ndim(kernel) == 4:
        return _grid_tile(np.asarray(kernel, dtype=np.float32), size)
    k = np.asarray(kernel, dtype=np.float32)
    ph, pw = max(0, min_canvas - k.shape[0]), max(0, min_canvas - k.shape[1])
    k = np.pad(k, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    grey = (np.sqrt(np.clip(k / k.max(), 0, 1)) * 255).astype(np.uint8)
    return as_rgb(cv2.resize(grey, (size, size), interpolation=cv2.INTER_NEAREST))


def _grid_tile(kernels: np.ndarray, size: int) -> np.ndarray:
    """A grid of local kernels (gy, gx, k, k) as one ``size`` x ``size`` tile, 1 px grey lines
    between them, each kernel scaled to its own peak."""
    gy, gx, k = kernels.shape[0], kernels.shape[1], kernels.shape[2]
    cell = max(1, (size - (max(gy, gx) - 1)) // max(gy, gx))
    out = np.full((gy * (cell + 1) - 1, gx * (cell + 1) - 1), 70, np.uint8)
    for i in range(gy):
        for j in range(gx):
            kij = kernels[i, j]
            grey = (np.sqrt(np.clip(kij / max(float(kij.max()), 1e-12), 0, 1)) * 255).astype(np.uint8)
            out[i * (cell + 1):i * (cell + 1) + cell, j * (cell + 1):j * (cell + 1) + cell] = cv2.resize(
                grey, (cell, cell), interpolation=cv2.INTER_NEAREST)
    return as_rgb(cv2.resize(out, (size, size), interpolation=cv2.INTER_NEAREST))


def overlay_local_kernels(image: np.ndarray, kernels: np.ndarray, height: int,
                          colour: tuple[int, int, int] = (255, 210, 0)) -> np.ndarray:
    """``image`` scaled to ``height`` px with each local kernel of the grid (gy, gx, k, k) drawn
    over the point it belongs to (:func:`blurgen.kernels.rotation.grid_points`), enlarged to most of its cell (nearest
    neighbour; brightness sqrt(weight / peak) blended in ``colour``) inside a thin frame."""
    h, w = image.shape[:2]
    out = fit_height(image, height).astype(np.float32)
    scale = out.shape[0] / h
    gy, gx, k = kernels.shape[0], kernels.shape[1], kernels.shape[2]
    side = max(3, int(0.8 * min(out.shape[0] / gy, out.shape[1] / gx)))
    ys, xs = grid_points(h, w, gy)[0], grid_points(h, w, gx)[1]
    for i in range(gy):
        for j in range(gx):
            kij = kernels[i, j]
            alpha = cv2.resize(np.sqrt(np.clip(kij / max(float(kij.max()), 1e-12), 0, 1)), (side, side),
                               interpolation=cv2.INTER_NEAREST)
            cy, cx = int(round((ys[i] + 0.5) * scale - 0.5)), int(round((xs[j] + 0.5) * scale - 0.5))
            y0, x0 = cy - side // 2, cx - side // 2
            ya, yb, xa, xb = max(y0, 0), min(y0 + side, out.shape[0]), max(x0, 0), min(x0 + side, out.shape[1])
            a = alpha[ya - y0:yb - y0, xa - x0:xb - x0, None]
            out[ya:yb, xa:xb] = out[ya:yb, xa:xb] * (1 - 0.85 * a) * 0.6 + 0.85 * a * np.float32(colour)
            cv2.rectangle(out, (xa, ya), (xb - 1, yb - 1), (160, 160, 160), 1)
    return np.clip(out, 0, 255).astype(np.uint8)


def row(images: list[np.ndarray], height: int, gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Images side by side, each scaled to ``height`` px, ``gap`` px apart."""
    if not images:
        raise ValueError("no images to lay out")
    spacer = np.full((height, gap, 3), background, np.uint8)
    parts = []
    for img in images:
        parts += [fit_height(img, height), spacer]
    return np.concatenate(parts[:-1], axis=1)


def stack(rows: list[np.ndarray], gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Rows one above the other, each padded on the right to the widest, ``gap`` px apart."""
    if not rows:
        raise ValueError("no rows to lay out")
    width = max(r.shape[1] for r in rows)
    parts = []
    for r in rows:
        pad = np.full((r.shape[0], width - r.shape[1], 3), background, np.uint8)
        parts += [np.concatenate([r, pad], axis=1), np.full((gap, width, 3), background, np.uint8)]
    return np.concatenate(parts[:-1], axis=0)


def grid(tiles: list[np.ndarray], cols: int, gap: int = GAP, background: int = BACKGROUND) -> np.ndarray:
    """Lay equal-sized RGB tiles out in rows of ``cols`` with a ``gap`` px border."""
    if not tiles:
        raise ValueError("no tiles to lay out")
    th, tw = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / cols)
    out = np.full((rows * (th + gap) + gap, cols * (tw + gap) + gap, 3), background, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y:y + th, x:x + tw] = t
    return out


# ---- text -------------------------------------------------------------------------------------

def text_width(text: str, scale: float = TEXT_SCALE) -> int:
    """Width in px of ``text`` as :func:`caption` draws it."""
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def shorten(text: str, width: int, scale: float = TEXT_SCALE) -> str:
    """``text``, cut in the middle with ``...`` until it fits ``width`` px (its ends say most)."""
    if text_width(text, scale) <= width:
        return text
    keep = len(text)
    while keep > 1:
        keep -= 1
        cut = text[:(keep + 1) // 2] + "..." + text[len(text) - keep // 2:]
        if text_width(cut, scale) <= width:
            return cut
    return "..."


def caption(lines: list[str], width: int, scale: float = TEXT_SCALE, centre: bool = False) -> np.ndarray:
    """A band ``width`` px wide with one line of light text per entry of ``lines`` (shortened to fit)."""
    band = np.full((LINE * len(lines) + 6, width, 3), BACKGROUND, np.uint8)
    for i, line in enumerate(lines):
        text = shorten(line, width - 8, scale)
        x = (width - text_width(text, scale)) // 2 if centre else 4
        cv2.putText(band, text, (x, LINE * (i + 1)), FONT, scale, TEXT_COLOUR, 1, cv2.LINE_AA)
    return band


def titled(image: np.ndarray, lines: list[str], scale: float = TEXT_SCALE) -> np.ndarray:
    """``image`` under a caption of ``lines`` (widened to the caption's text if that is wider)."""
    width = max(image.shape[1], *(text_width(t, scale) + 8 for t in lines))
    pad = np.full((image.shape[0], width - image.shape[1], 3), BACKGROUND, np.uint8)
    return np.concatenate([caption(lines, width, scale), np.concatenate([image, pad], axis=1)], axis=0)


# ---- labelled layouts ----------------------------------------------------------------------------

def support_size(kernel: np.ndarray, level: float = SUPPORT_LEVEL) -> tuple[int, int]:
    """``(height, width)`` of the bounding box of the kernel's values above ``level`` x its peak."""
    k = np.asarray(kernel, dtype=np.float32)
    ys, xs = np.nonzero(k > level * float(k.max()))
    if ys.size == 0:
        return 0, 0
    return int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


def kernel_label(kernel: np.ndarray | None, family: str | None = None, tile: int | None = None,
                 min_canvas: int = 33) -> str:
    """``"trajectory kernel, 17x13 px (x7.8)"``: family (where known), size (:func:`support_size`)
    and, given the ``tile`` side of :func:`kernel_tile`, how much the tile enlarges it."""
    if kernel is None or np.size(kernel) == 0:
        return "no kernel (real blur)"
    if np.ndim(kernel) == 4:
        sizes = [support_size(k) for k in np.asarray(kernel).reshape(-1, *np.shape(kernel)[2:])]
        longest = [max(s) for s in sizes]
        return (f"{family + ', ' if family else ''}{np.shape(kernel)[0]}x{np.shape(kernel)[1]} kernels, "
                f"{min(longest)}-{max(longest)} px")
    h, w = support_size(kernel)
    text = f"{family + ' ' if family else ''}kernel, {w}x{h} px"
    if tile:
        text += f" (x{tile / max(min_canvas, *np.shape(kernel)):.1f})"
    return text


def sheet(column_titles: list[str], rows: list[list[np.ndarray]], height: int,
          row_captions: list[list[str]] | None = None) -> np.ndarray:
    """A contact sheet: ``column_titles`` on top, then each row of images scaled to ``height`` px
    and centred in columns as wide as their widest image, each row under its caption lines."""
    scaled = [[fit_height(img, height) for img in r] for r in rows]
    widths = [max(r[c].shape[1] for r in scaled) for c in range(len(column_titles))]
    total = sum(widths) + GAP * (len(widths) + 1)

    def cells(r: list[np.ndarray]) -> np.ndarray:
        out = np.full((height, total, 3), BACKGROUND, np.uint8)
        x = GAP
        for img, w in zip(r, widths):
            left = x + (w - img.shape[1]) // 2
            out[:, left:left + img.shape[1]] = img
            x += w + GAP
        return out

    header = np.full((LINE + 6, total, 3), BACKGROUND, np.uint8)
    x = GAP
    for title, w in zip(column_titles, widths):
        header[:, x:x + w] = caption([title], w, TEXT_SCALE + 0.05, centre=True)
        x += w + GAP
    parts = [header]
    for i, r in enumerate(scaled):
        if row_captions is not None:
            parts.append(caption(row_captions[i], total))
        parts += [cells(r), np.full((GAP, total, 3), BACKGROUND, np.uint8)]
    return np.concatenate(parts, axis=0)


def kernel_gallery(kernels: np.ndarray, families: list[str] | None = None, cols: int = 8,
                   tile: int = 128) -> np.ndarray:
    """A titled grid of kernels (n, k, k), each tile captioned with its number, family and size."""
    kernels = np.asarray(kernels)
    tiles = []
    for i, k in enumerate(kernels):
        h, w = support_size(k)
        family = families[i] if families is not None else None
        lines = [f"#{i} {family}" if family else f"#{i}", f"{w}x{h} px"]
        tiles.append(np.concatenate([kernel_tile(k, tile), caption(lines, tile, 0.42)], axis=0))
    title = [f"{len(kernels)} blur kernels on a {kernels.shape[2]}x{kernels.shape[1]} px canvas, "
             "brightness = sqrt(weight / peak)", f"size: the box around values above "
             f"{SUPPORT_LEVEL:.0%} of the peak"]
    return titled(grid(tiles, cols), title)


def pair_panel(sharp: np.ndarray, blurred: np.ndarray, kernel: np.ndarray | None = None,
               height: int = 256, title: list[str] | None = None, family: str | None = None) -> np.ndarray:
    """sharp | blurred | kernel side by side at ``height`` px under column titles (the kernel's
    family and size), with ``title`` lines above; RGB uint8. A real pair's kernel tile is grey;
    a grid of local kernels (gy, gx, k, k) is also drawn on the blurred image where each applies."""
    if kernel is not None and np.ndim(kernel) == 4:
        blurred = overlay_local_kernels(blurred, np.asarray(kernel), height)
    rows = [[sharp, blurred, kernel_tile(kernel, height)]]
    panel = sheet(["sharp", "blurred", kernel_label(kernel, family, height)], rows, height)
    return titled(panel, title) if title else panel
