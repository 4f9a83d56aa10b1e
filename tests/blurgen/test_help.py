"""Help that is true, complete, instant and quiet: `blurgen fit|score|deblur --help` come from
parsers built without TensorFlow, and the Beam commands' help prints no Beam import warnings."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

import pytest

from training import config
from training.commands import parsers as cli
from training.commands import flags
from training import presets

BLURGEN = [sys.executable, "-m", "blurgen.cli"]


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, **kw)


@pytest.mark.parametrize("command", ["fit", "score", "deblur"])
def test_trainer_help_is_quiet_says_blurgen_and_loads_no_tensorflow(command):
    proc = _run(BLURGEN + [command, "--help"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: blurgen {command} ")
    assert proc.stderr == ""  # no TensorFlow log lines, no warnings
    assert "pip install 'blurgen[train]'" in proc.stdout
    probe = ("import sys\nfrom training import commands\ntry:\n    commands.main([%r, '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))" % command)
    proc = _run([sys.executable, "-c", probe])
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout


def test_the_module_commands_keep_their_own_usage_line():
    proc = _run([sys.executable, "-m", "training.score", "--help"])
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m training.score ")
    assert proc.stderr == ""


def test_fit_help_lists_every_preset_and_what_it_changes():
    text = cli.fit_parser().format_help()
    names = presets.preset_names()
    assert {"deblurgan", "smoke", "li2024", "densegan"} <= set(names)
    for name in names:
        assert f"  {name}: " in text  # the epilog's line for the preset
    assert "--gen-blocks 4" in text.split("densegan: ")[1].split("li2024:")[0]


def test_every_training_setting_is_a_flag_with_its_help_and_default():
    parser = cli.fit_parser()
    actions = {a.dest: a for a in parser._actions}
    for f in dataclasses.fields(config.TrainConfig):
        action = actions[f.name]
        assert action.help and len(action.help) > 20, f.name
        if f.name != "extra":
            assert f"(default: {flags._show(f.default)})" in action.help, f.name
    # and every flag of the run itself says what it does
    assert all(a.help for a in parser._actions)


def test_help_shows_defaults_as_they_are_typed():
    assert flags._show(("vgg19", "l1")) == "vgg19,l1"
    assert flags._show(True) == "true" and flags._show("") == "''" and flags._show(1e-4) == "0.0001"


def test_score_help_lists_every_metric():
    from training.metrics import METRICS
    text = cli.score_parser().format_help()
    assert {"psnr", "ssim", "ms_ssim", "vifp", "fsim", "lpips"} <= set(METRICS)
    listed = " ".join(text.split("--metrics METRICS")[-1].split())
    for name in METRICS:
        assert name in listed


# Run in a process in which TensorFlow cannot be imported, as after `pip install blurgen` alone.
_WITHOUT_TENSORFLOW = ("import sys\n"
                       "class Block:\n"
                       "    def find_spec(self, name, path=None, target=None):\n"
                       "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
                       "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
                       "sys.meta_path.insert(0, Block())\n")


def test_a_missing_train_extra_is_one_line_naming_the_extra():
    code = _WITHOUT_TENSORFLOW + "from training import commands\nsys.exit(commands.main(['fit', '--train', 'x', '--out', 'y']))\n"
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 1
    assert re.fullmatch(r"error: blurgen fit needs TensorFlow and Keras \((keras|tensorflow) is not installed\): "
                        r"pip install 'blurgen\[train\]'\n", proc.stderr), proc.stderr


def test_compare_without_the_train_extra_names_it(tmp_path):
    code = _WITHOUT_TENSORFLOW + (f"from training.commands import compare\nsys.exit(compare.main([{str(tmp_path / 'r.json')!r}, "
                                  f"'--out', {str(tmp_path / 'c')!r}]))\n")
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 1 and proc.stderr == ("error: python -m training.compare needs TensorFlow and Keras "
                                                    "(tensorflow is not installed): pip install 'blurgen[train]'\n")


def test_usage_errors_come_before_tensorflow_loads():
    proc = _run([sys.executable, "-m", "training.commands", "fit", "--train", "x", "--out", "y", "--crop", "abc"])
    assert proc.returncode == 2 and "blurgen fit: error: argument --crop: expected an integer" in proc.stderr


@pytest.mark.parametrize("entry", [["-m", "training.commands", "fit"], ["-m", "training.fit"], ["-m", "training.cli", "fit"]])
def test_an_unknown_preset_is_refused_by_its_choices_before_tensorflow_loads(entry):
    code = _WITHOUT_TENSORFLOW + ("import runpy\nsys.argv = ['x', *sys.argv[1:]]\n"
                                  f"runpy.run_module({entry[1]!r}, run_name='__main__', alter_sys=True)\n")
    proc = _run([sys.executable, "-c", code, *entry[2:], "--train", "x", "--out", "y", "--preset", "nope"])
    assert proc.returncode == 2, proc.stderr
    assert "argument --preset: invalid choice: 'nope' (choose from " in proc.stderr and "'smoke'" in proc.stderr


def test_every_trainer_command_answers_help_without_tensorflow():
    from blurgen.commands import TRAINING, on_side
    for name in on_side(TRAINING):
        code = _WITHOUT_TENSORFLOW + f"from training import commands\nsys.exit(commands.main([{name!r}, '--help']))\n"
        proc = _run([sys.executable, "-c", code])
        assert proc.returncode == 0 and proc.stdout.startswith(f"usage: blurgen {name}"), (name, proc.stderr)


def test_blurgen_help_lists_every_command_of_the_table():
    from blurgen.commands import COMMANDS
    proc = _run(BLURGEN + ["--help"])
    rows = proc.stdout.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in rows if line.startswith("  ") and not line.startswith("   ")}
    assert proc.returncode == 0 and listed == set(COMMANDS)


@pytest.mark.parametrize("command", ["synth", "pairs", "video", "inspect", "export"])
def test_pipeline_help_prints_no_beam_import_warning(command):
    proc = _run(BLURGEN + [command, "--help"])
    assert proc.returncode == 0 and proc.stdout.startswith(f"usage: blurgen {command}")
    assert "apitools" not in proc.stderr and proc.stderr == "", proc.stderr
