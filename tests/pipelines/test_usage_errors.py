"""Usage errors end the run before any work: exit 2, ``error: ...`` naming the input and the fix, no traceback.

Mistyped flags must not fall through to Beam, which would only log "Discarding unparseable args"
and let the run go on with the defaults.
"""
from __future__ import annotations

import json

import pytest
from apache_beam.options.pipeline_options import DirectOptions, GoogleCloudOptions, StandardOptions
from click.testing import CliRunner

from pipelines import pairs, synth
from blurgen.config.loading import load_config
from pipelines.runners import launch
from pipelines.sources import inputs
from pipelines.cli import synth as synth_command
from pipelines.runners import launch

BEAM_FLAGS = ["--runner", "DirectRunner", "--direct_num_workers", "2", "--direct_running_mode=multi_processing",
              "--setup_file", "./setup.py", "--project", "p", "--region", "europe-west1",
              "--temp_location", "gs://b/tmp", "--max_num_workers", "4", "--job_name", "j", "--save_main_session"]


def test_beam_flags_pass():
    options = launch.beam_options(BEAM_FLAGS, synth.build_parser())
    assert options.view_as(StandardOptions).runner == "DirectRunner"
    assert options.view_as(DirectOptions).direct_num_workers == 2
    assert options.view_as(GoogleCloudOptions).region == "europe-west1"


@pytest.mark.parametrize("flags, named", [
    (["--test_fraction", "0.5", "--seeds", "3"], ["--test_fraction (did you mean --test-fraction?)",
                                                  "--seeds (did you mean --seed?)"]),
    (["--direct-num-workers=2"], ["--direct-num-workers (did you mean --direct_num_workers?)"]),
    (["--nonsense"], ["unknown flag --nonsense:"]),
])
def test_unknown_flags_are_refused(flags, named):
    with pytest.raises(ValueError) as caught:
        launch.beam_options(flags, synth.build_parser())
    assert all(n in str(caught.value) for n in named), str(caught.value)


def test_mistyped_flag_exits_2_before_any_work(photos, tmp_path, capsys):
    out = tmp_path / "out"
    code = synth.main(["--src", str(photos), "--out", str(out), "--test_fraction", "0.5", "--seeds", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "--test_fraction (did you mean --test-fraction?)" in err and "--seeds" in err
    assert not out.exists(), "nothing was run"
    result = CliRunner().invoke(synth_command, ["--src", str(photos), "--out", str(out),
                                                "--direct_num_workers", "x"])
    assert result.exit_code == 2 and "--direct_num_workers: invalid int value" in result.output


@pytest.mark.parametrize("text, says", [
    ("{not json", "not valid JSON"),
    ('{"camera": {"nois": 1}}', "camera.nois"),
    ('{"kernel": {"weights": 3}}', "kernel.weights"),  # a bare TypeError inside the dataclasses
])
def test_bad_config_names_the_file_and_the_key(photos, tmp_path, capsys, text, says):
    config = tmp_path / "bad.json"
    config.write_text(text)
    code = synth.main(["--src", str(photos), "--out", str(tmp_path / "out"), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: --config {config}: ") and says in err, err
    assert not (tmp_path / "out").exists()


def test_missing_config_and_list_file(photos, tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert synth.main(["--src", str(photos), "--out", str(tmp_path / "o"), "--config", str(missing)]) == 2
    assert f"--config {missing}: cannot be read" in capsys.readouterr().err
    missing = tmp_path / "missing.txt"
    assert pairs.main(["--layout", "realblur", "--src", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert f"--src {missing}: cannot be read" in capsys.readouterr().err


def test_config_file_still_applies(tmp_path):
    config = tmp_path / "ok.json"
    config.write_text(json.dumps({"camera": {"noise": "none"}}))
    args = synth.build_parser().parse_args(["--src", "x", "--out", "y", "--config", str(config)])
    assert load_config(args.config, vars(args), read=inputs.read_user_file).camera.noise == "none"
