import cv2
import numpy as np
import pytest

from blurgen.images import ImageError, decode_image, encode_jpeg, encode_png, read_image, write_image


def _rgb(h=12, w=16):
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_png_round_trip_keeps_rgb_order(tmp_path):
    img = _rgb()
    img[0, 0] = (255, 0, 0)
    write_image(tmp_path / "a.png", img)
    back = read_image(tmp_path / "a.png")
    assert np.array_equal(back, img)
    assert tuple(cv2.imread(str(tmp_path / "a.png"))[0, 0]) == (0, 0, 255)  # stored as OpenCV's BGR


def test_grey_rgba_and_16bit_inputs(tmp_path):
    grey = _rgb()[..., 0]
    cv2.imwrite(str(tmp_path / "g.png"), grey)
    assert read_image(tmp_path / "g.png").shape == (12, 16, 3)
    assert np.array_equal(read_image(tmp_path / "g.png")[..., 2], grey)
    assert np.array_equal(read_image(tmp_path / "g.png", "grey"), grey)
    rgba = np.dstack([_rgb()[..., ::-1], np.full((12, 16), 7, np.uint8)])
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    assert np.array_equal(read_image(tmp_path / "a.png"), _rgb())
    deep = (_rgb().astype(np.uint16) * 257)[..., ::-1]
    cv2.imwrite(str(tmp_path / "d.png"), deep)
    assert np.array_equal(read_image(tmp_path / "d.png"), _rgb())


def test_jpeg_decodes_close(tmp_path):
    img = np.full((16, 16, 3), (200, 30, 90), np.uint8)
    back = decode_image(encode_jpeg(img, 95), "x.jpg")
    assert np.abs(back.astype(int) - img).max() <= 4


@pytest.mark.parametrize("data, match", [
    (b"", "empty file"),
    (b"this is text, not a picture", "not a readable image"),
])
def test_unusable_bytes_name_the_file(data, match):
    with pytest.raises(ImageError, match=f"photos/x.png: {match}"):
        decode_image(data, "photos/x.png")


def test_truncated_png_and_jpeg_are_refused():
    png = encode_png(_rgb(64, 64))
    jpg = encode_jpeg(_rgb(64, 64), 90)
    with pytest.raises(ImageError, match="a.png: truncated PNG"):
        decode_image(png[: len(png) // 2], "a.png")
    with pytest.raises(ImageError, match="b.jpg: truncated JPEG"):
        decode_image(jpg[: len(jpg) * 2 // 3], "b.jpg")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ImageError, match="nope.png: cannot be read"):
        read_image(tmp_path / "nope.png")


def test_write_refuses_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="use .png, .jpg or .jpeg"):
        write_image(tmp_path / "a.gif", _rgb())


def test_trailing_data_after_the_end_marker_is_not_truncation():
    # Phones append motion-photo videos after a JPEG's end marker; some tools pad PNGs.
    img = _rgb(64, 64)
    jpg, png = encode_jpeg(img, 90), encode_png(img)
    trailer = bytes(range(256)) * 16
    assert decode_image(jpg + trailer, "motion.jpg").shape == (64, 64, 3)
    assert np.array_equal(decode_image(png + trailer, "padded.png"), img)


def test_truncated_jpeg_with_a_complete_exif_thumbnail_is_still_refused():
    # The thumbnail inside APP1 has its own start-of-scan and end markers; they must not count.
    thumb = encode_jpeg(_rgb(8, 8), 80)
    app1 = b"\xff\xe1" + (len(thumb) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + thumb
    main = encode_jpeg(_rgb(64, 64), 90)
    full = main[:2] + app1 + main[2:]
    assert decode_image(full, "with-thumb.jpg").shape == (64, 64, 3)
    with pytest.raises(ImageError, match="truncated JPEG"):
        decode_image(full[: len(full) - len(main) // 3], "with-thumb.jpg")
