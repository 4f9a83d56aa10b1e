import json

import numpy as np
import pytest

import blurgen
from blurgen.camera import decode_lut, from_linear, linear_to_srgb, srgb_to_linear, to_linear
from blurgen.config import CameraConfig, DegradeConfig
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
    for img in (photo, photo[..., 1], photo[..., :1]):
        out, k = blurgen.degrade(img, np.random.default_rng(0))
        assert out.dtype == np.uint8 and out.shape == img.squeeze().shape if img.ndim == 3 and img.shape[2] == 1 \
            else out.shape == img.shape
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
    lin, _ = blurgen.degrade(img, np.random.default_rng(0), DegradeConfig(camera=CameraConfig(noise="none")), k)
    raw, _ = blurgen.degrade(img, np.random.default_rng(0),
                             DegradeConfig(camera=CameraConfig(linear="none", noise="none")), k)
    assert raw[4, 7] == 128 and lin[4, 7] in (187, 188) and lin[4, 8] == 255


def test_srgb_curves_are_inverse_and_the_lut_matches():
    v = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(v).astype(np.float32)), v, atol=2e-6)
    np.testing.assert_allclose(decode_lut("srgb")[[0, 128, 255]], srgb_to_linear(np.array([0, 128, 255]) / 255),
                               rtol=1e-6)
    x = np.arange(256, dtype=np.uint8)
    assert np.array_equal(from_linear(to_linear(x, "srgb"), "srgb"), x)


def test_noise_level_follows_the_model():
    flat = np.full((200, 200), 128, np.uint8)
    lin = float(decode_lut("none")[128])
    cfg = DegradeConfig(camera=CameraConfig(linear="none", full_well=(500, 500), read_noise=(0.01, 0.01)))
    out, _ = blurgen.degrade(flat, np.random.default_rng(0), cfg, kernel=np.ones((1, 1), np.float32))
    expected = np.sqrt(lin / 500 + 0.01 ** 2) * 255
    assert out.std() == pytest.approx(expected, rel=0.05)
    exact = DegradeConfig(camera=CameraConfig(linear="none", full_well=(500, 500), read_noise=(0.01, 0.01),
                                              exact_poisson=True))
    out2, _ = blurgen.degrade(flat, np.random.default_rng(0), exact, kernel=np.ones((1, 1), np.float32))
    assert out2.std() == pytest.approx(expected, rel=0.05)


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
