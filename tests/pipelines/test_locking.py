"""One writer per --out: two dataset runs into one folder, in separate processes, at several start
offsets: one writes a whole dataset, the other is refused at the door naming it (exit status 2).

Also: a refused run touches nothing (not even the staging folder of the run that holds the lock),
another machine's lock is honoured until --break-lock, and ``inspect`` ignores the lock file
and says who writes.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable

import cv2
import pytest

from blurgen.outputs.holder import Holder
from blurgen.outputs.lock import LOCK_FILE
from pipelines import inspection, synth
from pipelines.shards import commit

import racekit
from pipeline_helpers import REPO, SAMPLES, small_copy, write_rgb
from video_helpers import pan, photo, write_folder

RUNNER = ["--runner=DirectRunner", "--direct_num_workers=1"]
PHOTOS = 6


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, list[str]]:
    """Each command's input flags, sized so that a run holds its lock for a few seconds."""
    root = tmp_path_factory.mktemp("lock-inputs")
    for i in range(PHOTOS):
        img = small_copy(SAMPLES[i % len(SAMPLES)], 128 - 2 * i)
        write_rgb(root / "photos" / f"p{i:02d}.png", img)
        write_rgb(root / "sharp" / f"p{i:02d}.png", img)
        write_rgb(root / "blurred" / f"p{i:02d}.png", cv2.GaussianBlur(img, (9, 9), 2.0))
    for i in range(2):
        write_folder(pan(photo(i), 20, (1, 2)), root / "clips" / f"c{i}")
    return {"synth": ["--src", str(root / "photos"), "--variants", "2"],
            "pairs": ["--layout", "folders", "--blurred", str(root / "blurred"), "--sharp", str(root / "sharp"),
                      "--patch", "64", "--patches-per-image", "2"],
            "video": ["--src", str(root / "clips"), "--frames", "5", "--stride", "3"]}


PAIRS = {"synth": PHOTOS * 2, "pairs": PHOTOS * 2, "video": 2 * 6}


def command_line(command: str, flags: list[str], out: Path, seed: int) -> list[str]:
    return [command, *flags, "--out", str(out), "--overwrite", "--seed", str(seed), *RUNNER]


def records_written(out: Path) -> Callable[[], bool]:
    """Whether the run writes records into its staging folder (it is mid-run)."""
    spool = out / ".blurgen.incomplete" / "spool"
    return lambda: spool.is_dir() and any(spool.iterdir())


def refusal(command: str, out: Path, winner: racekit.Run, seed: int) -> str:
    """The one line a refused run prints, naming the run that holds ``out``."""
    return (rf"error: --out {re.escape(str(out))} is in use by blurgen {command} \(pid {winner.pid} on host "
            rf"{re.escape(socket.gethostname())}, started {racekit.STARTED}, command line `python -m blurgen\.cli "
            rf"{command} [^`]*--seed {seed} [^`]*`\); wait for that run to finish \(or stop it\), or choose "
            r"another --out")


# synth at every offset; the others, which lock through the same launcher, at two each.
RACES = [("synth", 0.0), ("synth", 0.3), ("synth", None), ("pairs", 0.0), ("pairs", None), ("video", 0.3),
         ("video", None)]


@pytest.mark.slow
@pytest.mark.parametrize("command, offset", RACES,
                         ids=[f"{c}-{'mid-run' if o is None else f'{o}s-later'}" for c, o in RACES])
def test_two_runs_into_one_out_one_writes_the_other_is_refused(command, offset, sources, tmp_path):
    out = tmp_path / "out"
    runs = racekit.race("blurgen.cli", command_line(command, sources[command], out, 1),
                        command_line(command, sources[command], out, 2),
                        ["blurgen.cli", "pipelines.cli", f"pipelines.{command}"], tmp_path, offset,
                        records_written(out))
    winner, loser = racekit.winner_and_loser(runs)
    if offset is None:
        assert winner is runs[0], "a run started mid-run is refused"
    seed = 1 if winner is runs[0] else 2
    errors = racekit.error_lines(loser)
    assert len(errors) == 1 and re.fullmatch(refusal(command, out, winner, seed), errors[0]), loser.output()
    assert "Traceback" not in loser.output() and "inputs =" not in loser.output(), "refused before any work"

    report = inspection.inspect_dataset(str(out))
    assert report.ok, report.problems
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == seed and manifest["pairs_total"] == PAIRS[command], "the winner's dataset, whole"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [], "no lock, staging or journal left"


