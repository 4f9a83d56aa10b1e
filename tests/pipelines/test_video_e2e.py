"""End-to-end runs of the video pipeline into tmp_path, on rendered clips whose answer is known:
frame folders and encoded video (lossless FFV1, lossy MPEG-4), cuts, bad frames, broken files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from blurgen.shards import schema
from blurgen.images import decode_image
from pipelines import video
from pipelines.cli import video as video_command
from pipelines.footage.clips import window_count
from pipelines.sources.splits import split_of

from pipeline_helpers import read_jsonl, records, shard_bytes
from video_helpers import decode_video, expected_windows, moving_object, pan, photo, write_folder, write_video, zoom

N, S = 5, 3
OFF = ["--linear", "none", "--noise", "none"]
PLAIN = ["--interpolate", "0", "--max-motion", "off", "--max-mismatch", "off"]  # the plain mean, no flow


@pytest.fixture(scope="module")
def clip_tree(tmp_path_factory) -> tuple[Path, dict[str, list[np.ndarray]]]:
    """Clips under one folder, and every usable clip's frames as the decoder gives them."""
    root = tmp_path_factory.mktemp("clips")
    frames = {
        "folders/panA": pan(photo(0), 30, (1, 2)),
        "folders/zoomB": zoom(photo(1), 17),
        "cutC": pan(photo(2), 10, (1, 1)) + pan(photo(4), 9, (0, -2)),
        "badD": pan(photo(3), 11, (1, 0)),
    }
    for name, clip in frames.items():
        write_folder(clip, root / name)
    broken = root / "badD" / "f4.png"
    broken.write_bytes(broken.read_bytes()[:80])
    frames["videos/object.mkv"] = moving_object(photo(1), photo(0, 20), 25)
    write_video(frames["videos/object.mkv"], root / "videos" / "object.mkv", "FFV1")
    write_video(pan(photo(4), 21, (1, 1)), root / "videos" / "lossy.mp4", "mp4v")
    frames["videos/lossy.mp4"] = decode_video(root / "videos" / "lossy.mp4")
    write_folder(pan(photo(0), 3, (0, 1)), root / "shortE")  # fewer frames than one window
    (root / "videos" / "broken.mp4").write_text("not a video\n")
    return root, frames


@pytest.fixture(scope="module")
def run_off(clip_tree, tmp_path_factory):
    root, _ = clip_tree
    out = tmp_path_factory.mktemp("video") / "out"
    manifest = video.run(["--src", str(root), "--out", str(out), "--frames", str(N), "--stride", str(S), *OFF, *PLAIN,
                          "--windows-per-range", "2", "--num-shards", "2", "--test-fraction", "0.5",
                          "--runner=DirectRunner"])
    return out, manifest


@pytest.mark.slow
def test_counts_are_windows_and_every_window_is_written_or_rejected(run_off, clip_tree):
    out, manifest = run_off
    _, frames = clip_tree
    windows = sum(window_count(len(f), N, S) for f in frames.values())
    rejects = read_jsonl(out / "rejects.jsonl")
    kinds = sorted(r["kind"] for r in rejects)
    # cutC: frames 9|10 fall in windows 6-10 and 9-13; badD: frame 4 in windows 0-4 and 3-7.
    assert kinds == ["bad frame", "bad frame", "scene cut", "scene cut", "too short", "unreadable"]
    assert manifest["inputs"] == windows + 2 and manifest["balanced"]
    assert manifest["written"] == manifest["pairs_total"] == windows - 4
    assert manifest["parameters"]["unit"] == "window" and manifest["parameters"]["clips"] == 8
    assert manifest["counters"]["pairs"] == windows - 4
    broken = next(r for r in rejects if r["kind"] == "unreadable")
    assert broken["path"].endswith("broken.mp4") and "cannot be opened as a video" in broken["reason"]


