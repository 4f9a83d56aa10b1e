"""blurgen's default pairs keep the brightness of the sharp photo, so models trained on them do not
learn to darken.

A normalised kernel keeps the mean of the values it blurs. Blur in linear light does not keep the
mean of the stored values once the tone curve is applied again: the blurred photo comes out
brighter than the sharp one, and a model trained on such pairs learns to darken every photo it
restores, which cost it more than it gained on real blur (the realism benchmark, `make realism`,
measured both: the data's shift, and the restored images' shift on Levin, Koehler and Lai). These
tests hold the data to it, on the sample photos, for the default recipe and the linear-light one.
"""
import numpy as np

import blurgen
from blurgen.config import CameraConfig, DegradeConfig
from blurgen.seeding import example_rng
from shardkit import SAMPLE_NAMES, sample_pairs

# Grey levels. Noise clipped at black and white and the border of a small photo (what a long
# kernel reads past the edge) move one pair's mean a little (up to 0.47 on these 128 px photos);
# blur in linear light moved them by 4.3 on average.
KEPT = 0.1
ONE_PAIR = 1.0


def _shifts(config: DegradeConfig, variants: int = 4) -> np.ndarray:
    """Mean of blurred minus mean of sharp (levels) for each sample photo blurred ``variants`` times."""
    out = []
    for key, _, sharp in sample_pairs(128, variants=1, seed=0, names=SAMPLE_NAMES):
        for v in range(variants):
            blurred, _ = blurgen.degrade(sharp, example_rng(0, key, v), config)
            out.append(blurred.astype(np.float64).mean() - sharp.astype(np.float64).mean())
    return np.array(out)


def test_default_pairs_keep_the_mean_of_the_sharp_photo():
    shifts = _shifts(DegradeConfig())
    assert abs(shifts.mean()) < KEPT / 2, shifts
    assert np.abs(shifts).max() < ONE_PAIR, shifts


def test_pairs_blurred_in_linear_light_come_out_brighter():
    """The check above sees the cause if it came back: the same photos blurred in linear light."""
    shifts = _shifts(DegradeConfig(camera=CameraConfig(linear="srgb")))
    assert shifts.mean() > 1.0 and (shifts > KEPT).all(), shifts
