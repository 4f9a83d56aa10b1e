"""Rotation shake against the physics of a turning camera, not against the code that renders it.

A pure yaw ``a`` sweeps the image centre along a horizontal line ``f tan(a)`` px long; a pure roll
keeps the centre still and sweeps a point ``r`` px away along an arc ``r a`` px long; the blurred
image is the mean of the homography warps (checked against an independent renderer written with
scipy), and a pair's local kernels are the blur of points placed at their centres.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.ndimage import gaussian_filter, map_coordinates
from scipy.spatial.transform import Rotation

import blurgen
from blurgen.cli import main
from blurgen.config import CameraConfig, DegradeConfig, KernelConfig, RotationConfig
from blurgen.images import read_image, write_image
from blurgen.kernels.rotation import Shake, homographies, instants, largest_step, render
from blurgen.kernels.shake import draw_shake

RAW = CameraConfig(linear="none", noise="none")  # the blur alone: no tone curve, no noise


def _given(traj, focal, **camera) -> DegradeConfig:
    rot = RotationConfig(trajectory=tuple(map(tuple, np.asarray(traj, float))), focal_px=(focal, focal))
    return DegradeConfig(kernel=KernelConfig(rotation=rot), camera=CameraConfig(**{"linear": "none",
                                                                                  "noise": "none", **camera}))


def _texture(h, w, seed=0):
    """A photo-like float32 RGB texture in [0, 1] (smooth enough that bilinear sampling is accurate)."""
    rng = np.random.default_rng(seed)
    return np.clip(gaussian_filter(rng.random((h, w, 3)), (1.2, 1.2, 0)) * 3 - 1, 0, 1).astype(np.float32)


def _independent_render(img, traj, focal):
    """The homography mean written independently: scipy's rotations, exact float coordinates,
    scipy's bilinear sampling with mirrored borders (OpenCV's BORDER_REFLECT_101)."""
    h, w = img.shape[:2]
    k = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1.0]])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    out = np.zeros(img.shape, np.float64)
    for pose in traj:
        inv = np.linalg.inv(k @ Rotation.from_rotvec(pose).as_matrix() @ np.linalg.inv(k))
        p = inv @ pts
        coords = [(p[1] / p[2]).reshape(h, w), (p[0] / p[2]).reshape(h, w)]
        for c in range(img.shape[2]):
            out[..., c] += map_coordinates(img[..., c].astype(np.float64), coords, order=1, mode="mirror")
    return out / len(traj)


def _point(h, w, y, x):
    img = np.zeros((h, w), np.float32)
    img[y, x] = 1.0
    return img


def _moments(psf):
    """Mass, centroid (y, x) and covariance of a 2-D mass distribution."""
    ys, xs = np.indices(psf.shape)
    m = psf.sum()
    cy, cx = (ys * psf).sum() / m, (xs * psf).sum() / m
    cov = [[((ys - cy) ** 2 * psf).sum() / m, ((ys - cy) * (xs - cx) * psf).sum() / m],
           [((ys - cy) * (xs - cx) * psf).sum() / m, ((xs - cx) ** 2 * psf).sum() / m]]
    return m, (cy, cx), np.array(cov)


def _length(psf, axis):
    """The length of a uniform line along ``axis`` (0: y, 1: x) with this mass distribution: its
    variance is L^2 / 12, plus 1/6 that bilinear sampling adds."""
    return math.sqrt(12 * (_moments(psf)[2][axis, axis] - 1 / 6))


def _tent_line(length, offset, size):
    """Mass per pixel 0..size-1 of a uniform line from ``offset`` to ``offset + length`` seen
    through bilinear (tent) sampling, from the tent's integral in closed form."""
    def cum(u):  # the integral of the tent function from -inf to u
        u = np.asarray(u, float)
        return np.where(u < -1, 0.0, np.where(u < 0, (u + 1) ** 2 / 2, np.where(u < 1, 1 - (1 - u) ** 2 / 2, 1.0)))
    c = np.arange(size)
    return (cum(offset + length - c) - cum(offset - c)) / length


