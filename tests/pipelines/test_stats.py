"""The dataset statistics of the card, one measure at a time, against answers worked out independently."""
from __future__ import annotations

import math

import numpy as np
import pytest

from blurgen.shards import schema
from blurgen.camera import add_noise, from_linear, srgb_to_linear
from blurgen.images import encode_png
from blurgen.kernels.realshake import RECORDED, extent
from pipelines.cards import stats
from pipelines.cards.stats import DatasetStats, Histogram, PairFacts


@pytest.mark.parametrize("mode,full_well,read", [("none", None, 0.01), ("srgb", 2000.0, 0.002),
                                                 ("gamma", 800.0, 0.0), ("srgb", 20000.0, 0.003)])
def test_noise_from_parameters_is_the_noise_the_camera_model_puts_at_mid_grey(mode, full_well, read):
    """Simulate the camera on a flat field whose stored value is mid-grey: the spread of the stored
    values must be the sigma the card derives from the parameters."""
    gamma = 1.8
    level = {"none": 0.5, "srgb": float(srgb_to_linear(0.5)), "gamma": 0.5 ** gamma}[mode]
    field = np.full((400, 400), level, np.float32)
    noisy = add_noise(field, np.random.default_rng(0), full_well, read)
    stored = from_linear(noisy, mode, gamma).astype(np.float64)
    params = {"camera": {"linear": mode, "noise": "gaussian" if full_well is None else "poisson-gaussian",
                         "full_well": full_well, "read_noise": read}}
    want = stats.noise_from_params(params, gamma)
    # 160,000 samples: the sample sigma is within 1 %; rounding to whole levels adds 1/12 level^2.
    got = math.sqrt(max(stored.var() - 1 / 12, 0.0))
    assert got == pytest.approx(want, rel=0.04)


def test_noise_parameters_where_each_pipeline_keeps_them():
    synth = {"degrade": {"noise": "none", "linear": "srgb"}}
    video = {"clip": "a.mp4", "camera": {"noise": "gaussian", "full_well": None, "read_noise": 0.01, "linear": "none"}}
    assert stats.noise_from_params(synth) == 0.0
    assert stats.noise_from_params(video) == pytest.approx(2.55)
    assert stats.noise_from_params({"layout": "gopro"}) is None
    assert stats.noise_from_params({"camera": {"noise": "some-new-model"}}) is None


@pytest.mark.parametrize("sigma", [2.0, 5.0, 10.0])
def test_noise_estimate_recovers_gaussian_noise_on_a_smooth_image(sigma):
    y, x = np.mgrid[0:240, 0:320]
    smooth = 60 + 0.3 * x + 0.2 * y  # a ramp: Immerkaer's operator cancels it exactly
    noisy = smooth[..., None] + np.random.default_rng(1).normal(0, sigma, (240, 320, 3))
    assert stats.estimate_noise(np.clip(np.round(noisy), 0, 255).astype(np.uint8)) == pytest.approx(sigma, rel=0.06)
    assert stats.estimate_noise(np.zeros((2, 9, 3), np.uint8)) is None


def test_psnr_of_pairs():
    a = np.full((4, 5, 3), 100, np.uint8)
    b = a.copy()
    b[0, 0, 0] = 110  # mse = 100 / 60
    assert stats.psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 * 60 / 100))
    assert stats.psnr(a, a) == math.inf
    with pytest.raises(ValueError, match="differ in size"):
        stats.psnr(a, a[:2])


def test_families_and_exposures_of_known_unknown_and_missing_parameters():
    traj = {"degrade": {"kernel": {"family": "trajectory", "exposure": 0.5}}}
    assert (stats.family_of(traj, True), stats.exposure_of(traj)) == ("trajectory", "0.5 of the path")
    rotation = {"degrade": {"kernel": {"family": "rotation", "angle": 3.0}}}  # a family this code never heard of
    assert (stats.family_of(rotation, True), stats.exposure_of(rotation)) == ("rotation", "none (rotation kernel)")
    video = {"clip": "c.mp4", "frames": 7, "camera": {}}
    assert (stats.family_of(video, False), stats.exposure_of(video)) == ("video frames (no kernel)", "7 frames averaged")
    shutter = {"clip": "c.mp4", "frames": 7, "exposure": "1/48 s"}
    assert stats.exposure_of(shutter) == "1/48 s"
    assert stats.family_of({"layout": "gopro"}, False) == "real pairs (no kernel)"
    assert (stats.family_of({}, True), stats.exposure_of({})) == ("kernel, family not recorded", "not recorded")


def _example(key, blurred, sharp, kernel, params):
    return {schema.KEY: key, schema.BLURRED: encode_png(blurred), schema.SHARP: encode_png(sharp),
            schema.HEIGHT: sharp.shape[0], schema.WIDTH: sharp.shape[1], schema.KERNEL: kernel, schema.PARAMS: params}


def test_pair_facts_of_a_real_pair_estimate_its_noise_and_measure_the_pair():
    sharp = np.full((40, 50, 3), 120, np.uint8)
    blurred = np.clip(sharp + np.random.default_rng(2).normal(0, 4, sharp.shape), 0, 255).astype(np.uint8)
    f = stats.pair_facts(_example("k", blurred, sharp, None, {"layout": "folders"}), "test")
    assert (f.split, f.extent, f.family, f.noise_from, f.width, f.height) == (
        "test", None, "real pairs (no kernel)", "estimated", 50, 40)
    assert f.noise == pytest.approx(4.0, rel=0.1)
    assert f.psnr == pytest.approx(stats.psnr(blurred, sharp))


def test_extent_is_the_bounding_box_of_values_above_one_percent_of_the_peak():
    k = np.zeros((9, 11), np.float32)
    k[4, 1:10] = 1.0  # a 9 px line
    k[0, 5] = 0.011  # above 1 %: counts
    k[8, 0] = 0.009  # below: does not
    assert extent(k) == 9 and extent(k.T) == 9
    k[8, 0] = 0.02
    assert extent(k) == 10
    assert extent(np.zeros((3, 3))) == 0 and extent(np.zeros((0, 0))) == 0
    assert [len(r.kernels) for r in RECORDED] == [8, 4, 4]


def test_histogram_and_counters_hold_a_fixed_amount_whatever_the_number_of_pairs():
    h = Histogram(0.1, 10.0)
    for v in np.linspace(0, 20, 5001):  # values past the top share the last bin
        h.add(float(v))
    assert len(h.counts) == 100 and h.n == 5001 and h.high == 20.0
    assert h.quantile(0.25) == pytest.approx(5.0, abs=0.06)
    s = DatasetStats()
    for i in range(stats.MOST_SIZES + 500):
        s.add(PairFacts("train", i % 40, f"family{i}", "not recorded", 1.0, "parameters", 30.0, 10 + i, 20 + i, 9))
    assert len(s.sizes) == stats.MOST_SIZES + 1 and s.sizes[stats.OTHER] == 500
    assert len(s.families) == stats.MOST_LABELS + 1
    assert s.total == stats.MOST_SIZES + 500 and sum(s.extents.values()) == s.total and len(s.extents) == 40
    assert s.extent_summary()["p50"] == 19 and s.share_below(20) == pytest.approx(0.5, abs=0.01)
