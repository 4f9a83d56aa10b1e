"""The picture helpers label what they show: captions, column titles, kernel sizes, layouts."""
from __future__ import annotations

import numpy as np

from blurgen.pictures import preview


def _has_text(band: np.ndarray) -> bool:
    return bool((band > preview.BACKGROUND + 100).any())


def test_captions_draw_light_text_and_shorten_what_does_not_fit():
    band = preview.caption(["blurred", "two lines"], 200)
    assert band.shape == (2 * preview.LINE + 6, 200, 3)
    assert _has_text(band[:preview.LINE]) and _has_text(band[preview.LINE:])
    long = "photos/a/very/long/folder/name/of/a/photo.jpg#v3p1"
    short = preview.shorten(long, 150)
    assert "..." in short and short.startswith("photos") and short.endswith("v3p1")
    assert preview.text_width(short) <= 150
    assert preview.shorten("fits", 150) == "fits"
    assert not _has_text(preview.caption([""], 50))


def test_kernel_size_is_the_box_of_values_above_one_percent_of_the_peak():
    k = np.zeros((9, 9), np.float32)
    k[2, 1:7] = 1.0
    k[3, 3] = 0.5
    k[8, 8] = 0.005  # below 1 % of the peak: not part of the kernel's size
    assert preview.support_size(k) == (2, 6)
    assert preview.kernel_label(k, "linear") == "linear kernel, 6x2 px"
    assert preview.kernel_label(k, "linear", tile=99) == "linear kernel, 6x2 px (x3.0)"
    assert preview.kernel_label(None) == "no kernel (real blur)"


def test_sheet_aligns_columns_under_their_titles_and_captions_each_row():
    rng = np.random.default_rng(0)
    rows = [[rng.integers(0, 256, (10, 20, 3), dtype=np.uint8), rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)],
            [rng.integers(0, 256, (20, 20, 3), dtype=np.uint8), rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)]]
    out = preview.sheet(["left", "right"], rows, 20, [["row one"], ["row two"]])
    band = preview.LINE + 6
    # columns as wide as their widest image: 40 (row 1, doubled) and 30 (row 2)
    assert out.shape == (band + 2 * (band + 20 + preview.GAP), preview.GAP * 3 + 40 + 30, 3)
    assert _has_text(out[:band]) and _has_text(out[band:2 * band])
    top = 2 * band
    np.testing.assert_array_equal(out[top:top + 20, preview.GAP:preview.GAP + 40], preview.fit_height(rows[0][0], 20))
    # the narrower image is centred in its column
    x = preview.GAP + 40 + preview.GAP + (30 - 20) // 2
    np.testing.assert_array_equal(out[top:top + 20, x:x + 20], preview.fit_height(rows[0][1], 20))


def test_whole_number_enlargements_repeat_pixels():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    big = preview.fit_height(img, 8)
    np.testing.assert_array_equal(big, np.repeat(np.repeat(img, 4, axis=0), 4, axis=1))


def test_gallery_tiles_are_captioned_and_the_gallery_titled():
    kernels = np.zeros((3, 15, 15), np.float32)
    kernels[:, 7, 5:10] = 0.2
    gallery = preview.kernel_gallery(kernels, ["linear", "linear", "defocus"], cols=2, tile=64)
    tile_h = 64 + 2 * preview.LINE + 6
    title_h = 2 * preview.LINE + 6
    assert gallery.shape[0] == title_h + 2 * (tile_h + preview.GAP) + preview.GAP
    assert _has_text(gallery[:title_h])
    caption_band = gallery[title_h + preview.GAP + 64:title_h + preview.GAP + tile_h, preview.GAP:preview.GAP + 64]
    np.testing.assert_array_equal(caption_band, preview.caption(["#0 linear", "5x1 px"], 64, 0.42))


def test_pair_panels_have_column_titles_and_an_optional_title():
    sharp = np.full((30, 40, 3), 200, np.uint8)
    k = np.zeros((5, 5), np.float32)
    k[2, 2] = 1
    panel = preview.pair_panel(sharp, sharp, k, height=60)
    assert panel.shape[0] == preview.LINE + 6 + 60 + preview.GAP and _has_text(panel[:preview.LINE + 6])
    titled = preview.pair_panel(sharp, sharp, k, height=60, title=["a.png, variant 0", "exposure 0.5"])
    assert titled.shape[0] == panel.shape[0] + 2 * preview.LINE + 6
