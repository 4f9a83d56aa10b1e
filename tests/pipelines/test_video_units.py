"""The ``video`` pipeline's parts without Beam: listing clips, planning ranges, exact window means,
cuts, bad frames, seeking, interpolation and memory, on rendered clips whose answer is known."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from blurgen.camera import linear_to_srgb, srgb_to_linear
from blurgen.config import CameraConfig
from blurgen.images import decode_image
from pipelines.footage import clips as cliplib
from pipelines.footage.clips import FRAMES, VIDEO, Clip, plan_ranges, window_count
from pipelines.footage.exposure import Exposure
from pipelines.footage.ghosting import GhostSettings
from pipelines.footage.windows import VideoSettings, range_units
from pipelines.shards.examples import encode_example

from pipeline_helpers import write_rgb
from video_helpers import (decode_video, expected_windows, moving_object, pan, photo, rounded_mean, write_folder,
                           write_video, zoom)

OFF = CameraConfig(linear="none", noise="none")
# The plain mean of the frames, as before exposures and the ghost check: no flow at all.
PLAIN = GhostSettings(interpolate=0, max_motion=None, max_mismatch=None)


def units_of(clip: Clip, settings: VideoSettings, per_range: int, count: int | None = None, fps: float = 0.0):
    """Every window's unit, processing the clip range by range as the workers would."""
    count = len(clip.frames) if count is None else count
    out = []
    length, stride = settings.layout(fps)
    for item in plan_ranges(clip, count, fps, length, stride, per_range):
        out.extend(range_units(item, settings).units)
    return out


def folder_clip(frames, folder: Path) -> Clip:
    write_folder(frames, folder)
    (found,) = cliplib.expand_source(str(folder))
    return found


def video_clip(frames, path: Path, fourcc: str = "FFV1") -> tuple[Clip, int]:
    write_video(frames, path, fourcc)
    return Clip(path.name, str(path), VIDEO), len(frames)


def blurred_and_sharp(unit):
    ((_, pair),) = unit.pairs
    return decode_image(pair.blurred), decode_image(pair.sharp)


@pytest.mark.parametrize("frames,length,stride,want", [(30, 5, 3, 9), (7, 7, 7, 1), (6, 7, 1, 0), (20, 3, 5, 4),
                                                       (100, 7, 7, 14)])
def test_window_count_is_the_documented_formula_and_ranges_cover_each_window_once(frames, length, stride, want):
    assert window_count(frames, length, stride) == want
    clip = Clip("c", "c", FRAMES, tuple(f"c/{i}.png" for i in range(frames)))
    for per_range in (1, 2, 4, 100):
        ranges = plan_ranges(clip, frames, 0.0, length, stride, per_range)
        firsts = [r.first_window + k for r in ranges for k in range(r.windows)]
        assert firsts == list(range(want))
        for r in ranges:  # a range carries exactly the frame files its windows hold
            start = r.first_window * stride
            assert r.frame_offset == start
            assert list(r.frames) == list(clip.frames[start:(r.first_window + r.windows - 1) * stride + length])


def test_clips_are_video_files_and_folders_of_frames_in_natural_order(tmp_path):
    root = tmp_path / "src"
    write_folder(pan(photo(0), 12, (0, 1)), root / "seqA")
    write_folder(pan(photo(1), 3, (0, 1)), root / "deep" / "seqB", "{i:03d}.jpg")
    write_video(pan(photo(2), 8, (0, 1)), root / "deep" / "clip.avi", "MJPG")
    (root / "notes.txt").write_text("not a clip\n")
    found = cliplib.expand_source(str(root))
    assert [(c.name, c.kind) for c in found] == [("deep/clip.avi", VIDEO), ("deep/seqB", FRAMES), ("seqA", FRAMES)]
    seq_a = found[2]
    assert [Path(p).name for p in seq_a.frames][:4] == ["f0.png", "f1.png", "f2.png", "f3.png"]
    assert Path(seq_a.frames[10]).name == "f10.png"  # after f9, not after f1
    # A folder that holds the frames itself is named by its own name; a glob of folders works.
    assert [c.name for c in cliplib.expand_source(str(root / "seqA"))] == ["seqA"]
    assert [c.name for c in cliplib.expand_source(str(root / "*" / "seq*"))] == ["deep/seqB"]
    with pytest.raises(ValueError, match="a single frame is not a clip"):
        cliplib.expand_source(str(root / "seqA" / "f0.png"))
    with pytest.raises(ValueError, match="no clips found"):
        cliplib.expand_source(str(tmp_path / "nothing*"))
    # The same clip found twice is one clip; another clip of a taken name is rejected, not dropped.
    write_folder(pan(photo(3), 4, (0, 1)), tmp_path / "other" / "seqA")
    kept, rejects = cliplib.merge_sources([str(root), str(root / "seqA"), str(tmp_path / "other")])
    assert [c.name for c in kept] == ["deep/clip.avi", "deep/seqB", "seqA"]
    assert kept[2].path == str(root / "seqA")
    assert [(r.path, r.kind) for r in rejects] == [(str(tmp_path / "other" / "seqA"), "duplicate")]


