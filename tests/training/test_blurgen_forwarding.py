"""`blurgen fit|score|deblur` run the trainer in a subprocess (TensorFlow never beside tfrecord)."""
import json
import subprocess
import sys


def test_blurgen_score_forwards_to_training_score(tmp_path, test_glob):
    out = tmp_path / "blurry.json"
    proc = subprocess.run([sys.executable, "-m", "blurgen.cli", "score", "--model", "identity",
                           "--data", test_glob, "--out", str(out), "--metrics", "psnr,ssim"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["model"] == "identity" and report["count"] > 0
    # identity restores nothing: its scores are the blurry input's own
    assert report["mean"]["restored"] == report["mean"]["blurry"]


def test_blurgen_forwards_exit_status(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "blurgen.cli", "score", "--model", "identity",
                           "--data", str(tmp_path / "none-*.tfrecord"), "--out", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "none-" in proc.stderr