def _hold(out: Path) -> subprocess.Popen:
    """Another process holding the lock on ``out`` until its stdin closes."""
    code = ("import sys\nfrom blurgen.outputs.lock import output_lock\nwith output_lock(sys.argv[1], command='blurgen synth'):"
            "\n    print('held', flush=True)\n    sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_refused_run_touches_nothing_in_out(photos, tmp_path, capsys):
    """Not the dataset, and not the staging folder of the run that holds the lock (which a run
    that got in would clear as left by a killed run)."""
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "1", *RUNNER])
    holder = _hold(out)
    try:
        spool = out / ".blurgen.incomplete" / "spool"
        spool.mkdir(parents=True)
        (spool / "w0.rec").write_bytes(b"the holder's records")
        before = _files(out)
        capsys.readouterr()
        assert synth.main(["--src", str(photos), "--out", str(out), "--overwrite", "--seed", "3", *RUNNER]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --out {out} is in use by blurgen synth (pid {holder.pid} on host ")
        assert err.count("\n") == 1
        assert _files(out) == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_another_machines_lock_is_honoured_until_break_lock(photos, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    foreign = Holder(pid=77, host="elsewhere.example", started="2026-12-05 10:32:01 +0000", command="blurgen synth",
                     command_line="blurgen synth --src x --out y", boot="b", proc_start=1, token="t")
    (out / LOCK_FILE).write_bytes(foreign.to_bytes())
    flags = ["--src", str(photos), "--out", str(out), "--num-shards", "1", *RUNNER]
    assert synth.main(flags) == 2
    err = capsys.readouterr().err
    assert err == (f"error: --out {out} is locked by blurgen synth (pid 77 on host elsewhere.example, started "
                   "2026-12-05 10:32:01 +0000, command line `blurgen synth --src x --out y`), a run on another "
                   "machine that cannot be checked from here; if that run has ended, run again with --break-lock, "
                   "otherwise wait for it or choose another --out\n")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]
    assert synth.main([*flags, "--break-lock"]) == 0
    assert "breaking the lock of blurgen synth (pid 77 on host elsewhere.example" in capsys.readouterr().err
    assert inspection.inspect_dataset(str(out)).ok
    manifest = json.loads((out / "manifest.json").read_text())
    assert "break_lock" not in manifest["parameters"], "how a run was let in is not a parameter of the data"
    assert not (out / LOCK_FILE).exists()


def test_inspect_ignores_the_lock_file_and_says_who_writes(photos, tmp_path, capsys):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "1", *RUNNER])
    holder = _hold(out)
    try:
        assert str(out / LOCK_FILE) not in commit.existing_dataset(str(out))[1]
        capsys.readouterr()
        assert inspection.main([str(out)]) == 0
        printed = capsys.readouterr().out
        assert printed.startswith(f"note: {out} is being written by blurgen synth (pid {holder.pid} on host ")
        assert "OK: every record's checksums verified" in printed
    finally:
        holder.kill()  # leaves its record behind, as a killed run does
        holder.wait(timeout=30)
    assert inspection.main([str(out)]) == 0
    assert "which ended without releasing it; the next run takes it over" in capsys.readouterr().out


def test_a_card_is_not_written_into_a_dataset_another_run_holds(photos, tmp_path, capsys):
    out = tmp_path / "out"
    synth.run(["--src", str(photos), "--out", str(out), "--num-shards", "1", *RUNNER])
    holder = _hold(out)
    try:
        before = _files(out)
        capsys.readouterr()
        assert inspection.main([str(out), "--card"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: DIR {out} is in use by blurgen synth (pid {holder.pid} on host ")
        assert err.count("\n") == 1
        assert _files(out) == before, "no card, nothing else"
        assert inspection.main([str(out)]) == 0, "reading needs no lock"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert inspection.main([str(out), "--card"]) == 0
    assert (out / "README.md").is_file() and not (out / LOCK_FILE).exists()


def test_a_second_export_into_one_out_is_refused_and_the_first_ones_files_stay(photos, tmp_path, capsys):
    from pipelines import export

    data, out = tmp_path / "data", tmp_path / "hub"
    synth.run(["--src", str(photos), "--out", str(data), "--num-shards", "1", *RUNNER])
    staging = Path(export.staging_of(str(out)))
    holder = _hold(staging)
    try:
        (staging / "export").mkdir()
        (staging / "export" / "part.parquet").write_bytes(b"the first export's rows")
        capsys.readouterr()
        assert export.main([str(data), "--to", "parquet", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: OUT {out} is in use by blurgen synth (pid {holder.pid} on host ")
        assert (staging / "export" / "part.parquet").read_bytes() == b"the first export's rows"
        assert not out.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    (staging / "export" / "part.parquet").unlink()
    (staging / "export").rmdir()
    assert export.main([str(data), "--to", "parquet", str(out)]) == 0
    assert (out / "README.md").is_file() and not staging.exists(), "the export in place, no working folder left"
