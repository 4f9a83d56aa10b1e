"""One writer per run folder and per deblur --out: two `blurgen fit` (or `deblur`) runs into one
folder, in separate processes, at several start offsets: one finishes whole, the other is refused
naming it (exit status 2); a fit killed with SIGKILL leaves its lock to the next run, which takes
it over with a warning and resumes; another machine's lock is honoured until --break-lock.

`blurgen fit` execs `python -m training.commands fit`, so the process that trains, and holds the lock,
keeps the id of the one started here.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blurgen.outputs.holder import Holder
from blurgen.images import read_image, write_image
from blurgen.outputs.lock import LOCK_FILE
from training.gan import checkpoint
from training.commands import deblur
from training.commands import fit

import racekit
from racekit import REPO, STARTED

TINY = ["--smoke", "--gen-filters", "4", "--gen-blocks", "1", "--critic-filters", "4", "--critic-layers", "2",
        "--critic-steps", "2", "--batch", "2", "--crop", "32", "--shuffle-buffer", "8", "--samples", "2",
        "--verbose", "0"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def blurgen(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "blurgen.cli", *args], cwd=REPO, env=ENV, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 300) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists():
            return
        assert proc.poll() is None, f"the run ended before {path} appeared"
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def refusal(command: str, out: Path, pid: int, marker: str) -> str:
    return (rf"error: --out {re.escape(str(out))} is in use by blurgen {command} \(pid {pid} on host "
            rf"{re.escape(socket.gethostname())}, started {STARTED}, command line `python -m training\.commands "
            rf"{command} [^`]*{re.escape(marker)}[^`]*`\); wait for that run to finish \(or stop it\), or choose "
            r"another --out")


def one_refused(runs: tuple[racekit.Run, racekit.Run], command: str, out: Path, markers: tuple[str, str]) -> int:
    """Check that one run finished and the other was refused naming it; returns the winner's index."""
    winner, loser = racekit.winner_and_loser(runs)
    won = runs.index(winner)
    errors = racekit.error_lines(loser)
    assert len(errors) == 1 and re.fullmatch(refusal(command, out, winner.pid, markers[won]), errors[0]), \
        loser.output()
    assert "Traceback" not in loser.output()
    return won


@pytest.mark.slow
@pytest.mark.parametrize("offset", [0.0, None], ids=["together", "mid-run"])
def test_two_fits_into_one_run_folder_one_trains_the_other_is_refused(train_glob, tmp_path, offset):
    out = tmp_path / "run"
    flags = ["--train", train_glob, "--out", str(out), *TINY, "--epochs", "1", "--steps-per-epoch", "3"]
    runs = racekit.race("training.commands", ["fit", "--seed", "1", *flags], ["fit", "--seed", "2", *flags],
                        ["training.commands", "training.commands.fit"], tmp_path, offset, (out / "config.json").exists)
    won = one_refused(runs, "fit", out, ("--seed 1", "--seed 2"))
    if offset is None:
        assert won == 0, "a fit started while another trains is refused"
    assert json.loads((out / "config.json").read_text())["seed"] == won + 1, "the winner's run, not a mix"
    summary = json.loads((out / fit.SUMMARY_FILE).read_text())
    assert summary["step"] == 3 and summary["generator"] == str(out / "generator.keras")
    assert os.listdir(out / "checkpoints") == ["ckpt-00000003.npz"]
    assert (out / "generator.keras").stat().st_size > 0 and not (out / LOCK_FILE).exists()


