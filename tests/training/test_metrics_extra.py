"""MS-SSIM, VIFp and FSIM against a second implementation on real blurred/sharp pairs."""
import glob
import os

import numpy as np
import pytest
from scipy import signal

pytest.importorskip("tensorflow")
sewar_full_ref = pytest.importorskip("sewar.full_ref")
Image = pytest.importorskip("PIL.Image")

from training.metrics import extra as mx  # noqa: E402

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "real-blur")
# The real_blur fixture (tests/conftest.py) skips where ../shared is absent, and fails in CI.
needs_real = pytest.mark.usefixtures("real_blur")

# piq 0.8.0's fsim (PyTorch, a port of the authors' MATLAB code) on the same pairs, printed by
#   .venv/bin/python benchmarks/check_fsim_reference.py --torch-python /tmp/lpref/bin/python
PIQ_FSIM = {
    ("levin", 1, 1, False): 0.8062835054, ("levin", 1, 4, False): 0.6682397949,
    ("levin", 2, 2, False): 0.7071995697, ("levin", 3, 6, False): 0.6736004276,
    ("levin", 4, 8, False): 0.7515919649,
    ("koehler", 1, 1, True): 0.7976384617, ("koehler", 1, 1, False): 0.7993870145,
    ("koehler", 2, 3, True): 0.6498493862, ("koehler", 2, 3, False): 0.6526475139,
    ("koehler", 4, 2, True): 0.7423931733, ("koehler", 4, 2, False): 0.7442763520,
}


def _levin(i, j):
    read = lambda p: np.asarray(Image.open(p).convert("L"))  # noqa: E731
    return read(f"{REAL}/levin/im_{i}.png"), read(f"{REAL}/levin/blurred/im_{i}_ker_{j}.png")


def _koehler(scene, k):
    read = lambda p: np.asarray(Image.open(p).convert("RGB"))[250:550, 250:550]  # noqa: E731
    return read(sorted(glob.glob(f"{REAL}/koehler/GroundTruth{scene}.*"))[0]), read(f"{REAL}/koehler/Blurry{scene}_{k}.jpg")


@needs_real
@pytest.mark.parametrize("key", sorted(PIQ_FSIM))
def test_fsim_equals_piq_on_real_pairs(key):
    source, i, j, chromatic = key
    a, b = _levin(i, j) if source == "levin" else _koehler(i, j)
    assert mx.fsim(a, b, chromatic=chromatic) == pytest.approx(PIQ_FSIM[key], abs=1e-4)


@needs_real
def test_fsim_is_one_for_identical_images_and_falls_with_more_blur():
    a, _ = _levin(1, 1)
    assert mx.fsim(a, a) == pytest.approx(1.0, abs=1e-12)
    box = [signal.convolve2d(a.astype(float), np.full((n, n), 1 / n ** 2), mode="same", boundary="symm")
           for n in (3, 7, 15)]
    scores = [mx.fsim(a, np.clip(b, 0, 255).round().astype(np.uint8)) for b in box]
    assert scores[0] > scores[1] > scores[2]


def _vifp_second(ref, dist, sigma_nsq=2.0):
    """VIFp written from Sheikh and Bovik's pixel-domain description (the second implementation)."""
    ref, dist = ref.astype(np.float64), dist.astype(np.float64)
    num = den = 0.0
    for scale in range(1, 5):
        n = 2 ** (5 - scale) + 1
        r = np.arange(n) - n // 2
        g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * (n / 5) ** 2))
        g /= g.sum()
        filt = lambda x: signal.correlate2d(x, g, mode="valid")  # noqa: E731
        if scale > 1:
            ref, dist = filt(ref)[::2, ::2], filt(dist)[::2, ::2]
        mu1, mu2 = filt(ref), filt(dist)
        s1 = np.maximum(filt(ref * ref) - mu1 ** 2, 0)
        s2 = np.maximum(filt(dist * dist) - mu2 ** 2, 0)
        s12 = filt(ref * dist) - mu1 * mu2
        gain = s12 / (s1 + 1e-10)
        sv = s2 - gain * s12
        gain[s1 < 1e-10], sv[s1 < 1e-10], s1[s1 < 1e-10] = 0, s2[s1 < 1e-10], 0
        gain[s2 < 1e-10], sv[s2 < 1e-10] = 0, 0
        sv[gain < 0] = s2[gain < 0]
        gain[gain < 0] = 0
        sv[sv <= 1e-10] = 1e-10
        num += np.sum(np.log10(1 + gain ** 2 * s1 / (sv + sigma_nsq)))
        den += np.sum(np.log10(1 + s1 / sigma_nsq))
    return num / den


@needs_real
@pytest.mark.parametrize("i,j", [(1, 1), (2, 5), (4, 8)])
def test_vifp_from_sewar_equals_a_second_implementation(i, j):
    a, b = _levin(i, j)
    value = mx.vifp(a, b)
    assert value == pytest.approx(_vifp_second(a, b), rel=1e-9)
    assert 0 < value < 1
    assert mx.vifp(a, a) == pytest.approx(1.0, abs=1e-9)


@needs_real
def test_vifp_on_colour_uses_the_luma():
    a, b = _koehler(1, 1)
    luma = lambda x: x.astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # noqa: E731
    assert mx.vifp(a, b) == pytest.approx(_vifp_second(luma(a), luma(b)), rel=1e-9)


@needs_real
@pytest.mark.parametrize("i,j", [(1, 1), (1, 4), (3, 6)])
def test_ms_ssim_agrees_with_sewar(i, j):
    a, b = _levin(i, j)
    ours = mx.ms_ssim(a, b)
    # sewar differs in how it treats borders between scales; 0.003 is the most seen on these pairs.
    assert ours == pytest.approx(sewar_full_ref.msssim(a, b, MAX=255), abs=5e-3)
    assert mx.ms_ssim(a, a) == pytest.approx(1.0, abs=1e-6)


def test_ms_ssim_says_which_size_it_needs_and_inputs_are_checked():
    small = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="at least 161 px"):
        mx.ms_ssim(small, small)
    with pytest.raises(ValueError, match="differ in shape"):
        mx.fsim(small, small[:32])
    with pytest.raises(ValueError, match="uint8"):
        mx.vifp(small.astype(np.float32), small.astype(np.float32))
    assert set(mx.EXTRA_METRICS) == {"ms_ssim", "vifp", "fsim"}


def test_registered_ms_ssim_gives_nan_for_small_images_instead_of_stopping():
    small = np.zeros((64, 64, 3), np.uint8)
    assert np.isnan(mx.EXTRA_METRICS["ms_ssim"](small, small))
