"""``python -m training.deblur`` on many inputs: folders and globs in one process with one model
load, outputs never over inputs (nor over existing files without --overwrite), every input
processed, each failure reported with its reason, exit status 1 when any failed."""
import os

import keras
import numpy as np
import pytest

from blurgen.images import read_image, write_image
from shardkit import tiny_config
from training.commands import deblur
from training.inference import restorer as inference
from training.networks import build_generator


def _img(seed, shape=(20, 28, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    keras.utils.set_random_seed(7)
    path = tmp_path_factory.mktemp("model") / "generator.keras"
    build_generator(tiny_config(gen_norm="instance", gen_zero_init_output=False)).save(path)
    return str(path)


def test_folder_and_glob_in_one_process_with_one_model_load(model_file, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    for i in range(3):
        write_image(tmp_path / "a" / f"p{i}.png", _img(i))
    write_image(tmp_path / "b" / "q.jpg", _img(5))
    (tmp_path / "a" / "notes.txt").write_text("not an image")  # folders give their images only
    loads = []
    real = inference.load_generator
    monkeypatch.setattr(inference, "load_generator", lambda *a, **k: loads.append(a) or real(*a, **k))
    out = tmp_path / "out"
    result = deblur.run(["--model", model_file, str(tmp_path / "a"), str(tmp_path / "b" / "*.jpg"),
                         "--out", str(out), "--precision", "float32"])
    assert len(loads) == 1
    assert sorted(os.listdir(out)) == ["p0.png", "p1.png", "p2.png", "q.png"]
    assert result["failed"] == [] and read_image(out / "q.png").shape == (20, 28, 3)


def test_out_folder_of_the_inputs_is_refused_and_nothing_changes(tmp_path, capsys):
    write_image(tmp_path / "a.png", _img(1))
    before = (tmp_path / "a.png").read_bytes()
    assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "a.png") in err and "destroy the input" in err
    assert (tmp_path / "a.png").read_bytes() == before and os.listdir(tmp_path) == ["a.png"]
    # Even --overwrite never writes over an input (here through a second spelling of the folder).
    assert deblur.main(["--model", "identity", str(tmp_path / "a.png"), "--overwrite",
                        "--out", str(tmp_path / "." / "sub" / "..")]) == 2
    assert (tmp_path / "a.png").read_bytes() == before


def test_existing_outputs_are_replaced_only_with_overwrite(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir(), out.mkdir()
    write_image(src / "a.jpg", _img(2))
    (out / "a.png").write_bytes(b"the user's own file")
    assert deblur.main(["--model", "identity", str(src), "--out", str(out)]) == 2
    assert "already exist" in capsys.readouterr().err and (out / "a.png").read_bytes() == b"the user's own file"
    assert deblur.main(["--model", "identity", str(src), "--out", str(out), "--overwrite"]) == 0
    assert read_image(out / "a.png").shape == (20, 28, 3)


def test_every_input_is_processed_and_each_failure_reported(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "good1.png", _img(3))
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    write_image(src / "good2.png", _img(4))
    args = [str(src / "good1.png"), str(src / "broken.png"), str(tmp_path / "missing.png"),
            str(tmp_path / "nothing-*.png"), str(src / "good2.png")]
    out = tmp_path / "out"
    assert deblur.main(["--model", "identity", *args, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, captured.err
    assert any("broken.png" in e for e in errors) and any("missing.png" in e and "cannot be read" in e for e in errors)
    assert any("nothing-*.png" in e and "matches no image" in e for e in errors)
    assert sorted(os.listdir(out)) == ["good1.png", "good2.png"]  # and no partial files left behind
    np.testing.assert_array_equal(read_image(out / "good2.png"), _img(4))  # identity: the input itself
    assert "2 written, 3 failed" in captured.out


def test_help_states_the_naming_rule_and_the_refusals(capsys):
    with pytest.raises(SystemExit):
        deblur.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "OUT/<input name>.png" in text and "inputs are never overwritten" in text and "--overwrite" in text
