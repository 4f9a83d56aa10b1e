import json
import math

import numpy as np
import pytest
from scipy import stats

import blurgen
from blurgen.camera import decode_lut, from_linear, linear_to_srgb, srgb_to_linear, to_linear
from blurgen.config import CameraConfig, DegradeConfig
from blurgen.degradation import expose
from blurgen.images import read_image


@pytest.fixture
def photo(samples):
    return read_image(samples / "coffee.png")[::4, ::4]  # 100x150 RGB


def test_same_seed_same_bytes_other_seed_other_bytes(photo):
    cfg = DegradeConfig(camera=CameraConfig(jpeg_quality=(60, 90), highlight_boost=(1, 3)))
    a = blurgen.degrade(photo, np.random.default_rng(5), cfg)
    b = blurgen.degrade(photo, np.random.default_rng(5), cfg)
    c = blurgen.degrade(photo, np.random.default_rng(6), cfg)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert a[0].tobytes() != c[0].tobytes()


def test_shapes_dtypes_grey_and_rgb(photo):
    grey = photo.shape[:2]
    for img, shape in ((photo, photo.shape), (photo[..., 1], grey), (photo[..., :1], grey)):
        out, k = blurgen.degrade(img, np.random.default_rng(0))
        assert out.dtype == np.uint8, img.shape
        assert out.shape == shape, img.shape
        assert k.dtype == np.float32 and k.ndim == 2 and k.shape[0] % 2 == 1


def test_params_are_json_and_name_what_was_drawn(photo):
    r = blurgen.degrade_with_params(photo, np.random.default_rng(1))
    text = json.dumps(r.params)
    assert r.params["kernel"]["family"] == "trajectory"
    assert r.params["noise"] == "poisson-gaussian" and 1000 <= r.params["full_well"] <= 20000
    assert json.loads(text)["kernel_size"] == list(r.kernel.shape)


def test_given_kernel_is_used_as_is(photo):
    k = np.zeros((5, 5), np.float32)
    k[2, 2] = 2.0  # not normalised: doubles the image
    cfg = DegradeConfig(camera=CameraConfig(linear="none", noise="none"))
    out, used = blurgen.degrade(photo, np.random.default_rng(0), cfg, kernel=k)
    assert np.array_equal(used, k)
    assert np.array_equal(out, np.clip(photo.astype(int) * 2, 0, 255).astype(np.uint8))


def test_identity_kernel_round_trips_through_linear_light(photo):
    delta = np.ones((1, 1), np.float32)
    for mode in ("srgb", "gamma", "none"):
        cfg = DegradeConfig(camera=CameraConfig(linear=mode, noise="none"))
        out, _ = blurgen.degrade(photo, np.random.default_rng(0), cfg, kernel=delta)
        assert np.abs(out.astype(int) - photo).max() <= 1, mode


def test_linear_light_blur_is_brighter_on_edges_than_srgb_blur():
    # Averaging black and white in linear light gives sRGB 188, not 128.
    img = np.zeros((8, 16), np.uint8)
    img[:, 8:] = 255
    k = np.array([[0.5, 0.5]], np.float32)
    k = np.pad(k, ((0, 0), (0, 1)))  # odd width, origin at index 1: out[x] = (img[x + 1] + img[x]) / 2
    lin, _ = blurgen.degrade(img, np.random.default_rng(0),
                             DegradeConfig(camera=CameraConfig(linear="srgb", noise="none")), k)
    # The default blurs stored values (make realism chose it: see CameraConfig).
    raw, _ = blurgen.degrade(img, np.random.default_rng(0), DegradeConfig(camera=CameraConfig(noise="none")), k)
    assert raw[4, 7] == 128 and lin[4, 7] in (187, 188) and lin[4, 8] == 255


