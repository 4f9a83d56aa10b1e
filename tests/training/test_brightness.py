"""blurgen's default pairs keep the brightness of the sharp photo, so models trained on them do not
learn to darken.

A normalised kernel keeps the mean of the values it blurs. Blur in linear light does not keep the
mean of the stored values once the tone curve is applied again: the blurred photo comes out
brighter than the sharp one, and a model trained on such pairs learns to darken every photo it
restores, which cost it more than it gained on real blur (the realism benchmark, `make realism`,
measured both: the data's shift, and the restored images' shift on Levin, Koehler and Lai). These
tests hold the data to it, on the sample photos, for the default recipe and the linear-light one,
and a model fitted to a fixed small batch of each to the shift it learns.
"""
import numpy as np

import blurgen
from blurgen.config import CameraConfig, DegradeConfig
from blurgen.seeding import example_rng
from shardkit import SAMPLE_NAMES, sample_pairs, write_shards
from training.commands import fit
from training.inference import Restorer

# Grey levels. Noise clipped at black and white and the border of a small photo (what a long
# kernel reads past the edge) move one pair's mean a little (up to 0.47 on these 128 px photos);
# blur in linear light moved them by 4.3 on average.
KEPT = 0.1
ONE_PAIR = 1.0
# The bar the realism benchmark holds a trained model's own shift to on every test set.
MODEL_SHIFT = 0.5


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


def _own_shift_on_a_fixed_batch(config: DegradeConfig, tmp_path) -> np.ndarray:
    """Fit the smoke network to one fixed batch (four 64 px pairs of the sample photos, the
    whole of each image as the crop) for 300 steps; the model's own shift on that batch, mean of
    restored minus mean of its blurred input, per image (levels). Fitting one batch closely
    needs few steps, and then the model's shift is what the pairs taught it, not a half-trained
    network's bias."""
    batch = []
    for key, _, sharp in sample_pairs(64, variants=1, seed=0, names=SAMPLE_NAMES[:4]):
        k = f"{key.split('#')[0]}#v0"
        batch.append((k, blurgen.degrade(sharp, example_rng(0, k, 0), config)[0], sharp))
    write_shards(tmp_path / "data", batch, "train", count=1)
    fit.run(["--train", str(tmp_path / "data" / "*-train.tfrecord-*"), "--out", str(tmp_path / "run"),
             "--preset", "smoke", "--gen-filters", "8", "--gen-blocks", "1", "--crop", "64", "--batch", "4",
             "--shuffle-buffer", "4", "--epochs", "1", "--steps-per-epoch", "300", "--samples", "1",
             "--verbose", "0", "--val-fraction", "0"])
    restore = Restorer(str(tmp_path / "run" / "generator.keras"))
    return np.array([restore(b).astype(np.float64).mean() - b.astype(np.float64).mean() for _, b, _ in batch])


def test_a_model_fitted_to_default_pairs_keeps_the_brightness_of_what_it_restores(tmp_path):
    own = _own_shift_on_a_fixed_batch(DegradeConfig(), tmp_path)
    assert abs(own.mean()) < MODEL_SHIFT, f"the model's own shift is {own.mean():+.2f} levels ({own.round(2)})"


def test_a_model_fitted_to_linear_light_pairs_darkens(tmp_path):
    """The check above sees the shift that blur in linear light teaches: these pairs' sharp images are
    6.7 levels darker than their blurred ones, and the model learns most of it."""
    own = _own_shift_on_a_fixed_batch(DegradeConfig(camera=CameraConfig(linear="srgb")), tmp_path)
    assert own.mean() < -3 * MODEL_SHIFT, f"the model's own shift is {own.mean():+.2f} levels ({own.round(2)})"