def test_zero_trajectory_gives_the_sharp_image_exactly(tmp_path, samples):
    photo = read_image(samples / "coffee.png")[::4, ::4]
    for camera in ({}, {"linear": "srgb"}):
        out, kernels = blurgen.degrade(photo, np.random.default_rng(0), _given(np.zeros((7, 3)), 300.0, **camera))
        assert np.array_equal(out, photo), camera
        assert kernels.shape[:2] == (3, 3) and np.all(kernels[..., kernels.shape[2] // 2, kernels.shape[3] // 2] == 1)
    np.save(tmp_path / "still.npy", np.zeros((5, 3)))
    write_image(tmp_path / "in.png", photo)
    r = CliRunner().invoke(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--rotation",
                                  str(tmp_path / "still.npy"), "--focal", "400", "--linear", "none", "--noise", "none"])
    assert r.exit_code == 0, r.output
    assert np.array_equal(read_image(tmp_path / "out.png"), photo)


@pytest.mark.parametrize("samples_given", [2, 400])
def test_pure_yaw_blurs_the_centre_like_a_horizontal_line_f_tan_a(samples_given):
    h, w, f, a = 61, 121, 600.0, 0.03  # the principal point is the pixel (60, 30)
    traj = np.zeros((samples_given, 3))
    traj[:, 1] = np.linspace(0.0, a, samples_given)
    psf = Shake(traj, f, h, w).render(_point(h, w, 30, 60))
    length = f * math.tan(a)  # 18.005 px
    assert abs(psf.sum() - 1) < 1e-3 and psf[30].sum() > 0.999  # every bit of light stays on the centre row
    # The profile along the row is a uniform line from the centre to f tan(a), seen through bilinear
    # sampling; the N instants each carry 1/N of the light, where a continuous sweep would give
    # its two ends half as much: the profiles differ by about 2/N of the light, no more.
    n = len(Shake(traj, f, h, w).homographies())
    assert np.abs(psf[30] - _tent_line(length, 60.0, w)).sum() < 2.2 / n
    # N equal instants spread over L have the variance of L^2 (N + 1) / (12 (N - 1)).
    assert _length(psf, 1) == pytest.approx(length * math.sqrt((n + 1) / (n - 1)), rel=0.01)


def test_pure_roll_keeps_the_centre_sharp_and_sweeps_an_arc_of_r_a():
    h, w, f, a = 101, 101, 400.0, 0.2
    traj = np.zeros((300, 3))
    traj[:, 2] = np.linspace(0.0, a, 300)
    shake = Shake(traj, f, h, w)
    centre = shake.render(_point(h, w, 50, 50))
    # The centre stays put; only bilinear sampling of the turned pixel grid spills a little light
    # into its neighbours.
    mass, (cy, cx), _ = _moments(centre)
    assert abs(cy - 50) < 1e-3 and abs(cx - 50) < 1e-3 and centre[50, 50] > 0.95 * mass
    assert centre[49:52, 49:52].sum() > 0.999 * mass
    for r, angle in ((40, 0.0), (42, math.pi / 4), (45, -math.pi / 2)):
        y, x = 50 + round(r * math.sin(angle)), 50 + round(r * math.cos(angle))
        rad, phi0 = math.hypot(x - 50, y - 50), math.atan2(y - 50, x - 50)
        psf = shake.render(_point(h, w, y, x))
        ys, xs = np.indices(psf.shape)
        dist, phi = np.hypot(xs - 50, ys - 50), np.arctan2(ys - 50, xs - 50)
        mass = psf.sum()
        assert abs(mass - 1) < 0.01 and psf[np.abs(dist - rad) > 1.5].sum() < 1e-3  # on the circle of radius r
        turn = ((phi - phi0 + math.pi) % (2 * math.pi) - math.pi)
        mean = (turn * psf).sum() / mass
        spread = math.sqrt(12 * ((turn - mean) ** 2 * psf).sum() / mass)
        assert mean == pytest.approx(a / 2, abs=0.01)  # turned by a / 2 on average
        assert rad * spread == pytest.approx(rad * a, rel=0.03)  # an arc r a long (bilinear widens it a little)


def test_the_render_is_the_mean_of_homography_warps_by_an_independent_renderer():
    img = _texture(45, 70)
    t = np.linspace(0.0, 1.0, 120)
    traj = np.stack([0.03 * np.sin(3 * t), 0.05 * t - 0.02, 0.06 * np.cos(2 * t) - 0.03], axis=1)
    shake = Shake(traj, 90.0, 45, 70)
    assert len(shake.homographies()) == 120  # dense already: the given poses, none added
    # float32 warps against float64 sampling of exact coordinates: they agree to ~1e-6 of white.
    assert np.abs(shake.render(img) - _independent_render(img, traj, 90.0)).max() < 2e-4


def test_instants_keep_every_pixel_within_half_a_pixel_of_the_last():
    rng = np.random.default_rng(3)
    h, w = 48, 64
    ys, xs = np.mgrid[0:h, 0:w]
    every = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(float)
    for _ in range(5):
        coarse = rng.normal(0, 0.03, (6, 3))
        coarse[3:] *= 0.2  # slower in the second half: fewer instants there
        poses, weights = instants(coarse, 80.0, h, w, 0.5)
        at = [int(np.flatnonzero(np.all(poses == pose, axis=1))[0]) for pose in coarse]
        assert at == sorted(at) and at[0] == 0 and at[-1] == len(poses) - 1  # the given poses stay, in order
        per_interval = np.diff(at)
        assert per_interval[:2].min() > per_interval[3:].max()
        assert weights.sum() == pytest.approx(1.0) and weights[at[1] - 1] < weights[at[-2] + 1]  # fast: short shares
        hs = homographies(poses, 80.0, h, w)
        p = np.concatenate([every, np.ones((len(every), 1))], axis=1) @ hs.transpose(0, 2, 1)
        moved = np.linalg.norm(np.diff(p[..., :2] / p[..., 2:], axis=0), axis=2)
        assert moved.max() <= 0.5 + 1e-9
        assert len(instants(coarse, 80.0, h, w, 2.0)[0]) < len(poses)  # a coarser step needs fewer


def test_each_instant_weighs_its_share_of_the_exposure():
    # A path given coarsely, fast then slow, and the same path given densely at evenly spaced
    # instants (no instant added, equal weights) blur alike: the added instants of the fast
    # intervals must weigh less than the given poses of the slow ones.
    img = _texture(50, 70, seed=2)
    coarse = np.array([[0, 0, 0], [0.02, 0.06, 0.01], [0.03, 0.12, 0.03], [0.031, 0.125, 0.032], [0.032, 0.13, 0.034]])
    dense = np.concatenate([coarse[k] + np.linspace(0, 1, 60, endpoint=False)[:, None] * (coarse[k + 1] - coarse[k])
                            for k in range(4)] + [coarse[-1:]])
    a, b = Shake(coarse, 100.0, 50, 70, step=0.5), Shake(dense, 100.0, 50, 70, step=0.5)
    assert len(a.homographies()) < len(b.homographies()) == len(dense)
    homs = a.homographies()
    equal = render(img, homs, np.full(len(homs), 1 / len(homs)))  # added instants weighing as much as given poses
    # The two differ only at the ends (each end instant's share is a whole step of its own
    # interval): 0.005 of white on average, against 0.06 with equal weights.
    near, far = np.abs(a.render(img) - b.render(img)).mean(), np.abs(equal - b.render(img)).mean()
    assert near < 0.008 and near < 0.15 * far


def test_local_kernels_are_the_blur_of_points_at_their_centres():
    h, w, f = 90, 130, 150.0
    t = np.linspace(0.0, 1.0, 60)
    traj = np.stack([0.03 * np.sin(3 * t), 0.05 * t - 0.02, 0.04 * np.cos(2 * t) - 0.03], axis=1)
    shake = Shake(traj, f, h, w)
    kernels, ys, xs = shake.local_kernels(3)
    assert list(ys) == [15, 45, 75] and list(xs) == [21, 65, 108]
    for i in range(3):
        for j in range(3):
            k = kernels[i, j]
            c = k.shape[0] // 2
            blurred = shake.render(_point(h, w, ys[i], xs[j]))[ys[i] - c:ys[i] + c + 1, xs[j] - c:xs[j] + c + 1]
            # Splatting the projected point and warping a point differ by the warp's local stretch:
            # a few percent of the mass moved by a fraction of a pixel.
            assert np.abs(blurred / blurred.sum() - k).sum() < 0.04
            _, (ky, kx), _ = _moments(k)
            _, (by, bx), _ = _moments(blurred)
            assert abs(ky - by) < 0.06 and abs(kx - bx) < 0.06
    # Under roll alone the corners move and the centre does not: corner kernels are long, the
    # centre's a point.
    roll = np.zeros((40, 3))
    roll[:, 2] = np.linspace(-0.05, 0.05, 40)
    kernels, ys, xs = Shake(roll, f, h, w).local_kernels(3)
    corner = math.hypot(ys[0] - (h - 1) / 2, xs[0] - (w - 1) / 2) * 0.1
    assert _length(kernels[0, 0], 0) ** 2 + _length(kernels[0, 0], 1) ** 2 == pytest.approx(corner ** 2, rel=0.05)
    assert np.trace(_moments(kernels[1, 1])[2]) < 0.5


def test_a_pure_shift_blurs_the_whole_image_alike_by_f_t_over_d():
    traj = np.zeros((50, 6))
    traj[:, 3] = np.linspace(0.0, 0.012, 50)  # 12 mm along x before a plane 2 m away
    kernels, _, _ = Shake(traj, 1000.0, 60, 80, depth=2.0).local_kernels(3)
    for k in kernels.reshape(-1, *kernels.shape[2:]):
        assert _length(k, 1) == pytest.approx(1000.0 * 0.012 / 2.0, rel=0.02) and _moments(k)[2][0, 0] < 0.05


def test_a_pair_stores_what_reproduces_it(samples):
    photo = read_image(samples / "chelsea.png")[::3, ::3]
    cfg = DegradeConfig(kernel=KernelConfig(weights=(0, 0, 0, 1)), camera=RAW)
    first = blurgen.degrade_with_params(photo, np.random.default_rng(4), cfg)
    kp = first.params["kernel"]
    assert kp["family"] == "rotation" and first.kernel.shape[:2] == (3, 3)
    again = blurgen.degrade_with_params(photo, np.random.default_rng(99), _given(kp["trajectory"], kp["focal_px"]))
    assert np.array_equal(again.blurred, first.blurred) and np.array_equal(again.kernel, first.kernel)
    assert first.params["kernel_size"] == list(first.kernel.shape)
    np.testing.assert_allclose(first.kernel.sum(axis=(2, 3)), 1.0, rtol=1e-5)


def test_drawn_trajectories_are_centred_span_the_drawn_angles_and_need_no_added_instants():
    cfg = RotationConfig()
    for seed in range(6):
        shake, p = draw_shake(np.random.default_rng(seed), cfg, 720, 1280)
        traj = shake.trajectory
        assert np.abs(traj.mean(axis=0)).max() < 1e-12
        tilt = traj[:, :2]
        widest = np.sqrt(((tilt[:, None] - tilt[None]) ** 2).sum(axis=2)).max()
        assert math.degrees(widest) == pytest.approx(p["tilt"], rel=0.02)
        assert math.degrees(np.ptp(traj[:, 2])) == pytest.approx(p["roll"], rel=0.02)
        assert 0.3 <= p["tilt"] <= 1.5 and 0.1 <= p["roll"] <= 0.6 and 24 <= p["focal_mm"] <= 50
        assert p["focal_px"] == pytest.approx(1280 * p["focal_mm"] / 36)
        assert len(traj) == cfg.samples and len(shake.homographies()) >= len(traj)  # every pose rendered, instants added where needed
        assert largest_step(instants(traj, shake.focal, 720, 1280)[0], shake.focal, 720, 1280) <= cfg.step


def test_rotation_draws_are_deterministic_and_mix_with_kernels(samples):
    photo = read_image(samples / "rocket.jpg")[::4, ::4]
    cfg = DegradeConfig(kernel=KernelConfig(weights=(1, 0, 0, 1)))
    runs = [blurgen.degrade_with_params(photo, np.random.default_rng(s), cfg) for s in (1, 1, 2)]
    assert runs[0].blurred.tobytes() == runs[1].blurred.tobytes() and runs[0].params == runs[1].params
    families = {blurgen.degrade_with_params(photo, np.random.default_rng(s), cfg).params["kernel"]["family"]
                for s in range(12)}
    assert families == {"trajectory", "rotation"}


def test_cli_renders_a_given_trajectory_as_the_independent_renderer(tmp_path):
    img = (_texture(40, 60, seed=5) * 255).round().astype(np.uint8)
    t = np.linspace(0.0, 1.0, 80)
    traj = np.stack([0.02 * t, -0.03 * t, 0.05 * np.sin(2 * t)], axis=1)
    np.save(tmp_path / "t.npy", traj)
    write_image(tmp_path / "in.png", img)
    r = CliRunner().invoke(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--rotation",
                                  str(tmp_path / "t.npy"), "--focal", "70", "--linear", "none", "--noise", "none",
                                  "--kernel-out", str(tmp_path / "k.npy")])
    assert r.exit_code == 0 and "3x3 local kernels" in r.output, r.output
    want = _independent_render(img.astype(np.float32) / 255, traj, 70.0) * 255
    assert np.abs(read_image(tmp_path / "out.png").astype(float) - want).max() <= 0.51  # rounding only
    assert np.load(tmp_path / "k.npy").shape[:2] == (3, 3)