@pytest.mark.parametrize("gamma", [1.8, 2.6])
def test_gamma_mode_blurs_in_the_light_of_the_given_gamma(gamma):
    # Levels 64 and 255 averaged in the light of x ** gamma: 255 * (((64 / 255) ** g + 1) / 2) ** (1 / g).
    img = np.full((8, 16), 64, np.uint8)
    img[:, 8:] = 255
    k = np.pad(np.array([[0.5, 0.5]], np.float32), ((0, 0), (0, 1)))  # out[x] = (img[x + 1] + img[x]) / 2
    cfg = DegradeConfig(camera=CameraConfig(linear="gamma", gamma=gamma, noise="none"))
    out, _ = blurgen.degrade(img, np.random.default_rng(0), cfg, k)
    expected = 255 * (((64 / 255) ** gamma + 1) / 2) ** (1 / gamma)
    assert abs(int(out[4, 7]) - expected) <= 0.5 + 1e-6, (out[4, 7], expected)
    assert out[4, 0] == 64 and out[4, 15] == 255


def test_srgb_curves_are_inverse_and_the_lut_matches():
    v = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(v).astype(np.float32)), v, atol=2e-6)
    np.testing.assert_allclose(decode_lut("srgb")[[0, 128, 255]], srgb_to_linear(np.array([0, 128, 255]) / 255),
                               rtol=1e-6)
    x = np.arange(256, dtype=np.uint8)
    assert np.array_equal(from_linear(to_linear(x, "srgb"), "srgb"), x)


def _stored_statistics(level: int, linear: str, full_well: float | None, read: float) -> tuple[float, float]:
    """Mean and standard deviation of the stored value of a flat grey ``level`` after the camera model,
    by numerical integration over the noise, written from the model's definition and not from
    blurgen.camera: linear light ``x`` (the sRGB curve undone, or the value itself), plus Gaussian
    noise of variance ``x / full_well + read ** 2``, the tone curve, rounding, clipping to 0..255."""
    v = level / 255.0
    x = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4) if linear == "srgb" else v
    sigma = math.sqrt((x / full_well if full_well else 0.0) + read ** 2)
    z = np.linspace(-9, 9, 360001)
    p = np.exp(-z ** 2 / 2)
    p /= p.sum()
    y = x + sigma * z
    if linear == "srgb":
        y = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.maximum(y, 0.0031308) ** (1 / 2.4) - 0.055)
    stored = np.clip(np.rint(y * 255), 0, 255)
    mean = float((stored * p).sum())
    return mean, math.sqrt(float(((stored - mean) ** 2 * p).sum()))


@pytest.mark.parametrize("linear, level, full_well, read", [
    ("none", 128, 500, 0.01),     # shot and read noise together (read noise is 9 % of the variance)
    ("none", 128, 1e6, 0.01),     # read noise alone, almost
    ("none", 128, 200, 0.0),      # shot noise alone
    ("none", 128, None, 0.02),    # --noise gaussian: read noise only
    ("srgb", 40, 1000, 0.005),    # a dark grey: noise in linear light, strong after the tone curve
    ("srgb", 200, 2000, 0.002),
])
def test_noise_statistics_follow_the_model(linear, level, full_well, read):
    # 40,000 independent pixels estimate the standard deviation to about 0.4 %: a 3 % tolerance
    # separates the model from one without read noise (4.6 % lower in the first case) or with
    # the noise added after the tone curve.
    flat = np.full((200, 200), level, np.uint8)
    cam = dict(linear=linear, read_noise=(read, read))
    cam.update(noise="gaussian") if full_well is None else cam.update(full_well=(full_well, full_well))
    cases = [False] if full_well is None else [False, True]  # exact Poisson counts too
    expected_mean, expected_std = _stored_statistics(level, linear, full_well, read)
    for exact in cases:
        cfg = DegradeConfig(camera=CameraConfig(exact_poisson=exact, **cam))
        out, _ = blurgen.degrade(flat, np.random.default_rng(0), cfg, kernel=np.ones((1, 1), np.float32))
        assert out.std() == pytest.approx(expected_std, rel=0.03), exact
        assert out.mean() == pytest.approx(expected_mean, abs=0.3), exact


