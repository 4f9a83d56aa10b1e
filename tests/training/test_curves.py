"""Line charts of training curves: the legend sits where it hides no line and shows names whole."""
from __future__ import annotations

import numpy as np

from training.gan.curves import line_chart

W, H = 640, 360
LEFT, TOP, RIGHT = 70, 34, 16  # the plot frame of line_chart
BORDER = (200, 200, 200)


def legend_corner(img: np.ndarray) -> str:
    """Which top corner of the plot holds the legend box's grey border."""
    found = [name for name, (x, y) in {"left": (LEFT + 6, TOP + 6), "right": (W - RIGHT - 6, TOP + 6)}.items()
             if tuple(int(v) for v in img[y, x]) == BORDER]
    assert len(found) == 1, found
    return found[0]


def test_the_legend_moves_away_from_the_lines():
    rising = line_chart([("restored", [0, 1, 2], [0.0, 0.5, 1.0])], "rising", size=(W, H))
    falling = line_chart([("restored", [0, 1, 2], [1.0, 0.5, 0.0])], "falling", size=(W, H))
    assert legend_corner(rising) == "left"
    assert legend_corner(falling) == "right"


def test_a_long_name_is_drawn_whole_inside_the_box():
    name = "photos B, seed 1, oneDNN off, a long label"
    img = line_chart([(name, [0, 1], [1.0, 0.0])], "long", size=(W, H))
    row = img[TOP + 6]  # the box's top edge, from its left corner to its right one
    border = np.flatnonzero((row == BORDER).all(axis=1))
    assert border.max() - border.min() > 8 * len(name) * 0.6  # wider than the old 20-character cut
