"""Nothing a user gave as input is written over: one check (blurgen.outputs.safety) for every command that writes."""
from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner

from blurgen.outputs import safety
from blurgen.cli import main
from blurgen.images import write_image


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    write_image(path, rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    return path


def test_same_path_link_and_hard_link_are_one_file(tmp_path, photo):
    os.symlink(photo, tmp_path / "soft.png")
    os.link(photo, tmp_path / "hard.png")
    spellings = [photo, tmp_path / "soft.png", tmp_path / "hard.png", tmp_path / "." / "photo.png",
                 tmp_path / "sub" / ".." / "photo.png"]
    (tmp_path / "sub").mkdir()
    for path in spellings:
        assert safety.same_file(photo, path), path
        with pytest.raises(safety.OverwriteError, match="would destroy the input"):
            safety.check_outputs([(path, "OUTPUT")], [(photo, "INPUT")])
    assert not safety.same_file(photo, tmp_path / "other.png")
    safety.check_outputs([tmp_path / "other.png", None, (None, "--preview")], [photo, None])


def test_two_outputs_of_one_file_are_refused_even_before_either_exists(tmp_path):
    with pytest.raises(safety.OverwriteError, match="are the same file, so one would overwrite the other"):
        safety.check_outputs([(tmp_path / "a.png", "first"), (tmp_path / "x" / ".." / "a.png", "second")], [])


def test_remote_paths_compare_by_normalised_path():
    with pytest.raises(safety.OverwriteError):
        safety.check_outputs(["gs://b/data/./x.png"], ["gs://b/data/x.png"])
    safety.check_outputs(["gs://b/data/y.png"], ["gs://b/data/x.png"])


@pytest.mark.parametrize("output", ["photo.png", "./photo.png", "soft.png", "hard.png"])
def test_degrade_never_replaces_its_input(tmp_path, photo, output):
    os.symlink(photo, tmp_path / "soft.png")
    os.link(photo, tmp_path / "hard.png")
    before = photo.read_bytes()
    r = _run("degrade", photo, tmp_path / output)
    assert r.exit_code == 2 and "is the same file as INPUT" in r.output and "Traceback" not in r.output, r.output
    assert photo.read_bytes() == before


def test_degrade_kernel_out_cannot_replace_the_given_kernel_or_config(tmp_path, photo):
    kernel = tmp_path / "k.npy"
    np.save(kernel, np.full((3, 3), 1 / 9, np.float32))
    before = kernel.read_bytes()
    r = _run("degrade", photo, tmp_path / "o.png", "--kernel", kernel, "--kernel-out", kernel)
    assert r.exit_code == 2 and "--kernel-out" in r.output and "--kernel " in r.output
    assert kernel.read_bytes() == before and not (tmp_path / "o.png").exists()


def test_kernels_preview_cannot_overwrite_the_config(tmp_path):
    config = tmp_path / "c.png"  # an odd name, but the user's file
    config.write_text("{}")
    r = _run("kernels", "--count", 2, "--out", tmp_path / "k.npz", "--preview", config, "--config", config)
    assert r.exit_code == 2 and "is the same file as --config" in r.output
    assert config.read_text() == "{}" and not (tmp_path / "k.npz").exists()


def test_preview_refuses_panels_over_inputs_and_over_each_other(tmp_path, photo):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(photo.read_bytes())
    (folder / "a-v0.png").write_bytes(photo.read_bytes())  # where a.png's panel would go
    before = (folder / "a-v0.png").read_bytes()
    r = _run("preview", folder, "--out", folder, "--variants", 1)
    assert r.exit_code == 2 and "the panel of a.png" in r.output and "would destroy the input" in r.output
    assert (folder / "a-v0.png").read_bytes() == before
    # a.png and a.jpg would both give the panel a-v0.png: the second would silently replace the first
    (folder / "a-v0.png").unlink()
    (folder / "a.jpg").write_bytes(photo.read_bytes())
    r = _run("preview", folder, "--out", tmp_path / "panels", "--variants", 1)
    assert r.exit_code == 2 and "one would overwrite the other" in r.output and "a.jpg" in r.output
    assert not (tmp_path / "panels").exists()
