"""Every degradation setting has a physical range, checked in one place for the library, --config
files and flags alike; absurd values, NaN and infinity are one-line errors, never garbage or tracebacks."""
from __future__ import annotations

import dataclasses
import json
import math
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner

from blurgen.config import limits, options
from blurgen.cli import main
from blurgen.config import CameraConfig, DegradeConfig, IspConfig, KernelConfig, RotationConfig, TrajectoryConfig
from blurgen.images import write_image

SETTINGS_PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "guides" / "settings.md"
PARTS = {"kernel.trajectory.": TrajectoryConfig, "kernel.rotation.": RotationConfig, "kernel.": KernelConfig,
         "camera.": CameraConfig, "isp.": IspConfig}


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _declared():
    """(prefix, class, field, Limits) of every numeric setting."""
    return [(prefix, cls, f, f.metadata["limits"]) for prefix, cls in PARTS.items()
            for f in dataclasses.fields(cls) if "limits" in f.metadata]


def _bad_values(lim: limits.Limits):
    one = [math.nan, math.inf, -math.inf, lim.high * 10 + 1, "2", True]
    if lim.low > 0 or lim.low_open:
        one.append(lim.low - 1 if not lim.low_open else lim.low)
    if lim.integer:
        one.append(lim.low + 0.5)
    if lim.shape == limits.RANGE:
        return [(v, v) for v in one] + [(lim.high, lim.low) if lim.high > lim.low else (1, 0), (lim.low,)]
    if lim.shape == limits.LIST:
        return [(v,) for v in one] + [()]
    if lim.shape == limits.ROWS:
        return [((v, 0.0, 0.0),) for v in one] + [(), ((),), 0.5]
    return one


@pytest.mark.parametrize("prefix, cls, f, lim", _declared(), ids=lambda x: getattr(x, "name", ""))
def test_every_setting_refuses_values_outside_its_range(prefix, cls, f, lim):
    for value in _bad_values(lim):
        with pytest.raises(ValueError, match=rf"^{prefix}{f.name} must be ") as caught:
            cls(**{f.name: value})
        assert lim.why in str(caught.value)
    cls(**{f.name: f.default})  # the default is inside


def test_every_setting_is_declared_with_a_range_or_choices():
    for cls in (*PARTS.values(), DegradeConfig):
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            assert dataclasses.is_dataclass(default) or {"limits", "choices", "switch"} & set(f.metadata), f.name


@pytest.mark.parametrize("flag, value, key", [
    ("--gamma", "1e30", "camera.gamma"), ("--highlight-boost", "1e300", "camera.highlight_boost"),
    ("--read-noise", "1e30", "camera.read_noise"), ("--full-well", "inf", "camera.full_well"),
    ("--max-length", "inf", "kernel.trajectory.max_length"), ("--anxiety", "nan", "kernel.trajectory.anxiety"),
    ("--mix", "trajectory=nan", "kernel.weights"), ("--mix", "trajectory=inf", "kernel.weights"),
    ("--canvas", "100000", "kernel.trajectory.canvas"), ("--exposures", "nan", "kernel.trajectory.exposures"),
    ("--focal", "1e9", "kernel.rotation.focal_px"), ("--tilt", "nan", "kernel.rotation.tilt"),
    ("--roll", "-1", "kernel.rotation.roll"), ("--focal-mm", "3,2", "kernel.rotation.focal_mm"),
    ("--red-gain", "inf", "isp.red_gain"), ("--blue-gain", "0", "isp.blue_gain"),
])
def test_absurd_flags_are_one_line_usage_errors_naming_flag_and_range(tmp_path, flag, value, key):
    src = tmp_path / "in.png"
    write_image(src, np.full((16, 16, 3), 90, np.uint8))
    r = _run("degrade", src, tmp_path / "out.png", flag, value)
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert f"{flag}: {key} must be" in r.output, r.output
    assert not (tmp_path / "out.png").exists()
    r = _run("kernels", "--count", 2, "--out", tmp_path / "k.npz", flag, value)
    assert r.exit_code == 2 and f"{flag}: {key} must be" in r.output


@pytest.mark.parametrize("text", ['{"camera": {"gamma": 1e400}}', '{"camera": {"read_noise": [0, NaN]}}',
                                  '{"kernel": {"trajectory": {"canvas": 64.5}}}', '{"crop_kernel": 1}',
                                  '{"kernel": {"rotation": {"trajectory": [[0, 0, 9]]}}}',
                                  '{"kernel": {"rotation": {"grid": 0}}}', '{"isp": {"cameras": ["x"]}}',
                                  '{"isp": {"mode": "jpeg"}}', '{"kernel": {"weights": [1, 0]}}'])
def test_config_files_meet_the_same_check(tmp_path, text):
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(ValueError, match="must be"):
        DegradeConfig.from_dict(json.loads(text))
    write_image(tmp_path / "in.png", np.full((16, 16, 3), 90, np.uint8))
    r = _run("degrade", tmp_path / "in.png", tmp_path / "out.png", "--config", tmp_path / "c.json")
    assert r.exit_code == 2 and f"--config {tmp_path / 'c.json'}: " in r.output and "must be" in r.output


def test_flag_help_states_each_range_from_the_declaration():
    by_dest = {f.dest: f for f in options.FLAGS}
    assert by_dest["gamma"].full_help.endswith("each value 1 to 3")
    assert "1 to 100" in by_dest["jpeg"].full_help and "whole number" in by_dest["jpeg"].full_help
    r = _run("degrade", "--help")
    assert "each value 10 to 1,000,000 photons" in " ".join(r.output.split())


def test_the_settings_page_tables_every_declared_setting_with_its_default_and_range():
    text = SETTINGS_PAGE.read_text()
    for key, default, allowed, _ in limits.table(DegradeConfig, ""):
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row is not None, f"docs/guides/settings.md has no row for {key}"
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert (cells[2], cells[3]) == (default, allowed), (key, default, allowed, row)


def test_kernels_count_beyond_memory_says_how_much_it_would_take(tmp_path):
    r = _run("kernels", "--count", 10_000_000, "--out", tmp_path / "k.npz")
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "10,000,000 kernels of 85x85 px need about" in r.output and "GiB of memory" in r.output
    assert not (tmp_path / "k.npz").exists()
