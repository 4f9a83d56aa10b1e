import numpy as np
import pytest
import scipy.signal

import blurgen
from blurgen.camera.blur import convolve
from blurgen.config import CameraConfig, DegradeConfig
from blurgen.images import read_image
from blurgen.kernels import centroid

PLAIN = DegradeConfig(camera=CameraConfig(linear="none", noise="none"))


def _psnr(a, b):
    mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def test_convolution_not_correlation_and_reflective_borders():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 1, (40, 52)).astype(np.float32)
    k = rng.uniform(0, 1, (7, 5)).astype(np.float32)  # asymmetric
    ref = scipy.signal.convolve2d(np.pad(img, ((3, 3), (2, 2)), mode="reflect"), k, mode="valid")
    np.testing.assert_allclose(convolve(img, k), ref, atol=1e-4)
    corr = scipy.signal.correlate2d(np.pad(img, ((3, 3), (2, 2)), mode="reflect"), k, mode="valid")
    assert np.abs(convolve(img, k) - corr).max() > 0.1


def test_even_kernel_origin_is_centre_pixel():
    img = np.zeros((21, 21), np.float32)
    img[10, 10] = 1
    k = np.zeros((4, 6), np.float32)
    k[0, 0] = 1  # one tap at offset (-2, -3) from the origin (2, 3)
    out = convolve(img, k)
    assert out[8, 7] == pytest.approx(1.0, abs=1e-5)


def test_rgb_channels_share_the_kernel_and_shape_is_kept():
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 1, (33, 47, 3)).astype(np.float32)
    k = blurgen.sample_kernels(1, rng)[0]
    out = convolve(img, k)
    assert out.shape == img.shape and out.dtype == np.float32
    for c in range(3):
        np.testing.assert_allclose(out[..., c], convolve(img[..., c], k), atol=1e-5)


def test_no_dark_frame_on_a_flat_image():
    flat = np.full((30, 60, 3), 0.7, np.float32)
    out = convolve(flat, blurgen.sample_kernels(1, np.random.default_rng(2))[0])
    np.testing.assert_allclose(out, 0.7, atol=1e-5)


def test_blurred_equals_sharp_convolved_with_reported_kernel_and_is_not_shifted(samples):
    sharp = read_image(samples / "chelsea.png")[::2, ::2]
    for seed in range(3):
        blurred, kernel = blurgen.degrade(sharp, np.random.default_rng(seed), PLAIN)
        h = kernel.shape[0] // 2
        np.testing.assert_allclose(centroid(kernel), (h, h), atol=1e-4)
        ref = np.clip(np.rint(convolve(sharp.astype(np.float32), kernel)), 0, 255)
        assert np.abs(ref - blurred).max() <= 1
        # A shifted copy would fit worse than the aligned one.
        shifted = np.roll(ref, 1, axis=1)
        assert _psnr(blurred[:, 8:-8], ref[:, 8:-8]) > _psnr(blurred[:, 8:-8], shifted[:, 8:-8]) + 10


def test_levin_published_blur_is_reproduced(real_blur):
    d = real_blur / "levin"
    kernels = np.load(d / "kernels.npz")
    for i in (1, 2, 3, 4):
        sharp = read_image(d / f"im_{i}.png", "grey")
        for j in range(1, 9):
            published = read_image(d / "blurred" / f"im_{i}_ker_{j}.png", "grey")
            ours, _ = blurgen.degrade(sharp, np.random.default_rng(0), PLAIN, kernel=kernels[f"k{j}"])
            m = 30  # the interior: borders differ by padding convention
            assert _psnr(ours[m:-m, m:-m], published[m:-m, m:-m]) >= 50, (i, j)
            flipped, _ = blurgen.degrade(sharp, np.random.default_rng(0), PLAIN, kernel=kernels[f"k{j}"][::-1, ::-1])
            assert _psnr(flipped[m:-m, m:-m], published[m:-m, m:-m]) < 45, (i, j)
