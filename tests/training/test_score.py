"""score: PSNR/SSIM equal skimage's on published real pairs (Levin, Koehler), the report, the contact sheet."""
import json

import numpy as np
import pytest
import tensorflow as tf
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from blurgen.images import read_image
from shardkit import REAL_BLUR, example_bytes, tiny_config
from training import metrics, score
from training.inference import Restorer
from training.networks import build_generator


def _sk_ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=255, channel_axis=-1)


def _real_pairs(root):
    """(key, blurred path, sharp path): 4 Levin pairs (grey PNG) and 2 Koehler pairs (JPEG, 800x800)."""
    levin = [(f"levin/im_{i}_ker_{k}", root / f"levin/blurred/im_{i}_ker_{k}.png", root / f"levin/im_{i}.png")
             for i, k in ((1, 1), (2, 3), (3, 5), (4, 8))]
    koehler = [(f"koehler/{s}_{k}", root / f"koehler/Blurry{s}_{k}.jpg", root / f"koehler/GroundTruth{s}.jpg")
               for s, k in ((1, 2), (3, 4))]
    return levin + koehler


@pytest.fixture(scope="module")
def real_shard(tmp_path_factory):
    if not REAL_BLUR.is_dir():
        pytest.skip(f"{REAL_BLUR} is absent: the published real-blur data ships only beside the project's "
                    "checkout (../shared/data/real-blur)")
    path = str(tmp_path_factory.mktemp("real") / "real-test.tfrecord-00000-of-00001")
    pairs = _real_pairs(REAL_BLUR)
    with tf.io.TFRecordWriter(path) as w:
        for key, b, s in pairs:
            fmt = "jpeg" if b.suffix == ".jpg" else "png"
            img = read_image(s)
            # The files' own bytes go in, as a pipeline over real pairs stores them.
            w.write(example_bytes(key, b.read_bytes(), s.read_bytes(), blurred_format=fmt, sharp_format=fmt,
                                  size=(img.shape[0], img.shape[1], 3)))
    return path, pairs


def test_metrics_equal_skimage_on_real_pairs(real_blur):
    for _, b, s in _real_pairs(real_blur):
        blurred, sharp = read_image(b), read_image(s)
        assert metrics.ssim(sharp, blurred) == pytest.approx(_sk_ssim(sharp, blurred), abs=1e-6)
        assert metrics.psnr(sharp, blurred) == pytest.approx(peak_signal_noise_ratio(sharp, blurred, data_range=255), abs=1e-9)
    # Grey images score like their own single channel.
    g_sharp, g_blur = read_image(real_blur / "levin/im_1.png", "grey"), read_image(real_blur / "levin/blurred/im_1_ker_2.png", "grey")
    sk = structural_similarity(g_sharp, g_blur, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    assert metrics.ssim(g_sharp, g_blur) == pytest.approx(sk, abs=1e-6)


def test_metrics_edge_cases():
    img = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert metrics.psnr(img, img) == float("inf") and metrics.ssim(img, img) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.ssim(img, img[:10])
    with pytest.raises(ValueError, match="too small"):
        metrics.ssim(img[:8, :8], img[:8, :8])


def test_score_identity_on_real_pairs_equals_skimage(real_shard, tmp_path):
    path, pairs = real_shard
    out = tmp_path / "identity.json"
    report = score.run(["--model", "identity", "--data", path, "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["format"] == score.REPORT_FORMAT and saved["count"] == len(pairs) == report["count"]
    for im, (key, b, s) in zip(saved["images"], pairs):
        assert im["key"] == key
        blurred, sharp = read_image(b), read_image(s)  # OpenCV's decode: the same pixels as the shard's
        assert im["blurry"]["ssim"] == pytest.approx(_sk_ssim(sharp, blurred), abs=1e-6)
        assert im["blurry"]["psnr"] == pytest.approx(peak_signal_noise_ratio(sharp, blurred, data_range=255), abs=1e-9)
        assert im["restored"] == im["blurry"]  # identity restores nothing
        assert (im["height"], im["width"]) == sharp.shape[:2]
    mean = np.mean([im["blurry"]["ssim"] for im in saved["images"]])
    assert saved["mean"]["blurry"]["ssim"] == pytest.approx(mean)
    sheet = read_image(saved["contact_sheet"])
    assert sheet.shape[0] == 4 * (192 + 4)  # four rows of blurred | restored | sharp


def test_score_of_a_model_equals_skimage_on_its_own_outputs(real_shard, tmp_path):
    path, pairs = real_shard
    model_file = tmp_path / "generator.keras"
    build_generator(tiny_config(gen_zero_init_output=False)).save(model_file)
    report = score.run(["--model", str(model_file), "--data", path, "--out", str(tmp_path / "r.json"), "--limit", "3"])
    restorer = Restorer(str(model_file))
    assert report["count"] == 3
    for im, (key, b, s) in zip(report["images"], pairs):
        sharp, restored = read_image(s), restorer(read_image(b))
        assert im["restored"]["ssim"] == pytest.approx(_sk_ssim(sharp, restored), abs=1e-6)
        assert im["restored"]["ssim"] != im["blurry"]["ssim"]
        assert im["seconds"] > 0
    assert report["seconds_per_image"]["median"] > 0
    assert "restored" in score.summary_line(report)


def test_score_names_a_missing_model(tmp_path, test_glob):
    with pytest.raises(ValueError, match="no such run directory"):
        score.run(["--model", str(tmp_path / "nope"), "--data", test_glob, "--out", str(tmp_path / "r.json")])
