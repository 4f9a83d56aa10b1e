"""``--config`` then the flags: one loader for every command that blurs (blurgen.config.loading)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from blurgen.cli import main
from blurgen.config import DegradeConfig
from blurgen.config.loading import load_config


def _config(tmp_path, text: str):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_no_file_and_no_flags_give_the_defaults():
    assert load_config(None, {}) == DegradeConfig()


def test_a_flag_beats_the_file_which_beats_the_defaults(tmp_path):
    path = _config(tmp_path, json.dumps({"camera": {"noise": "none", "gamma": 2.0}}))
    from_file = load_config(path, {})
    assert from_file.camera.noise == "none" and from_file.camera.gamma == 2.0
    both = load_config(path, {"noise": "gaussian"})
    assert both.camera.noise == "gaussian", "the flag wins"
    assert both.camera.gamma == 2.0, "what no flag sets stays as the file says"
    assert load_config(None, {"noise": "gaussian"}).camera.gamma == DegradeConfig().camera.gamma


@pytest.mark.parametrize("text, says", [
    ("{not json", "not valid JSON"),
    ('{"camera": {"nois": 1}}', "camera.nois"),
    ("[1, 2]", "must be a JSON object"),
])
def test_a_bad_file_is_one_line_naming_the_flag_the_file_and_the_key(tmp_path, text, says):
    path = _config(tmp_path, text)
    with pytest.raises(ValueError) as err:
        load_config(path, {})
    message = str(err.value)
    assert message.startswith(f"--config {path}: ") and says in message and "\n" not in message


def test_a_missing_file_says_so(tmp_path):
    missing = str(tmp_path / "missing.json")
    with pytest.raises(ValueError, match=f"--config {missing}: cannot be read .*check the path"):
        load_config(missing, {})


def test_a_bad_flag_names_the_flag_not_the_file(tmp_path):
    path = _config(tmp_path, "{}")
    with pytest.raises(ValueError, match="^--noise: "):
        load_config(path, {"noise": "loud"})


def test_the_caller_reads_remote_files_through_its_own_file_system():
    seen = []

    def read(path: str, flag: str) -> str:
        seen.append((path, flag))
        return json.dumps({"camera": {"noise": "none"}})

    assert load_config("gs://bucket/c.json", {}, read=read).camera.noise == "none"
    assert seen == [("gs://bucket/c.json", "--config")]


def test_the_commands_refuse_a_bad_file_with_the_same_words(tmp_path):
    path = _config(tmp_path, '{"camera": {"nois": 1}}')
    with pytest.raises(ValueError) as err:
        load_config(path, {})
    r = CliRunner().invoke(main, ["kernels", "--out", str(tmp_path / "k.npz"), "--config", path])
    assert r.exit_code == 2 and str(err.value) in " ".join(r.output.split()), r.output
