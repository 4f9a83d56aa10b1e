"""The trainer reads the video pipeline's shards unchanged: the pipeline runs in its own process
(TF-free), ``training.data.shards`` reads what it wrote, and the pixels are the rounded frame means."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from blurgen.images import read_image
from shardkit import ROOT
from training.data import shards as data

pytestmark = pytest.mark.slow


def test_training_data_reads_video_shards_as_exact_frame_means(tmp_path):
    photo = read_image(ROOT / "samples" / "coffee.png")[::4, ::4]
    frames = [np.ascontiguousarray(photo[10 + i:50 + i, 20 + 2 * i:84 + 2 * i]) for i in range(12)]  # a pan
    clip = tmp_path / "clip"
    clip.mkdir()
    for i, frame in enumerate(frames):
        assert cv2.imwrite(str(clip / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / "shards"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-m", "pipelines.video", "--src", str(clip), "--out", str(out),
                           "--frames", "3", "--stride", "3", "--linear", "none", "--noise", "none",
                           "--interpolate", "0", "--max-motion", "off", "--max-mismatch", "off",
                           "--test-fraction", "0", "--runner", "DirectRunner"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "4 inputs = 4 written + 0 rejected" in proc.stdout

    pattern = str(out / "blurgen-train.tfrecord-*")
    seen = {}
    for ex in data.eval_dataset(pattern):
        first = int(ex["key"].numpy().decode().rsplit("#", 1)[1])
        seen[first] = (ex["blurred"].numpy(), ex["sharp"].numpy())
    assert sorted(seen) == [0, 3, 6, 9]
    for first, (blurred, sharp) in seen.items():
        total = sum(f.astype(np.int64) for f in frames[first:first + 3])
        np.testing.assert_array_equal(blurred, ((2 * total + 3) // 6).astype(np.uint8))
        np.testing.assert_array_equal(sharp, frames[first + 1])

    blurred, sharp = next(iter(data.train_dataset(pattern, batch=2, crop=16, shuffle_buffer=4)))
    assert blurred.shape == sharp.shape == (2, 16, 16, 3)
    assert -1.0 <= float(np.min(blurred)) and float(np.max(blurred)) <= 1.0
