"""Exposures in seconds, the samples that integrate them and the ghost check, against physics: a
textured object translating at constant speed over a plain background, filmed at 10 frames per
second, whose true motion blur is rendered independently (``motion_scenes``), and pans over a
photo at 24 and 30 frames per second encoded as ordinary MPEG-4 clips."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from blurgen.config import CameraConfig
from blurgen.images import decode_image
from pipelines import video
from pipelines.cards.sheet import video_label
from pipelines.footage import clips as cliplib
from pipelines.footage.clips import VIDEO, Clip, plan_ranges
from pipelines.footage.exposure import Exposure, exposure_text, half_span, make_plan
from pipelines.footage.ghosting import GhostSettings
from pipelines.footage.windows import VideoSettings, range_units

from motion_scenes import TranslatingObject, psnr
from pipeline_helpers import records
from video_helpers import decode_video, photo, write_folder, write_video

OFF = CameraConfig(linear="none", noise="none")
FPS = 10.0
SPEED = float(np.hypot(7.0, 1.0))  # px per frame interval of the object in ``scene``
# The blurred frame against the object's true motion blur, measured: 49.5 dB for 1/10 s (9 samples),
# 52.9 dB for 3/10 s (25 samples); the error is the sub-pixel quadrature (samples under 1 px apart,
# the exposure's ends up to half a sample off) and the flow's. The sharp frame itself scores 27.6 dB,
# the three frames of 3/10 s averaged without interpolation (ghosts) 30.1 dB, samples up to 2 px apart
# (--max-motion 2) 47.3 dB.
MIN_PSNR = 48.0


@pytest.fixture(scope="module")
def scene() -> TranslatingObject:
    return TranslatingObject()


@pytest.fixture(scope="module")
def object_clip(tmp_path_factory, scene) -> Clip:
    folder = write_folder(scene.frames(11), tmp_path_factory.mktemp("scene") / "object")
    (clip,) = cliplib.expand_source(str(folder))
    return clip


def units(clip: Clip, s: VideoSettings, fps: float = FPS, per_range: int = 2, count: int | None = None) -> list:
    """Every window's unit, range by range as the workers would make them."""
    length, stride = s.layout(fps)
    count = len(clip.frames) if count is None else count
    return [u for item in plan_ranges(clip, count, fps, length, stride, per_range)
            for u in range_units(item, s).units]


def settings(exposure: str, **ghost) -> VideoSettings:
    return VideoSettings(frames=None, exposure=Exposure.parse(exposure), ghost=GhostSettings(**ghost), camera=OFF,
                         cut_threshold=None, min_size=8)


def written(all_units: list) -> list:
    assert all(u.reject is None for u in all_units), [u.reject for u in all_units if u.reject]
    return [u.pairs[0][1] for u in all_units]


# ---- the plan: which samples, with which weights -------------------------------------------------


