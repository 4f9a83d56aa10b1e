"""The RAW sensor pipeline (``--isp raw``) against what a camera does: colours survive the trip
through camera RAW, the mosaic puts each colour where its pattern says, highlights clip white,
and the noise of a flat grey photo is correlated between neighbours and channels, as
demosaicing makes it, where the RGB camera model leaves it independent."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import blurgen
from blurgen.camera.profiles import CAMERAS, camera_from_srgb
from blurgen.cli import main
from blurgen.config import BAYER_PATTERNS, DEMOSAIC_METHODS, CameraConfig, DegradeConfig, IspConfig
from blurgen.images import read_image, write_image
from blurgen.camera.isp import bayer_mosaic, demosaic

STILL = np.ones((1, 1), np.float32)  # no blur


def _raw(camera=None, **isp) -> DegradeConfig:
    return DegradeConfig(camera=CameraConfig(**(camera or {"noise": "none"})), isp=IspConfig(mode="raw", **isp))


def _psnr(a, b):
    return 10 * np.log10(255.0 ** 2 / np.mean((a.astype(float) - b.astype(float)) ** 2))


def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))


def test_camera_matrices_keep_white_white_and_are_the_published_ones():
    for name in CAMERAS:
        m = camera_from_srgb(name)
        np.testing.assert_allclose(m @ np.ones(3), 1.0, rtol=1e-12)
        assert np.linalg.cond(m) < 10
    # dcraw's Canon EOS 5D Mark II entry, XYZ -> camera, x 10,000: its first row.
    from blurgen.camera.profiles import XYZ_TO_CAMERA
    assert XYZ_TO_CAMERA["canon-eos-5d-mark-ii"][:3] == (4716, 603, -830)


@pytest.mark.parametrize("pattern", BAYER_PATTERNS)
def test_the_mosaic_records_each_colour_where_its_pattern_puts_it(pattern):
    rgb = np.zeros((4, 4, 3), np.float32)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 0.9, 0.5, 0.1
    tile = bayer_mosaic(rgb, pattern)[:2, :2]
    names = {0.9: "r", 0.5: "g", 0.1: "b"}
    assert "".join(names[round(float(v), 1)] for v in tile.ravel()) == pattern


@pytest.mark.parametrize("method", DEMOSAIC_METHODS)
@pytest.mark.parametrize("pattern", BAYER_PATTERNS)
def test_demosaicing_gives_back_flat_colours(pattern, method):
    rgb = np.zeros((12, 12, 3), np.float32)
    rgb[...] = (0.8, 0.3, 0.1)
    out = demosaic(bayer_mosaic(rgb, pattern), pattern, method)
    tol = 0.01 if method == "vng" else 1e-4  # VNG works on 8-bit mosaics
    np.testing.assert_allclose(out[3:9, 3:9], rgb[3:9, 3:9], atol=tol)


def test_without_noise_or_blur_the_photo_comes_back_within_the_demosaicing_loss(samples):
    for name in ("coffee.png", "chelsea.png", "rocket.jpg"):
        photo = read_image(samples / name)
        for seed in range(2):
            out, _ = blurgen.degrade(photo, np.random.default_rng(seed), _raw(), kernel=STILL)
            # Bilinear demosaicing of these pixel-sharp photos leaves 24.7 to 31 dB (measured on the
            # samples over six draws of camera and gains); its errors are at the finest detail.
            assert _psnr(out, photo) > 24.0, name
            flat, _ = blurgen.degrade(photo, np.random.default_rng(seed), _raw(mosaic=False), kernel=STILL)
            assert np.abs(flat.astype(int) - photo).max() <= 1, name  # colour matrix and gains undone exactly


def test_a_grey_photo_stays_grey_and_saturated_highlights_clip_white():
    grey = np.full((24, 24, 3), 120, np.uint8)
    out, _ = blurgen.degrade(grey, np.random.default_rng(0), _raw(), kernel=STILL)
    assert np.abs(out.astype(int) - 120).max() <= 1
    white = np.full((24, 24, 3), 255, np.uint8)
    cfg = _raw({"noise": "none", "highlight_boost": (4, 4)})
    out, _ = blurgen.degrade(white, np.random.default_rng(0), cfg, kernel=STILL)
    assert np.all(out == 255)  # clipped in the sensor, then at white after the gains: no tint


def test_clipping_at_the_full_well_happens_in_raw_after_the_blur():
    # An orange light six times brighter than white, blurred into a streak: the sensor's red
    # pixels fill first and clip, which shifts the streak's colour where (and only where) the light
    # passed the full well; the RGB model, which clips in sRGB after the tone curve, does not.
    img = np.full((40, 40, 3), 30, np.uint8)
    img[18:22, 18:22] = (255, 140, 40)
    k = np.full((1, 9), 1 / 9, np.float32)
    camera = {"noise": "none", "highlight_boost": (6, 6)}
    one = {"cameras": ("canon-eos-5d-mark-ii",), "red_gain": (2, 2), "blue_gain": (1.7, 1.7), "mosaic": False}
    clipped, _ = blurgen.degrade(img, np.random.default_rng(0), _raw(camera, **one), kernel=k)
    through, _ = blurgen.degrade(img, np.random.default_rng(0), _raw(camera, clip=False, **one), kernel=k)
    rgb, _ = blurgen.degrade(img, np.random.default_rng(0), DegradeConfig(camera=CameraConfig(**camera)), kernel=k)
    assert np.array_equal(through, rgb)  # without clipping, RAW and back is the RGB model
    differs = np.any(clipped != through, axis=2)
    assert differs[19, 17:23].all() and not differs[:16].any() and not differs[19, :13].any()
    # Through the mosaic too: with clipping off the ADC keeps the headroom, so only the streak,
    # widened by demosaicing's 3x3 reach, changes.
    mosaic = {**one, "mosaic": True}
    clipped, _ = blurgen.degrade(img, np.random.default_rng(0), _raw(camera, **mosaic), kernel=k)
    through, _ = blurgen.degrade(img, np.random.default_rng(0), _raw(camera, clip=False, **mosaic), kernel=k)
    differs = np.any(clipped != through, axis=2)
    assert differs[18:22, 17:23].any() and not differs[:15].any() and not differs[25:].any()


def _flat_noise(isp_mode, **isp):
    grey = np.full((200, 200, 3), 128, np.uint8)
    cfg = DegradeConfig(camera=CameraConfig(full_well=(300, 300), read_noise=(0.003, 0.003)),
                        isp=IspConfig(mode=isp_mode, **isp))
    out, _ = blurgen.degrade(grey, np.random.default_rng(0), cfg, kernel=STILL)
    return out.astype(float)[8:-8, 8:-8]


def test_raw_noise_is_correlated_between_neighbours_and_channels_rgb_noise_is_not():
    rgb = _flat_noise("rgb")
    for c in range(3):
        assert abs(_corr(rgb[:, :-1, c], rgb[:, 1:, c])) < 0.05 and abs(_corr(rgb[:-1, :, c], rgb[1:, :, c])) < 0.05
    assert max(abs(_corr(rgb[..., a], rgb[..., b])) for a, b in ((0, 1), (1, 2), (0, 2))) < 0.05
    for method in DEMOSAIC_METHODS:
        raw = _flat_noise("raw", demosaic=method)
        # Measured: neighbours 0.30 to 0.62, channels |0.07| to |0.61| (the colour matrix mixes them).
        assert _corr(raw[:, :-1, 1], raw[:, 1:, 1]) > 0.2 and _corr(raw[:-1, :, 0], raw[1:, :, 0]) > 0.2, method
        assert max(abs(_corr(raw[..., a], raw[..., b])) for a, b in ((0, 1), (1, 2), (0, 2))) > 0.2, method


def test_each_raw_step_switches_off_alone():
    no_mosaic = _flat_noise("raw", mosaic=False)  # noise per pixel: no spatial correlation
    assert abs(_corr(no_mosaic[:, :-1, 1], no_mosaic[:, 1:, 1])) < 0.05
    assert max(abs(_corr(no_mosaic[..., a], no_mosaic[..., b])) for a, b in ((0, 1), (1, 2))) > 0.2  # the matrix
    no_colour = _flat_noise("raw", colour=False)  # the mosaic alone still correlates neighbours
    assert _corr(no_colour[:, :-1, 1], no_colour[:, 1:, 1]) > 0.2
    grey = np.full((30, 30, 3), 100, np.uint8)
    _, _, p = blurgen.degrade_with_params(grey, np.random.default_rng(0), _raw(colour=False), kernel=STILL)
    assert "camera" not in p and p["bayer"] == "rggb"
    _, _, p = blurgen.degrade_with_params(grey, np.random.default_rng(0), _raw(mosaic=False), kernel=STILL)
    assert p["camera"] in CAMERAS and p["bayer"] is None and 1.9 <= p["red_gain"] <= 2.4 and 1.5 <= p["blue_gain"] <= 1.9


def test_raw_draws_are_deterministic_and_a_grey_photo_works(samples):
    photo = read_image(samples / "coffee.png")[::4, ::4]
    cfg = DegradeConfig(isp=IspConfig(mode="raw"), camera=CameraConfig(jpeg_quality=(70, 90)))
    a, b, c = (blurgen.degrade_with_params(photo, np.random.default_rng(s), cfg) for s in (3, 3, 4))
    assert a.blurred.tobytes() == b.blurred.tobytes() and a.params == b.params
    assert a.blurred.tobytes() != c.blurred.tobytes()
    out, _ = blurgen.degrade(photo[..., 1], np.random.default_rng(0), cfg)
    assert out.shape == photo.shape[:2] and out.dtype == np.uint8


def test_raw_flags_reach_the_settings_and_bad_values_are_one_line_errors(tmp_path):
    write_image(tmp_path / "in.png", np.full((20, 20, 3), 90, np.uint8))
    run = CliRunner().invoke
    r = run(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "a.png"), "--isp", "raw", "--bayer", "gbrg",
                   "--demosaic", "ea", "--raw-camera", "nikon-d700", "--red-gain", "2", "--raw-clip", "off"])
    assert r.exit_code == 0, r.output
    for flags, says in ((["--raw-camera", "leica-m"], "isp.cameras must be one or more of"),
                        (["--red-gain", "100"], "--red-gain: isp.red_gain must be"),
                        (["--bayer", "rgbg"], "Invalid value for '--bayer'")):
        r = run(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "b.png"), "--isp", "raw", *flags])
        assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, r.output
        assert not (tmp_path / "b.png").exists()