@pytest.mark.slow
def test_pairs_are_the_exact_rounded_means_with_the_camera_off(run_off, clip_tree):
    out, _ = run_off
    _, frames = clip_tree
    seen = 0
    for split, recs in records(out).items():
        for r in recs:
            clip, first = r[schema.SOURCE], r[schema.PARAMS]["first_frame"]
            mean, middle = expected_windows(frames[clip], N, S)[first]
            np.testing.assert_array_equal(decode_image(r[schema.BLURRED]), mean)
            np.testing.assert_array_equal(decode_image(r[schema.SHARP]), middle)
            assert r[schema.KERNEL] is None and r[schema.KERNEL_SHAPE] == []
            assert r[schema.KEY] == f"{clip}#{first:06d}"
            assert {k: r[schema.PARAMS][k] for k in ("clip", "frames", "stride", "interpolate")} == \
                {"clip": clip, "frames": N, "stride": S, "interpolate": 0}
            assert split == split_of(clip, 0.5)  # by the clip: a clip's windows never straddle splits
            seen += 1
    assert seen == run_off[1]["pairs_total"]


@pytest.mark.slow
def test_splits_go_by_clip(run_off):
    out, manifest = run_off
    by_split = {split: {r[schema.SOURCE] for r in recs} for split, recs in records(out).items()}
    assert set(by_split) == {"train", "test"}
    assert not by_split["train"] & by_split["test"]


@pytest.mark.slow
def test_same_bytes_whatever_the_ranges_runner_and_workers(clip_tree, tmp_path):
    root, _ = clip_tree
    flags = ["--src", str(root / "folders"), "--src", str(root / "videos"), "--frames", "5", "--stride", "4",
             "--seed", "5", "--num-shards", "2", "--runner=DirectRunner"]  # the default camera: sRGB, noise
    video.run([*flags, "--out", str(tmp_path / "a"), "--windows-per-range", "1"])
    video.run([*flags, "--out", str(tmp_path / "b"), "--windows-per-range", "3",
               "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    first, second = shard_bytes(tmp_path / "a"), shard_bytes(tmp_path / "b")
    assert first and first == second
    assert (tmp_path / "a" / "dataset_info.json").read_bytes() == (tmp_path / "b" / "dataset_info.json").read_bytes()


@pytest.mark.slow
def test_command_line(clip_tree, tmp_path):
    root, _ = clip_tree
    runner = CliRunner()
    result = runner.invoke(video_command, ["--src", str(root / "folders" / "panA"), "--out", str(tmp_path / "o"),
                                           "--frames", "7", "--interpolate", "2", "--runner", "DirectRunner"])
    assert result.exit_code == 0, result.output
    assert "1 clips: 4 windows of 7 frames every 7" in result.output
    assert "4 inputs = 4 written + 0 rejected" in result.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["parameters"]["interpolate"] == 2 and manifest["pipeline"] == "video"
    # The pan moves 2.2 px per frame: 2 frames in between put the samples 0.75 px apart.
    summary = manifest["summary"]
    assert summary["samples"] == {"count": 4, "min": 19, "max": 19, "mean": 19.0}
    assert 0.6 < summary["max_motion_px"]["max"] <= 1.0 and summary["motion_px_per_frame"]["min"] > 2.0
    one = runner.invoke(video_command, ["--src", str(root / "folders" / "panA"), "--out", str(tmp_path / "q"),
                                        "--frames", "7", "--interpolate", "1", "--runner", "DirectRunner"])
    assert one.exit_code == 1 and "4 inputs = 0 written + 4 rejected" in one.output and "4 ghosting" in one.output
    no_rate = runner.invoke(video_command, ["--src", str(root / "folders"), "--out", str(tmp_path / "p"),
                                            "--exposure", "1/30"])
    assert no_rate.exit_code == 2 and not (tmp_path / "p").exists()
    assert no_rate.output.count("\n") == 1 and "has none: pass --fps" in no_rate.output
    bad = runner.invoke(video_command, ["--src", str(root), "--out", str(tmp_path / "p"), "--frames", "4"])
    assert bad.exit_code == 2 and "--frames must be an odd number" in bad.output
    typo = runner.invoke(video_command, ["--src", str(root), "--out", str(tmp_path / "p"), "--cut_threshold", "9"])
    assert typo.exit_code == 2 and "did you mean --cut-threshold" in typo.output