@pytest.mark.parametrize("content, message", [
    (np.zeros((4, 2)), "(T, 3)"), (np.full((3, 3), np.nan), "NaN"), (np.zeros((2, 3, 1)), "(T, 3)")])
def test_bad_trajectory_files_are_one_line_errors(tmp_path, content, message):
    np.save(tmp_path / "t.npy", content)
    write_image(tmp_path / "in.png", np.full((16, 16, 3), 90, np.uint8))
    r = CliRunner().invoke(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "out.png"),
                                  "--rotation", str(tmp_path / "t.npy")])
    assert r.exit_code == 2 and "--rotation" in r.output and message in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "out.png").exists()


def test_a_render_too_long_to_run_is_refused_with_the_reason(tmp_path):
    np.save(tmp_path / "t.npy", np.array([[0, 0, 0], [0, 1.4, 0]]))
    write_image(tmp_path / "in.png", np.full((64, 64, 3), 90, np.uint8))
    r = CliRunner().invoke(main, ["degrade", str(tmp_path / "in.png"), str(tmp_path / "out.png"),
                                  "--rotation", str(tmp_path / "t.npy"), "--focal", "90000"])
    assert r.exit_code == 2 and "instants" in r.output and "Traceback" not in r.output, r.output


def test_kernels_command_refuses_rotation_with_the_reason(tmp_path):
    r = CliRunner().invoke(main, ["kernels", "--out", str(tmp_path / "k.npz"), "--mix", "trajectory=1,rotation=1"])
    assert r.exit_code == 2 and "no single kernel" in r.output and not (tmp_path / "k.npz").exists()
