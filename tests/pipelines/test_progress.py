"""Progress of a local run: the workers' counts, the line the launcher prints, and a real run's lines."""
import io
import os
import subprocess
import sys

from pipelines.items import progress
from pipeline_helpers import REPO as ROOT


def test_workers_counts_add_up_and_the_line_says_done_total_rate_and_time_left(tmp_path):
    a, b = progress.WorkerCount(str(tmp_path), every=0.0), progress.WorkerCount(str(tmp_path), every=0.0)
    for _ in range(3):
        a.tick()
    b.tick()
    assert progress.read_done(str(tmp_path)) == 4
    assert progress.line("synth", 120, 480, 40.0) == "synth: 120 of 480 inputs (25%), 3.00 inputs/s, about 2.0 min left"
    assert progress.line("synth", 0, 480, 1.0) == "synth: 0 of 480 inputs (0%)"
    out = io.StringIO()
    reporter = progress.Reporter(str(tmp_path), "pairs", 8, interval=0.05, stream=out)
    reporter.start()
    reporter.stop()
    assert out.getvalue().strip().splitlines()[-1].startswith("pairs: 4 of 8 inputs (50%)")


def test_a_worker_without_a_folder_counts_nothing():
    count = progress.WorkerCount(None)
    count.tick()
    count.flush()
    assert count.path is None


def test_synth_on_the_local_runner_prints_its_progress(tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    for name in ("chelsea.png", "coffee.png", "rocket.jpg"):
        (src / name).write_bytes((ROOT / "samples" / name).read_bytes())
    proc = subprocess.run([sys.executable, "-m", "pipelines.synth", "--src", str(src), "--out", str(tmp_path / "out"),
                           "--variants", "1", "--patch", "64"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "synth: 3 of 3 inputs (100%)" in proc.stderr