@pytest.mark.slow
def test_a_killed_fits_lock_is_taken_over_and_the_run_resumed(train_glob, tmp_path, capsys):
    out = tmp_path / "run"
    flags = ["--train", train_glob, "--out", str(out), *TINY, "--epochs", "1", "--steps-per-epoch", "12",
             "--checkpoint-every", "2"]
    first = blurgen(["fit", *flags], tmp_path / "1.log")
    wait_for(out / "checkpoints" / "ckpt-00000002.npz", first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert Holder.from_bytes((out / LOCK_FILE).read_bytes()).pid == first.pid
    assert fit.main(flags) == 0  # the next run, here in the test's process
    err = capsys.readouterr().err
    assert re.search(rf"warning: --out {re.escape(str(out))} was locked by blurgen fit \(pid {first.pid} on host "
                     rf"{re.escape(socket.gethostname())}, started {STARTED}, command line `python -m training\.commands "
                     r"fit [^`]*`\), which ended without releasing it; taking over\n", err), err
    assert "resuming from" in err
    assert json.loads((out / fit.SUMMARY_FILE).read_text())["step"] == 12
    assert not (out / LOCK_FILE).exists()


def test_fit_honours_another_machines_lock_until_break_lock(train_glob, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    foreign = Holder(pid=77, host="elsewhere.example", started="2026-12-05 10:32:01 +0000", command="blurgen fit",
                     command_line="blurgen fit --out run", boot="b", proc_start=1, token="t")
    (out / LOCK_FILE).write_bytes(foreign.to_bytes())
    flags = ["--train", train_glob, "--out", str(out), *TINY, "--epochs", "1", "--steps-per-epoch", "1"]
    assert fit.main(flags) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {out} is locked by blurgen fit (pid 77 on host elsewhere.example, ")
    assert "run again with --break-lock" in err and sorted(os.listdir(out)) == [LOCK_FILE]
    assert fit.main([*flags, "--break-lock"]) == 0
    assert "breaking the lock of blurgen fit (pid 77 on host elsewhere.example" in capsys.readouterr().err
    assert json.loads((out / fit.SUMMARY_FILE).read_text())["step"] == 1 and not (out / LOCK_FILE).exists()


def test_fit_refused_at_the_door_writes_nothing_and_a_failed_start_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "new" / "run"
    assert fit.main(["--train", str(tmp_path / "none-*.tfrecord"), "--out", str(out), *TINY]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "new").exists(), "the folders made for the lock go with it"


def _images(folder: Path, prefix: str, count: int) -> dict[str, np.ndarray]:
    images = {}
    for i in range(count):
        img = np.random.default_rng(i).integers(0, 256, (24 + i, 32, 3), dtype=np.uint8)
        write_image(folder / f"{prefix}{i}.png", img)
        images[f"{prefix}{i}.png"] = img
    return images


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> str:
    """A tiny generator: loading and tracing it keeps a deblur run at work for a second or more."""
    import keras
    from shardkit import tiny_config
    from training.networks import build_generator
    keras.utils.set_random_seed(7)
    path = tmp_path_factory.mktemp("model") / "generator.keras"
    build_generator(tiny_config(gen_norm="instance", gen_zero_init_output=False)).save(path)
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("offset", [0.3], ids=["0.3s-later"])
def test_two_deblurs_into_one_out_one_writes_the_other_is_refused(model_file, tmp_path, offset):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    made = (_images(tmp_path / "a", "a", 6), _images(tmp_path / "b", "b", 6))
    out = tmp_path / "out"
    flags = ["--model", model_file, "--precision", "float32", "--out", str(out)]
    runs = racekit.race("training.commands", ["deblur", str(tmp_path / "a"), *flags],
                        ["deblur", str(tmp_path / "b"), *flags],
                        ["training.commands", "training.commands.deblur", "training.inference.restorer"], tmp_path, offset)
    won = one_refused(runs, "deblur", out, (str(tmp_path / "a"), str(tmp_path / "b")))
    assert sorted(os.listdir(out)) == sorted(made[won]), "the winner's images only, no partial or lock file"
    for name, img in made[won].items():
        assert read_image(out / name).shape == img.shape


def test_deblur_refused_while_another_run_holds_out_and_leftovers_of_a_killed_run_cleared(tmp_path, capsys):
    write_image(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    out = tmp_path / "out"
    code = ("import sys\nfrom blurgen.outputs.lock import output_lock\nwith output_lock(sys.argv[1], command='blurgen deblur'):"
            "\n    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    (out / ".a.partial-999999.png").write_bytes(b"half an image")  # the holder is writing it
    try:
        assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --out {out} is in use by blurgen deblur (pid {holder.pid} on host ")
        assert sorted(os.listdir(out)) == [".a.partial-999999.png", LOCK_FILE], "nothing touched"
    finally:
        holder.kill()  # as a killed run: its partial image and its lock record stay
        holder.wait()
    assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--out", str(out)]) == 0
    assert "ended without releasing it; taking over" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["a.png"]


def test_compare_describe_and_lpips_convert_refuse_a_folder_in_use(tmp_path, capsys):
    from training.commands import compare
    from training.commands import describe
    from training.commands import lpips

    out = tmp_path / "out"
    code = ("import sys\nfrom blurgen.outputs.lock import output_lock\nwith output_lock(sys.argv[1], command='blurgen x'):"
            "\n    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    (tmp_path / "w.pth").write_bytes(b"")
    try:
        weights = ["--vgg16", str(tmp_path / "w.pth"), "--lin", str(tmp_path / "w.pth")]
        for main, args in ((compare.main, [str(tmp_path / "r.json")]), (describe.main, ["--preset", "smoke"]),
                           (lpips.main, ["convert", *weights])):
            assert main([*args, "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"error: --out {out} is in use by blurgen x (pid {holder.pid} ")
            assert err.count("\n") == 1
        assert os.listdir(out) == [LOCK_FILE]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("command", ["fit", "deblur"])
def test_fit_and_deblur_refuse_a_folder_in_use_before_tensorflow_loads(command, tmp_path):
    out = tmp_path / "out"
    code = ("import sys\nfrom blurgen.outputs.lock import output_lock\nwith output_lock(sys.argv[1], command='blurgen fit'):"
            "\n    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    args = ["--train", "x-*"] if command == "fit" else ["--model", "identity", "a.png"]
    probe = ("import sys\nfrom training import commands\ncode = commands.main(sys.argv[1:])\n"
             "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'no tensorflow')\nsys.exit(code)\n")
    try:
        done = subprocess.run([sys.executable, "-c", probe, command, *args, "--out", str(out)], cwd=REPO, env=ENV,
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert done.returncode == 2 and done.stdout == "no tensorflow\n", done.stderr
    assert done.stderr.startswith(f"error: --out {out} is in use by blurgen fit (pid {holder.pid} on host ")
    assert done.stderr.count("\n") == 1