def test_full_well_is_drawn_log_uniformly_over_its_range():
    # Log-uniform over 100..100,000 photons: each decade gets a third of the draws (a uniform draw
    # would put under 1 % in the first decade), and the logs pass a test of uniformity.
    cam = CameraConfig(full_well=(100, 100000), read_noise=(0.001, 0.002))
    rng = np.random.default_rng(0)
    x = np.full((2, 2), 0.5, np.float32)
    drawn = [expose(x, rng, cam)[1] for _ in range(600)]
    wells = np.array([d["full_well"] for d in drawn])
    assert wells.min() >= 100 and wells.max() <= 100000
    u = np.log10(wells) - 2.0  # in [0, 3]
    counts = np.histogram(u, bins=3, range=(0, 3))[0] / len(u)
    np.testing.assert_allclose(counts, 1 / 3, atol=0.06)
    assert stats.kstest(u / 3, "uniform").pvalue > 0.01
    reads = np.array([d["read_noise"] for d in drawn])
    assert 0.001 <= reads.min() and reads.max() <= 0.002
    assert stats.kstest((reads - 0.001) / 0.001, "uniform").pvalue > 0.01


def test_highlight_boost_widens_saturated_streaks():
    img = np.full((41, 41), 40, np.uint8)
    img[20, 20] = 255
    k = np.full((1, 9), 1 / 9, np.float32)
    plain = DegradeConfig(camera=CameraConfig(noise="none"))
    boosted = DegradeConfig(camera=CameraConfig(noise="none", highlight_boost=(20, 20)))
    a, _ = blurgen.degrade(img, np.random.default_rng(0), plain, k)
    b, _ = blurgen.degrade(img, np.random.default_rng(0), boosted, k)
    assert (a == 255).sum() == 0 and (b == 255).sum() == 9


def test_jpeg_step_changes_pixels_and_is_recorded(photo):
    cfg = DegradeConfig(camera=CameraConfig(noise="none", jpeg_quality=(30, 30)))
    r = blurgen.degrade_with_params(photo, np.random.default_rng(0), cfg)
    plain = blurgen.degrade(photo, np.random.default_rng(0), DegradeConfig(camera=CameraConfig(noise="none")))[0]
    assert r.params["jpeg_quality"] == 30 and not np.array_equal(r.blurred, plain)


def test_config_round_trips_through_json():
    cfg = DegradeConfig(camera=CameraConfig(jpeg_quality=(70, 90), linear="gamma"))
    assert DegradeConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


@pytest.mark.parametrize("bad, match", [
    (np.zeros((4, 4), np.float32), "uint8"),
    (np.zeros((4, 4, 4), np.uint8), "HxW grey or HxWx3"),
    (np.zeros((0, 4), np.uint8), "HxW grey or HxWx3"),
])
def test_bad_images_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        blurgen.degrade(bad, np.random.default_rng(0))


def test_bad_kernels_are_refused(photo):
    with pytest.raises(ValueError, match="2-D"):
        blurgen.degrade(photo, np.random.default_rng(0), kernel=np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        blurgen.degrade(photo, np.random.default_rng(0), kernel=np.full((3, 3), np.nan))


def test_config_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match=r"\['camera.nois'\]"):
        DegradeConfig.from_dict({"camera": {"nois": "none"}})
    with pytest.raises(ValueError, match=r"kernel.trajectory.lenght"):
        DegradeConfig.from_dict({"kernel": {"trajectory": {"lenght": 3}}})


def test_config_from_dict_names_values_of_the_wrong_kind():
    with pytest.raises(ValueError, match=r"kernel.weights must be a list"):
        DegradeConfig.from_dict({"kernel": {"weights": 3}})
    with pytest.raises(ValueError, match=r"kernel.trajectory.canvas must be a number"):
        DegradeConfig.from_dict({"kernel": {"trajectory": {"canvas": "x"}}})
    cfg = DegradeConfig.from_dict({"camera": {"jpeg_quality": [70, 80]}, "kernel": {"trajectory": {"anxiety": 0.01}}})
    assert cfg.camera.jpeg_quality == (70, 80) and cfg.kernel.trajectory.anxiety == 0.01