@pytest.mark.parametrize("per_range", [1, 3, 50])
def test_blurred_is_exactly_the_rounded_mean_with_the_camera_off_whatever_the_ranges(tmp_path, per_range):
    frames = zoom(photo(3), 23)
    clip = folder_clip(frames, tmp_path / "zoom")
    s = VideoSettings(frames=5, stride=3, camera=OFF, ghost=PLAIN)
    want = expected_windows(frames, 5, 3)
    units = units_of(clip, s, per_range)
    assert [u.name for u in units] == [f"zoom#{a:06d}" for a in sorted(want)]
    for first, unit in zip(sorted(want), units):
        blurred, sharp = blurred_and_sharp(unit)
        np.testing.assert_array_equal(blurred, want[first][0])
        np.testing.assert_array_equal(sharp, want[first][1])
        ((split, pair),) = unit.pairs
        assert pair.kernel is None and pair.source == "zoom"
        assert {k: pair.params[k] for k in ("clip", "first_frame", "frames", "stride", "interpolate")} == \
            {"clip": "zoom", "first_frame": first, "frames": 5, "stride": 3, "interpolate": 0}


@pytest.mark.parametrize("length", [7, 31])
def test_means_next_to_one_half_round_the_right_way(tmp_path, length):
    # Window sums whose mean lies 1/(2N) below and above x.5: the closest a mean of N frames gets to a tie.
    base = np.full((16, 16, 3), 100, np.uint8)
    frames = [base.copy() for _ in range(length)]
    for i in range((length - 1) // 2):
        frames[i][:, :8] += 1  # left half: sum = 100 N + (N - 1) / 2 -> mean 100.5 - 1/(2N) -> 100
    for i in range((length + 1) // 2):
        frames[i][:, 8:] += 1  # right half: sum = 100 N + (N + 1) / 2 -> mean 100.5 + 1/(2N) -> 101
    clip = folder_clip(frames, tmp_path / "ties")
    (unit,) = units_of(clip, VideoSettings(frames=length, stride=length, camera=OFF, min_size=8, ghost=PLAIN), 4)
    blurred, _ = blurred_and_sharp(unit)
    assert (blurred[:, :8] == 100).all() and (blurred[:, 8:] == 101).all()
    np.testing.assert_array_equal(blurred, rounded_mean(frames))


def test_with_linear_srgb_the_mean_is_taken_in_linear_light(tmp_path):
    frames = moving_object(photo(1), photo(4, 24), 7, step=(1, 4))
    clip = folder_clip(frames, tmp_path / "obj")
    cam = CameraConfig(linear="srgb", noise="none")
    (unit,) = units_of(clip, VideoSettings(frames=7, stride=7, camera=cam, ghost=PLAIN), 4)
    blurred, _ = blurred_and_sharp(unit)
    linear = np.mean([srgb_to_linear(f / 255.0) for f in frames], axis=0)
    want = np.rint(linear_to_srgb(linear.astype(np.float32)) * 255.0)
    assert np.abs(blurred.astype(int) - want).max() <= 1
    # ... which differs from the plain mean where the moving object's edges mix bright and dark.
    assert np.abs(blurred.astype(int) - rounded_mean(frames)).max() >= 3


def test_noise_is_drawn_per_window_from_the_seed(tmp_path):
    frames = pan(photo(2), 14, (1, 1))
    clip = folder_clip(frames, tmp_path / "p")
    noisy = VideoSettings(frames=7, stride=7, seed=3, ghost=PLAIN)  # default camera: stored values, shot and read noise
    a = [encode_example(u.pairs[0][1]) for u in units_of(clip, noisy, 1)]
    b = [encode_example(u.pairs[0][1]) for u in units_of(clip, noisy, 2)]
    c = [encode_example(u.pairs[0][1]) for u in units_of(clip, VideoSettings(frames=7, stride=7, seed=4, ghost=PLAIN), 2)]
    assert a == b and a != c
    params = units_of(clip, noisy, 2)[0].pairs[0][1].params["camera"]
    assert params["noise"] == "poisson-gaussian" and params["full_well"] > 0 and params["linear"] == "none"


def test_a_window_spanning_a_scene_cut_is_rejected_and_pans_are_not(tmp_path):
    frames = pan(photo(0), 10, (1, 2)) + pan(photo(4), 10, (0, -3))
    clip = folder_clip(frames, tmp_path / "cut")
    units = units_of(clip, VideoSettings(frames=5, stride=3, camera=OFF, ghost=PLAIN), 2)
    rejected = {u.name: u.reject for u in units if u.reject}
    assert sorted(rejected) == ["cut#000006", "cut#000009"]  # frames 6-10 and 9-13 hold frames 9 and 10
    assert all(r.kind == "scene cut" and "between frames 9 and 10" in r.reason for r in rejected.values())
    assert len([u for u in units if u.pairs]) == 4
    # With detection off, every window is written.
    off = units_of(clip, VideoSettings(frames=5, stride=3, camera=OFF, cut_threshold=None, ghost=PLAIN), 2)
    assert all(u.pairs for u in off)


def test_a_bad_frame_costs_only_the_windows_that_hold_it(tmp_path):
    frames = pan(photo(1), 16, (1, 1))
    clip = folder_clip(frames, tmp_path / "bad")
    broken = Path(clip.frames[7])
    broken.write_bytes(broken.read_bytes()[:100])  # a truncated PNG
    write_rgb(Path(clip.frames[13]), np.zeros((20, 20, 3), np.uint8))  # a frame of another size
    units = units_of(clip, VideoSettings(frames=3, stride=2, camera=OFF, min_size=8, ghost=PLAIN), 3)
    kinds = {u.name: u.reject.kind for u in units if u.reject}
    assert kinds == {"bad#000006": "bad frame", "bad#000012": "sizes differ"}
    reason = next(u.reject.reason for u in units if u.name == "bad#000006")
    assert "frame 7" in reason and "f7.png" in reason and "truncated PNG" in reason
    assert len(units) == window_count(16, 3, 2) == 7


@pytest.mark.parametrize("fourcc,ext", [("FFV1", "mkv"), ("MJPG", "avi"), ("mp4v", "mp4")])
def test_video_ranges_seek_to_the_same_frames_as_one_pass(tmp_path, fourcc, ext):
    frames = moving_object(photo(3), photo(0, 16), 40, step=(0, 1))
    clip, count = video_clip(frames, tmp_path / f"obj.{ext}", fourcc)
    decoded = decode_video(tmp_path / f"obj.{ext}")
    if fourcc == "FFV1":
        assert all(np.array_equal(a, b) for a, b in zip(decoded, frames))  # lossless
    want = expected_windows(decoded, 5, 4)
    s = VideoSettings(frames=5, stride=4, camera=OFF, ghost=PLAIN)
    whole, ranged = units_of(clip, s, 100, count), units_of(clip, s, 2, count)
    assert [encode_example(u.pairs[0][1]) for u in whole] == [encode_example(u.pairs[0][1]) for u in ranged]
    for first, unit in zip(sorted(want), ranged):
        blurred, sharp = blurred_and_sharp(unit)
        np.testing.assert_array_equal(blurred, want[first][0])
        np.testing.assert_array_equal(sharp, want[first][1])


def test_a_video_that_ends_before_its_header_says_rejects_the_windows_past_the_end(tmp_path):
    path = write_video(pan(photo(2), 30, (1, 2)), tmp_path / "cut-short.avi", "MJPG")
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    count, _ = cliplib_count(path)
    decodable = len(decode_video(path))
    assert count == 30 and 5 < decodable < 30
    units = units_of(Clip("cut-short.avi", str(path), VIDEO), VideoSettings(frames=3, stride=3, camera=OFF, ghost=PLAIN), 3, count)
    assert len(units) == 10
    good = [u for u in units if u.pairs]
    assert len(good) == decodable // 3
    for u in units[len(good):]:
        assert u.reject.kind == "bad frame" and "header" in u.reject.reason, u.reject


def cliplib_count(path: Path):
    from pipelines.footage.frames import video_frame_count
    return video_frame_count(str(path))


def _subpixel_pan(image: np.ndarray, count: int, speed: float, size=(48, 64)) -> list[np.ndarray]:
    h, w = size
    out = []
    for i in range(count):
        m = np.float32([[1, 0, -10 - i * speed], [0, 1, -10 - 0.3 * i * speed]])
        out.append(cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR))
    return out


@pytest.mark.parametrize("flow", ["dis", "farneback"])
def test_interpolation_brings_a_decimated_clip_closer_to_the_true_blur(tmp_path, flow):
    # Rendered at 4x the rate, then every 4th frame kept: the truth is the mean of all rendered frames.
    k, length = 3, 5
    fine = _subpixel_pan(photo(0, 200), (length - 1) * (k + 1) + 1, speed=1.5)
    truth = rounded_mean(fine)
    coarse = fine[::k + 1]
    clip = folder_clip(coarse, tmp_path / "pan")
    errors = {}
    for extra in (0, k):
        ghost = GhostSettings(interpolate=extra, max_motion=None, max_mismatch=None)
        s = VideoSettings(frames=length, stride=length, ghost=ghost, flow=flow, camera=OFF, cut_threshold=None)
        (unit,) = units_of(clip, s, 1)
        blurred, _ = blurred_and_sharp(unit)
        assert unit.pairs[0][1].params["samples"] == length + (length - 1) * extra
        errors[extra] = np.abs(blurred.astype(float) - truth)[8:-8, 8:-8].mean()
    assert errors[k] < 0.6 * errors[0], errors


def test_a_range_holds_one_window_of_frames_not_the_clip(tmp_path):
    frames = pan(photo(0, 400), 120, (1, 2), size=(96, 128))
    clip = folder_clip(frames, tmp_path / "long")
    s = VideoSettings(frames=5, stride=5, camera=OFF)

    def peak(windows: int) -> int:
        (item, *_) = plan_ranges(clip, len(frames), 0.0, 5, 5, windows)
        tracemalloc.start()
        for _ in range_units(item, s).units:
            pass
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    short, long = peak(2), peak(24)  # 10 frames against 120 frames
    frame_bytes = 96 * 128 * 3
    assert long < short + 4 * frame_bytes, (short, long)


def test_settings_refuse_bad_values_by_flag():
    with pytest.raises(ValueError, match="--frames must be an odd number"):
        VideoSettings(frames=6)
    with pytest.raises(ValueError, match="--stride"):
        VideoSettings(stride=0)
    with pytest.raises(ValueError, match="--flow"):
        VideoSettings(flow="raft")
    with pytest.raises(ValueError, match="--cut-threshold"):
        VideoSettings(cut_threshold=0)
    with pytest.raises(ValueError, match="give --frames N .* or --exposure T"):
        VideoSettings(frames=None)
    with pytest.raises(ValueError, match="not both"):
        VideoSettings(frames=3, exposure=Exposure.parse("1/30"))
    with pytest.raises(ValueError, match="--interpolate auto chooses .* from --max-motion, which is off"):
        GhostSettings(max_motion=None)
    with pytest.raises(ValueError, match="--max-mismatch must be a percentage"):
        GhostSettings(max_mismatch=120)