def test_an_odd_whole_number_of_frame_intervals_without_interpolation_is_the_plain_mean_of_as_many_frames():
    for n in (1, 3, 7):
        assert half_span(Fraction(n)) == (n + 1) // 2  # the frames bounding the intervals it overlaps
        plan = make_plan(0, [1] * 6, (Fraction(3) - Fraction(n, 2), Fraction(3) + Fraction(n, 2)))
        assert [s.frame for s in plan.samples] == list(range(3 - n // 2, 4 + n // 2))
        assert plan.equal_weights and plan.samples[0].weight == Fraction(1, n) and plan.interpolated == 0


@pytest.mark.parametrize("exposure,divisions,want", [
    (Fraction(1), 10, ["1/20"] + ["1/10"] * 9 + ["1/20"]),  # ends fall on samples: half their cells
    (Fraction(1), 9, ["1/9"] * 9),  # ends fall between samples: whole cells
    (Fraction(1, 3), 6, ["1/4", "1/2", "1/4"]),  # 1/30 s at 10 fps, samples every 1/60 s
    (Fraction(2), 1, ["1/4", "1/2", "1/4"]),  # an even number of intervals, no interpolation
    (Fraction(1, 10), 4, ["1"]),  # shorter than half a sample interval: the sharp frame alone
])
def test_end_samples_weigh_the_part_of_the_exposure_their_cells_cover(exposure, divisions, want):
    centre = Fraction(2)
    plan = make_plan(0, [divisions] * 4, (centre - exposure / 2, centre + exposure / 2), [5.0] * 4)
    assert [str(s.weight) for s in plan.samples] == want
    assert sum(s.weight for s in plan.samples) == 1
    assert sum(s.weight * s.instant for s in plan.samples) == centre  # centred on the sharp frame
    assert plan.exposure == exposure


def test_the_motion_a_sample_stands_for_is_the_speed_times_its_cell_within_the_exposure():
    plan = make_plan(0, [8, 2], (Fraction(1, 2), Fraction(3, 2)), [8.0, 2.0])
    motions = {str(s.instant): s.motion for s in plan.samples}
    assert motions["3/4"] == pytest.approx(1.0) and motions["1/2"] == pytest.approx(0.5)  # a half cell at the end
    assert motions["1"] == pytest.approx(8.0 / 16 + 2.0 / 4)  # frame 1's cell straddles both pairs
    assert motions["3/2"] == pytest.approx(0.5)
    assert plan.max_motion == pytest.approx(1.0)


def test_frames_windows_weigh_their_samples_equally_as_before_exposures():
    plan = make_plan(4, [3] * 4)  # --frames 5 --interpolate 2
    assert len(plan.samples) == 5 + 4 * 2 and plan.equal_weights
    assert plan.exposure == 4 + Fraction(1, 3)


def test_exposures_parse_and_ranges_draw_log_uniformly_within_their_ends():
    assert Exposure.parse("1/30") == Exposure(Fraction(1, 30), Fraction(1, 30))
    assert Exposure.parse("0.005,1/15").longest == Fraction(1, 15)
    for bad, why in (("1/0", "number such as"), ("-1/30", "positive"), ("1/15,1/60", "shorter time first"),
                     ("fast", "number such as"), ("1,2,3", "one time or a range")):
        with pytest.raises(ValueError, match=why):
            Exposure.parse(bad)
    rng = np.random.default_rng(0)
    draws = [Exposure.parse("1/64,1/16").draw(rng) for _ in range(4000)]
    assert all(Fraction(1, 64) <= d <= Fraction(1, 16) for d in draws)
    below = np.mean([d < Fraction(1, 32) for d in draws])  # 1/32 s is the middle stop of the range
    assert 0.46 < below < 0.54, below  # log-uniform; a uniform draw would put 1/3 of them below
    assert exposure_text(1 / 30) == "1/30" and exposure_text(0.136233) == "0.136"


# ---- the physics: a translating object at 10 frames per second -------------------------------------


def test_one_frame_interval_of_exposure_is_the_objects_true_motion_blur(object_clip, scene):
    pairs = written(units(object_clip, settings("1/10")))
    assert len(pairs) == 3  # windows of 3 frames (frames c-1..c+1 bound the exposure), every 3
    for pair in pairs:
        p = pair.params
        assert p["exposure"] == pytest.approx(0.1) and p["exposure_frames"] == 1.0
        # The flow measures the object's speed (px per frame interval) to within its error at the
        # object's edges; too high costs only samples, too low would let copies through.
        assert p["max_motion"] <= 1.0 and 0.95 * SPEED <= p["motion"] <= 1.2 * SPEED
        assert p["samples"] >= SPEED and p["interpolated"] == p["samples"] - 1
        truth = scene.motion_blur(p["sharp_frame"], 1.0)
        assert psnr(decode_image(pair.blurred), truth) >= MIN_PSNR
        assert psnr(decode_image(pair.sharp), truth) < 32  # the check tells blur from no blur


def test_a_three_frame_exposure_without_interpolation_ghosts_and_with_it_blurs(object_clip, scene):
    rejects = [u.reject for u in units(object_clip, settings("3/10", interpolate=0))]
    assert rejects and all(r is not None and r.kind == "ghosting" for r in rejects)
    reason = rejects[0].reason
    moved = float(re.search(r"things move up to ([0-9.]+) px per frame interval", reason).group(1))
    assert 0.95 * SPEED <= moved <= 1.2 * SPEED and "more than --max-motion 1 px" in reason
    assert "--interpolate auto" in reason and "--exposure of at most 1/" in reason
    for pair in written(units(object_clip, settings("3/10"))):
        assert pair.params["max_motion"] <= 1.0 and pair.params["samples"] >= 3 * SPEED
        assert psnr(decode_image(pair.blurred), scene.motion_blur(pair.params["sharp_frame"], 3.0)) >= MIN_PSNR


def test_the_interpolation_limit_rejects_naming_the_setting_that_fixes_it(object_clip):
    rejects = [u.reject for u in units(object_clip, settings("1/10", max_interpolate=3))]
    assert all(r is not None and r.kind == "ghosting" for r in rejects)
    moved = float(re.search(r"things move up to ([0-9.]+) px", rejects[0].reason).group(1))
    needed = int(re.search(r"It needs --max-interpolate (\d+) \(now 3\)", rejects[0].reason).group(1))
    assert needed + 1 >= moved > needed >= 6  # samples 1 px apart over the object's ~7 px per interval


def test_what_stands_still_stays_as_it_is_while_an_object_moves_across_it(tmp_path):
    background = cv2.resize(photo(2, 400), (160, 96), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(7):
        frame = background.copy()
        frame[30:60, 10 + 6 * i:40 + 6 * i] = photo(0, 30)[:30, :30]
        frames.append(frame)
    (clip,) = cliplib.expand_source(str(write_folder(frames, tmp_path / "still")))
    for pair in written(units(clip, settings("1/10"))):
        assert pair.params["interpolated"] >= 4
        blurred = decode_image(pair.blurred).astype(int)
        still = (slice(70, 96), slice(0, 160))  # rows the object never reaches, nor the flow's reach around it
        assert np.abs(blurred[still] - background[still].astype(int)).max() <= 1


def test_a_looser_motion_bound_takes_fewer_samples(object_clip):
    strict = written(units(object_clip, settings("1/10")))
    loose = written(units(object_clip, settings("1/10", max_motion=2.0)))
    assert all(a.params["samples"] > b.params["samples"] and 1.0 < b.params["max_motion"] <= 2.0
               for a, b in zip(strict, loose))


def test_a_flash_between_two_frames_is_rejected_as_ghosting(tmp_path):
    frames = [f.copy() for f in TranslatingObject(velocity=(2.0, 0.0)).frames(6)]
    frames[3] = np.clip(frames[3].astype(np.float32) * 1.5, 0, 255).astype(np.uint8)
    (clip,) = cliplib.expand_source(str(write_folder(frames, tmp_path / "flash")))
    by_sharp = {u.name: u for u in units(clip, settings("1/10"))}
    assert by_sharp["flash#000000"].reject is None  # frames 0-2
    flash = by_sharp["flash#000003"].reject  # frames 3-5 (sharp frame 4) use frames 3 and 4
    assert flash.kind == "ghosting" and "frames 3 and 4" in flash.reason and "--max-mismatch" in flash.reason


def test_a_range_of_exposures_is_drawn_per_window_the_same_whatever_the_ranges(object_clip):
    s = VideoSettings(frames=None, exposure=Exposure.parse("1/40,1/5"), stride=1, camera=OFF, cut_threshold=None,
                      min_size=8)
    one = {u.name: u.pairs[0][1].params["exposure"] for u in units(object_clip, s, per_range=1)}
    many = {u.name: u.pairs[0][1].params["exposure"] for u in units(object_clip, s, per_range=4)}
    assert one == many and len(one) == 11 - 3 + 1  # windows of 3 frames (1/5 s spans 2 intervals: c-1 .. c+1)
    assert all(1 / 40 <= e <= 1 / 5 for e in one.values()) and len(set(one.values())) == len(one)


def test_frames_windows_record_their_exposure_when_the_rate_is_known(object_clip):
    s = VideoSettings(frames=3, camera=OFF, cut_threshold=None, min_size=8)
    pairs = written(units(object_clip, s))
    for p in (pair.params for pair in pairs):
        assert p["frames"] == 3 and p["interpolate"] == "auto" and p["max_motion"] <= 1.0
        assert p["exposure"] == pytest.approx(p["exposure_frames"] / FPS) and 2 < p["exposure_frames"] <= 3


def test_the_sheet_labels_video_pairs_by_samples_and_exposure(object_clip):
    (pair, *_) = written(units(object_clip, settings("1/10")))
    label = video_label(pair.params)
    assert label == (f"frame average over {pair.params['samples']} samples, exposure 1/10 s, "
                     f"up to {pair.params['max_motion']:.2f} px apart")
    assert "real blur" not in label
    assert video_label({"degrade": {}, "variant": 0}) is None


# ---- ordinary clips: pans at 24 and 30 frames per second, encoded as MPEG-4 -----------------------


def _pan_at_rate(rate: int, count: int, speed: float, fine: int = 8) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A diagonal pan of ``speed`` px per frame over a photo with a patch moving 3x as fast,
    rendered ``fine`` times per frame interval: (the clip's frames, every rendered picture)."""
    big = cv2.resize(photo(1, 400), (400, 300), interpolation=cv2.INTER_CUBIC)
    patch = cv2.resize(photo(3, 40), (32, 24), interpolation=cv2.INTER_AREA)
    pictures = []
    for k in range((count - 1) * fine + 1):
        t = k / fine
        m = np.float32([[1, 0, -10 - speed * t], [0, 1, -10 - 0.4 * speed * t]])
        frame = cv2.warpAffine(big, m, (160, 112), flags=cv2.INTER_LINEAR).astype(np.float32)
        mp = np.float32([[1, 0, 20 + 3 * speed * t], [0, 1, 40]])
        moved = cv2.warpAffine(patch, mp, (160, 112), flags=cv2.INTER_LINEAR).astype(np.float32)
        mask = cv2.warpAffine(np.ones(patch.shape[:2], np.float32), mp, (160, 112), flags=cv2.INTER_LINEAR)
        pictures.append(np.rint(frame * (1 - mask[..., None]) + moved * mask[..., None]).astype(np.uint8))
    return pictures[::fine], pictures


@pytest.mark.slow
@pytest.mark.parametrize("rate", [24, 30])
def test_ordinary_clips_at_24_and_30_fps_blur_close_to_the_truth(tmp_path, rate):
    fine = 8
    frames, pictures = _pan_at_rate(rate, 9, speed=3.0, fine=fine)
    path = write_video(frames, tmp_path / f"pan{rate}.mp4", "mp4v", fps=rate)
    decoded = decode_video(path)
    clip = Clip(path.name, str(path), VIDEO)
    pairs = written(units(clip, settings(f"1/{rate}"), fps=float(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS)),
                          count=len(decoded)))
    assert pairs
    for pair in pairs:
        c = pair.params["sharp_frame"]
        assert pair.params["fps"] == pytest.approx(rate) and pair.params["exposure"] == pytest.approx(1 / rate)
        # The exposure c - 1/2 .. c + 1/2 by the trapezoid rule over the pictures 1/8 interval apart.
        truth = (np.mean(pictures[c * fine - fine // 2:c * fine + fine // 2], axis=0)
                 + np.mean(pictures[c * fine - fine // 2 + 1:c * fine + fine // 2 + 1], axis=0)) / 2
        inner = (slice(8, -8), slice(8, -8))  # the frame's border holds content entering the view
        blurred, sharp = decode_image(pair.blurred), decoded[c]
        assert psnr(blurred[inner], truth[inner]) > psnr(sharp[inner], truth[inner]) + 3, c
        assert pair.params["max_motion"] <= 1.0


@pytest.mark.slow
def test_the_command_reads_the_frame_rate_from_the_video_file(tmp_path, scene):
    write_video(scene.frames(11), tmp_path / "src" / "object.mkv", "FFV1", fps=FPS)  # lossless
    manifest = video.run(["--src", str(tmp_path / "src"), "--out", str(tmp_path / "out"), "--exposure", "1/10",
                          "--linear", "none", "--noise", "none", "--test-fraction", "0", "--runner=DirectRunner"])
    assert manifest["written"] == 3 and manifest["parameters"]["clip_rates"] == {"10": 1}
    assert manifest["summary"]["exposure_s"]["min"] == manifest["summary"]["exposure_s"]["max"] == 0.1
    for r in records(tmp_path / "out")["train"]:
        p = r["params"]
        assert p["fps"] == FPS and p["max_motion"] <= 1.0
        assert psnr(decode_image(r["blurred"]), scene.motion_blur(p["sharp_frame"], 1.0)) >= MIN_PSNR
