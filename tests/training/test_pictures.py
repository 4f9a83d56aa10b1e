"""fit's per-epoch samples: crops enlarged by a whole factor, titled, each row with its PSNR."""
from __future__ import annotations

import numpy as np

from blurgen.pictures import preview
from training.metrics import protocol as metrics
from training.gan import pictures


def test_sample_picture_enlarges_small_crops_and_captions_their_psnr():
    rng = np.random.default_rng(0)
    sharp = rng.uniform(-1, 1, (2, 64, 48, 3)).astype(np.float32)
    blurred = np.clip(sharp + rng.normal(0, 0.1, sharp.shape), -1, 1).astype(np.float32)
    restored = sharp.copy()
    restored[1] = blurred[1]
    pic = pictures.sample_picture(blurred, restored, sharp, epoch=3, step=180, total_steps=1200)
    band = preview.LINE + 6
    assert pic.shape[0] == band + band + 2 * (band + 256 + preview.GAP)  # 64 px crops shown x4
    s, b = pictures.to_uint8(sharp), pictures.to_uint8(blurred)
    # the rows hold the crops themselves, each pixel repeated 4x4
    top, left = 3 * band, preview.GAP
    np.testing.assert_array_equal(pic[top:top + 256, left:left + 192], np.repeat(np.repeat(b[0], 4, 0), 4, 1))
    want = preview.titled(preview.sheet(
        ["blurred", "restored", "sharp"], [[b[i], pictures.to_uint8(restored)[i], s[i]] for i in range(2)], 256,
        [[f"crop 1: PSNR restored identical, blurred {metrics.psnr(s[0], b[0]):.2f} dB"],
         [f"crop 2: PSNR restored {metrics.psnr(s[1], b[1]):.2f} dB, blurred {metrics.psnr(s[1], b[1]):.2f} dB"]]),
        ["epoch 3, step 180 of 1200: 2 fixed 48x64 px crops, shown x4"])
    np.testing.assert_array_equal(pic, want)


def test_to_uint8_matches_the_trainer_s_conversion():
    x = np.array([-1.0, -0.9961, 0.0, 0.5, 1.0, 1.7], np.float32)
    np.testing.assert_array_equal(pictures.to_uint8(x), [0, 0, 128, 191, 255, 255])
