import json

import numpy as np
from click.testing import CliRunner

from blurgen.camera.blur import convolve
from blurgen.cli import main
from blurgen.images import read_image, write_image
from blurgen.kernels import centroid


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_kernels_command_writes_array_params_and_gallery(tmp_path):
    r = _run("kernels", "--count", 12, "--seed", 4, "--out", tmp_path / "k.npz", "--preview", tmp_path / "g.png",
             "--mix", "trajectory=0.5,linear=0.25,defocus=0.25")
    assert r.exit_code == 0, r.output
    d = np.load(tmp_path / "k.npz")
    assert d["kernels"].shape == (12, 85, 85) and d["kernels"].dtype == np.float32
    assert set(d["family"]) <= {"trajectory", "linear", "defocus"} and len(d["family"]) == 12
    assert json.loads(str(d["config"]))["weights"] == [0.5, 0.25, 0.25]
    assert read_image(tmp_path / "g.png").shape[2] == 3
    again = _run("kernels", "--count", 12, "--seed", 4, "--out", tmp_path / "k2.npz",
                 "--mix", "trajectory=0.5,linear=0.25,defocus=0.25")
    assert again.exit_code == 0
    assert np.load(tmp_path / "k2.npz")["kernels"].tobytes() == d["kernels"].tobytes()


def test_degrade_plain_convolution_with_reported_kernel(tmp_path, samples):
    src = tmp_path / "in.png"
    write_image(src, read_image(samples / "astronaut.png")[::4, ::4])
    r = _run("degrade", src, tmp_path / "out.png", "--seed", 2, "--kernel-out", tmp_path / "k.npy",
             "--linear", "none", "--noise", "none")
    assert r.exit_code == 0, r.output
    k = np.load(tmp_path / "k.npy")
    h = k.shape[0] // 2
    np.testing.assert_allclose(centroid(k), (h, h), atol=1e-4)
    ref = np.clip(np.rint(convolve(read_image(src).astype(np.float32), k)), 0, 255)
    assert np.abs(ref - read_image(tmp_path / "out.png")).max() <= 1
    # The reported kernel given back as --kernel reproduces the output exactly.
    r = _run("degrade", src, tmp_path / "again.png", "--kernel", tmp_path / "k.npy", "--linear", "none",
             "--noise", "none")
    assert r.exit_code == 0
    assert np.array_equal(read_image(tmp_path / "again.png"), read_image(tmp_path / "out.png"))


def test_errors_say_what_and_how(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    r = _run("degrade", tmp_path / "bad.png", tmp_path / "o.png")
    assert r.exit_code == 2 and "bad.png: not a readable image" in r.output
    r = _run("kernels", "--out", tmp_path / "k.npz", "--mix", "wobble=1")
    assert r.exit_code == 2 and "unknown kernel family 'wobble'" in r.output
    np.save(tmp_path / "k3.npy", np.ones(3))
    write_image(tmp_path / "ok.png", np.zeros((8, 8, 3), np.uint8))
    r = _run("degrade", tmp_path / "ok.png", tmp_path / "o.png", "--kernel", tmp_path / "k3.npy")
    assert r.exit_code == 2 and "finite 2-D array" in r.output
    r = _run("degrade", tmp_path / "ok.png", tmp_path / "o.gif")
    assert r.exit_code == 2 and "ending in .png or .jpg or .jpeg" in r.output


def test_help_lists_pipeline_and_trainer_commands_without_importing_them():
    import sys

    r = _run("--help")
    assert r.exit_code == 0
    for name in ("synth", "pairs", "inspect", "fit", "score", "deblur", "kernels", "degrade"):
        assert name in r.output
    assert "tensorflow" not in sys.modules


def test_pipeline_and_cli_share_the_degradation_flags():
    # One definition (blurgen.config.options) for `blurgen degrade` and `python -m pipelines.synth`.
    import argparse

    from blurgen.config import options

    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    args = parser.parse_args(["--mix", "trajectory=0.5,defocus=0.5", "--jpeg", "70,90", "--linear", "gamma",
                              "--exposures", "0.1,0.5,1", "--highlight-boost", "2"])
    cfg = options.apply_flags(vars(args))
    assert cfg.kernel.weights == (0.5, 0.0, 0.5) and cfg.camera.jpeg_quality == (70, 90)
    assert cfg.kernel.trajectory.exposures == (0.1, 0.5, 1.0) and cfg.camera.highlight_boost == (2.0, 2.0)
    assert cfg.camera.linear == "gamma" and cfg.camera.noise == "poisson-gaussian"  # untouched: default
    import pytest
    with pytest.raises(ValueError, match="--jpeg: 'high' is not a number"):
        options.apply_flags({"jpeg": "high"})
    with pytest.raises(ValueError, match="canvas 20 is too small"):
        options.apply_flags({"canvas": "20"})


def test_degrade_config_file_with_overrides(tmp_path):
    from blurgen.config import CameraConfig, DegradeConfig

    (tmp_path / "c.json").write_text(json.dumps(DegradeConfig(camera=CameraConfig(noise="none")).to_dict()))
    write_image(tmp_path / "ok.png", np.full((16, 16, 3), 100, np.uint8))
    r = _run("degrade", tmp_path / "ok.png", tmp_path / "o.png", "--config", tmp_path / "c.json",
             "--linear", "none")
    assert r.exit_code == 0, r.output
    assert np.array_equal(read_image(tmp_path / "o.png"), read_image(tmp_path / "ok.png"))  # flat, no noise


def test_outputs_are_checked_before_any_work(tmp_path, samples):
    r = _run("kernels", "--out", tmp_path / "nope" / "k.npz")
    assert r.exit_code == 2 and "does not exist; create it first" in r.output
    r = _run("kernels", "--out", tmp_path / "k.npz", "--preview", tmp_path / "g.gif")
    assert r.exit_code == 2 and ".png or .jpg or .jpeg" in r.output
    assert not (tmp_path / "k.npz").exists()
    r = _run("degrade", samples / "chelsea.png", tmp_path / "o.png", "--kernel-out", tmp_path / "nope" / "k.npy")
    assert r.exit_code == 2 and "--kernel-out" in r.output and not (tmp_path / "o.png").exists()


def test_preview_searches_folders_and_refuses_name_clashes(tmp_path):
    img = np.full((24, 32, 3), 90, np.uint8)
    for rel in ("a/x.png", "a/sub/y.jpg", "b/x.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        write_image(tmp_path / rel, img)
    r = _run("preview", tmp_path / "a", "--out", tmp_path / "out", "--variants", 1)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["sub__y-v0.png", "x-v0.png"]
    r = _run("preview", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "out2")
    assert r.exit_code == 2 and "same name 'x.png'" in r.output
