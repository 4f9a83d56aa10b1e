"""Reading the EXIF orientation tag and turning pixels by it, checked against OpenCV's own decoder."""
from __future__ import annotations

import numpy as np
import pytest

from blurgen.images import decode_image, encode_png
from blurgen.images.orientation import apply_orientation, read_orientation
from exif_helpers import jpeg_with_orientation, png_with_orientation

# Flat 4x4 blocks: JPEG keeps them nearly exact, and any turn of the picture shows.
IMG = np.kron(np.random.default_rng(0).integers(0, 256, (6, 10, 3)), np.ones((4, 4, 1))).astype(np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("make", ["jpeg-MM", "jpeg-II", "png"])
def test_every_tag_is_read_and_applied_as_opencv_shows_it(orientation, make):
    data = (png_with_orientation(IMG, orientation) if make == "png"
            else jpeg_with_orientation(IMG, orientation, make[-2:]))
    assert read_orientation(data) == orientation
    stored = decode_image(data, orientation=False)
    assert stored.shape == IMG.shape
    viewer = decode_image(data)  # OpenCV applies the tag itself
    assert np.array_equal(apply_orientation(stored, orientation), viewer)


def test_no_tag_or_a_broken_one_reads_as_stored():
    assert read_orientation(encode_png(IMG)) == 1
    assert read_orientation(b"not an image") == 1
    cut = jpeg_with_orientation(IMG, 6)[:28]  # the Exif block cut inside its one entry
    assert read_orientation(cut) == 1
    assert read_orientation(jpeg_with_orientation(IMG, 9)) == 1  # not a valid orientation
    with pytest.raises(ValueError, match="1 to 8"):
        apply_orientation(IMG, 0)
