"""fit: the files of a run, checkpoints, stopping and resuming with the step count and optimiser state."""
import json
import os

import numpy as np
import pytest

from blurgen.pictures import preview
from blurgen.images import read_image
from training.gan import checkpoint
from training.gan import curves
from training.commands import fit
from training.gan import model as gan
from training.gan import tblog
from shardkit import tiny_config
from training.commands.flags import config_from_args
from training.config import TrainConfig
from training.presets import preset

TINY_FLAGS = ["--smoke", "--gen-filters", "4", "--gen-blocks", "1", "--critic-filters", "4", "--critic-layers", "2",
              "--critic-steps", "2", "--batch", "2", "--crop", "32", "--shuffle-buffer", "8", "--samples", "2",
              "--verbose", "0", "--log-every", "1"]


def _fit(train_glob, out, *flags):
    return fit.run(["--train", train_glob, "--out", str(out), *TINY_FLAGS, *flags])


def test_a_run_writes_config_checkpoints_logs_samples_and_the_generator(train_glob, test_glob, tmp_path):
    out = tmp_path / "run"
    summary = _fit(train_glob, out, "--val", test_glob, "--val-steps", "1",
                   "--epochs", "2", "--steps-per-epoch", "3", "--checkpoint-every", "2")
    assert summary["step"] == 6 and not summary["resumed"]
    assert np.isfinite(summary["metrics"]["g_loss"]) and "val_psnr" in summary["metrics"]
    cfg = json.loads((out / "config.json").read_text())
    # The flag's value, and the --smoke preset's own for what no flag changed.
    assert cfg["gen_filters"] == 4 and cfg["content_losses"] == list(preset("smoke").content_losses)
    names = sorted(os.listdir(out / "checkpoints"))
    assert names == ["ckpt-00000002.npz", "ckpt-00000004.npz", "ckpt-00000006.npz"]
    sheet = read_image(out / "samples" / "epoch-002.png")
    # two captioned rows of blurred | restored | sharp, the 32 px crops shown x8 (256 px), under a title
    band = preview.LINE + 6
    assert sheet.shape[0] == band + band + 2 * (band + 256 + preview.GAP)
    assert sheet.shape[1] >= 3 * 256
    scalars = tblog.read_scalars(str(out / "logs"))
    assert [s for s, _ in scalars["train/g_loss"]] == [1, 2, 3, 4, 5, 6]
    assert "val/psnr" in scalars
    assert (out / "generator.keras").stat().st_size > 0


def test_stop_and_resume_continue_the_step_count_and_optimiser_state(train_glob, tmp_path, monkeypatch):
    out = tmp_path / "run"
    # No validation split: the seeds recorded below are the training data's only.
    flags = ["--epochs", "3", "--steps-per-epoch", "4", "--checkpoint-every", "2", "--val-fraction", "0"]

    # The first run dies after step 5 (as if killed): its last checkpoint is step 4.
    real_end = fit.CheckpointEvery.on_train_batch_end

    def dies_after_5(self, batch, logs=None):
        real_end(self, batch, logs)
        if self.model.step == 5:
            raise KeyboardInterrupt("simulated stop")

    # Record the training data's seed of every run: a resumed run must not replay steps 1, 2, ...
    seeds = []
    real_dataset = fit.data.train_dataset

    def recording(patterns, batch, crop, shuffle_buffer=256, seed=0, *rest, **kw):
        seeds.append(seed)
        return real_dataset(patterns, batch, crop, shuffle_buffer, seed, *rest, **kw)

    monkeypatch.setattr(fit.data, "train_dataset", recording)
    monkeypatch.setattr(fit.CheckpointEvery, "on_train_batch_end", dies_after_5)
    with pytest.raises(KeyboardInterrupt):
        _fit(train_glob, out, *flags)
    monkeypatch.setattr(fit.CheckpointEvery, "on_train_batch_end", real_end)
    assert checkpoint.latest(str(out / "checkpoints")).endswith("ckpt-00000004.npz")

    summary = _fit(train_glob, out, *flags)
    assert summary["resumed"] and summary["step"] == 12  # 3 epochs x 4 steps in all, not 4 + 12
    steps = [s for s, _ in tblog.read_scalars(str(out / "logs"))["train/g_loss"]]
    assert steps[-8:] == list(range(5, 13))  # the resumed run logged steps 5..12

    # Rerunning a finished run trains no more; a larger --epochs goes on from where it stopped.
    assert _fit(train_glob, out, *flags)["step"] == 12
    assert _fit(train_glob, out, *flags[2:], "--epochs", "4")["step"] == 16
    # Fresh: the configured seed (reproducible); resumed at steps 4 and 12: other, distinct seeds.
    assert seeds == [0, fit.data_seed(0, 4), fit.data_seed(0, 12), fit.data_seed(0, 12)]
    assert len({0, fit.data_seed(0, 4), fit.data_seed(0, 12)}) == 3
    assert fit.data_seed(7, 0) == 7 and fit.data_seed(7, 4) == fit.data_seed(7, 4) != fit.data_seed(0, 4)


def test_restore_puts_back_every_weight_and_optimiser_slot(train_glob, tmp_path):
    from training.data import shards as data
    batch = next(iter(data.train_dataset(train_glob, batch=2, crop=32, shuffle_buffer=8)))
    cfg = tiny_config(gen_norm="batch")  # batch norm: moving statistics are saved too
    a = gan.DeblurGAN(cfg)
    a.compile()
    for _ in range(3):
        a.train_on_batch(*batch)
    path = checkpoint.save(a, str(tmp_path))
    b = gan.DeblurGAN(cfg)
    b.compile()
    assert checkpoint.restore(b, path) == 3
    for va, vb in zip(a.g_optimizer.variables + a.d_optimizer.variables + a.generator.weights + a.critic.weights,
                      b.g_optimizer.variables + b.d_optimizer.variables + b.generator.weights + b.critic.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    # Both continue identically from the same state (deterministic step, same batch).
    la, lb = a.test_on_batch(*batch, return_dict=True), b.test_on_batch(*batch, return_dict=True)
    assert la["l1"] == pytest.approx(lb["l1"], rel=1e-6)
    other = gan.DeblurGAN(tiny_config(gen_filters=8))
    other.compile()
    with pytest.raises(ValueError, match="does not fit this model"):
        checkpoint.restore(other, path)


def test_flags_override_any_field_and_bad_values_are_refused(tmp_path):
    args = fit.parse_args(["--train", "x", "--out", str(tmp_path / "new"), "--preset", "deblurgan",
                           "--content-losses", "vgg19,l1", "--content-weights", "100,1", "--lr", "2e-4",
                           "--mixed-precision", "--extra", "diffaugment=\"color\""])
    cfg, resuming = fit.resolve_config(args)
    assert not resuming
    assert cfg.content_losses == ("vgg19", "l1") and cfg.content_weights == (100.0, 1.0)
    assert cfg.lr == 2e-4 and cfg.mixed_precision is True and cfg.get_extra("diffaugment") == "color"
    assert cfg.gen_blocks == 9 and cfg.critic_steps == 5 and cfg.gp_weight == 10.0  # DeblurGAN's, untouched
    with pytest.raises(ValueError, match=r"--crop\) must be a positive multiple of 4"):
        fit.resolve_config(fit.parse_args(["--train", "x", "--out", str(tmp_path / "n2"), "--crop", "30"]))
    with pytest.raises(SystemExit) as refused:  # --preset's choices: refused while parsing, before any work
        fit.parse_args(["--train", "x", "--out", str(tmp_path / "n3"), "--preset", "nope"])
    assert refused.value.code == 2


def test_a_corrupt_training_shard_stops_fit_with_its_name_or_is_skipped_with_the_flag(train_glob, tmp_path, capsys):
    import shutil
    import tensorflow as tf
    src = sorted(tf.io.gfile.glob(train_glob))[0]
    broken = tmp_path / "bad-train.tfrecord-00000-of-00001"
    shutil.copy(src, broken)
    raw = bytearray(broken.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    broken.write_bytes(bytes(raw))
    args = ["--train", str(broken), *TINY_FLAGS, "--epochs", "1", "--steps-per-epoch", "6"]
    assert fit.main([*args, "--out", str(tmp_path / "stops")]) == 2
    assert "bad-train.tfrecord-00000-of-00001" in capsys.readouterr().err
    summary = fit.run([*args, "--out", str(tmp_path / "skips"), "--ignore-errors"])
    assert summary["step"] == 6
    assert "only its first" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value, expected", [("--crop", "abc", "expected an integer"),
                                                   ("--lr", "fast", "expected a number"),
                                                   ("--content-weights", "100,x", "expected comma-separated numbers"),
                                                   ("--mixed-precision", "maybe", "expected true or false")])
def test_a_bad_flag_value_names_the_flag_and_what_it_expects_without_a_traceback(flag, value, expected, tmp_path,
                                                                                 capsys):
    with pytest.raises(SystemExit) as stop:
        fit.main(["--train", "x", "--out", str(tmp_path / "r"), flag, value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: {expected}" in err and f"got {value!r}" in err and "Traceback" not in err
    # A Namespace built by hand (strings, as from another front end) gets the same message.
    import argparse
    args = argparse.Namespace(**{flag[2:].replace("-", "_"): value})
    with pytest.raises(ValueError, match=f"{flag}: {expected}"):
        config_from_args(args, TrainConfig())


def test_the_learning_rate_holds_then_falls_linearly_to_zero_and_a_resume_continues_it(train_glob, tmp_path,
                                                                                     monkeypatch):
    # lr 1e-3 held until step 4, then down to 0 over 4 steps (DeblurGAN's shape, in steps).
    flags = ["--epochs", "2", "--steps-per-epoch", "3", "--lr", "1e-3", "--lr-decay-start", "4",
             "--lr-decay-steps", "4", "--checkpoint-every", "3"]
    out = tmp_path / "run"
    _fit(train_glob, out, *flags)
    rows = {int(r["step"]): r for r in curves.read_rows(str(out / curves.METRICS_CSV))}
    assert rows[3]["lr"] == pytest.approx(1e-3) and rows[6]["lr"] == pytest.approx(0.5e-3)
    # Resumed with more epochs: the schedule goes on from step 6, it does not restart.
    _fit(train_glob, out, *flags[:1], "3", *flags[2:])
    rows = {int(r["step"]): r for r in curves.read_rows(str(out / curves.METRICS_CSV))}
    assert rows[9]["lr"] == pytest.approx(0.0) and sorted(rows) == [3, 6, 9]


def test_both_optimisers_follow_one_schedule_by_generator_step():
    cfg = tiny_config(lr=1e-3, lr_decay_start=10, lr_decay_steps=10, critic_steps=5, epochs=1, steps_per_epoch=20)
    model = gan.DeblurGAN(cfg)
    model.compile()
    for step, expected in ((0, 1e-3), (10, 1e-3), (15, 0.5e-3), (20, 0.0), (30, 0.0)):
        model.g_optimizer.iterations.assign(step)
        model.d_optimizer.iterations.assign(5 * step)  # five critic updates per generator step
        assert float(model.g_optimizer.learning_rate) == pytest.approx(expected, rel=1e-6, abs=1e-12)
        assert float(model.d_optimizer.learning_rate) == pytest.approx(expected, rel=1e-6, abs=1e-12)
    # -1: held for the first half of the run, then to 0 over the second (DeblurGAN: 150 + 150 epochs).
    assert tiny_config(epochs=300, steps_per_epoch=10).lr_schedule() == (1500, 1500)
    assert tiny_config(lr_decay_steps=0).lr_schedule()[1] == 0


def test_a_run_that_cannot_start_writes_nothing_and_a_resume_with_other_settings_is_refused(train_glob, tmp_path,
                                                                                          capsys):
    out = tmp_path / "run"
    # A pattern that matches nothing: no run folder is made.
    assert fit.main(["--train", str(tmp_path / "none-*"), "--out", str(out), *TINY_FLAGS]) == 2
    assert not out.exists()
    _fit(train_glob, out, "--epochs", "1", "--steps-per-epoch", "2")
    err = capsys.readouterr().err
    code = fit.main(["--train", train_glob, "--out", str(out), *TINY_FLAGS, "--gen-filters", "8", "--lr", "1e-3"])
    err = capsys.readouterr().err
    assert code == 2 and "--gen-filters: saved 4, now 8" in err and "--lr: saved" in err
    code = fit.main(["--train", train_glob, "--out", str(out), "--preset", "deblurgan", "--verbose", "0"])
    assert code == 2 and "--gen-blocks: saved 1, now 9" in capsys.readouterr().err
    # Going on longer is a resume, not a change of settings.
    assert _fit(train_glob, out, "--epochs", "2", "--steps-per-epoch", "2")["resumed"]


def test_a_run_writes_metrics_csv_and_curves_and_warns_when_the_generator_dies(train_glob, tmp_path, caplog):
    out = tmp_path / "run"
    # DeblurGAN's small weights without its normalisation leave the signal tiny, and a large
    # learning rate then drives the last ReLUs' biases below it: they die, and the network returns
    # its input (the failure seen with the former smoke settings).
    _fit(train_glob, out, "--epochs", "3", "--steps-per-epoch", "4", "--lr", "0.05", "--init", "normal",
         "--generator", "resnet", "--gen-norm", "none", "--adversarial-weight", "0")
    rows = curves.read_rows(str(out / curves.METRICS_CSV))
    assert [r["step"] for r in rows] == [4, 8, 12]
    assert {"psnr", "content", "lr", "probe_content", "identity_content", "min_active"} <= set(rows[0])
    picture = read_image(out / curves.CURVES_PNG)
    assert picture.shape[0] >= 300 and picture.shape[1] >= 600 and picture.std() > 10
    assert "the generator is dying" in caplog.text
    summary = json.loads((out / "fit-summary.json").read_text())
    assert summary["health"]["min_active"] < 0.01


def test_the_smoke_network_learns_to_restore_better_than_the_blurred_input(train_glob, tmp_path):
    """A small run of the smoke preset's network must bring its content loss on a fixed training
    batch well below the loss of returning the blurred input (the identity): a dead or frozen
    generator stays at the identity's loss and fails here."""
    out = tmp_path / "run"
    summary = fit.run(["--train", train_glob, "--out", str(out), "--preset", "smoke", "--gen-filters", "8",
                       "--gen-blocks", "1", "--crop", "64", "--batch", "4", "--shuffle-buffer", "16",
                       "--epochs", "8", "--steps-per-epoch", "50", "--lr", "2e-3", "--samples", "1", "--verbose", "0",
                       "--val-fraction", "0"])  # the health probe is then a training batch
    health = summary["health"]
    # 0.90 of the identity's loss after these 400 steps (Adam beta1 0.9, no critic, as the preset
    # trains); a frozen or dead generator stays at 1.
    assert health["probe_content"] < 0.95 * health["identity_content"], health


def _weights(path):
    import keras
    return [np.asarray(w) for w in keras.saving.load_model(path, compile=False).get_weights()]


def test_the_run_exports_the_generator_of_the_best_validation_beside_the_last(train_glob, test_glob, tmp_path):
    out = tmp_path / "run"
    summary = _fit(train_glob, out, "--val", test_glob, "--val-steps", "1", "--epochs", "4", "--steps-per-epoch", "2",
                   "--lr", "3e-3", "--collapse-db", "0")
    rows = curves.read_rows(str(out / curves.METRICS_CSV))
    best_row = max(rows, key=lambda r: r["val_psnr"])
    assert summary["best"] == {"step": int(best_row["step"]), "val_psnr": pytest.approx(best_row["val_psnr"], abs=1e-3)}
    assert json.loads((out / "best.json").read_text())["step"] == best_row["step"]
    assert all(r["best_val_psnr"] == pytest.approx(max(x["val_psnr"] for x in rows if x["step"] <= r["step"]), abs=1e-3)
               for r in rows)
    best = checkpoint.load_weights(str(out / "best.npz"))
    exported = _weights(str(out / "generator.keras"))
    assert len(best) == len(exported) and all(np.array_equal(a, b) for a, b in zip(best, exported))
    last = _weights(str(out / "generator-last.keras"))
    assert summary["generator_last"].endswith("generator-last.keras")
    if best_row["step"] != rows[-1]["step"]:
        assert any(not np.array_equal(a, b) for a, b in zip(best, last))


def test_a_collapsing_run_stops_with_one_line_naming_the_best_generator(train_glob, test_glob, tmp_path, capsys):
    """An absurd learning rate wrecks a tiny generator: fit must stop once the restored validation
    crops stay below the blurred input's for the patience, say so in one line (exit 1), and leave
    the best generator as the run's model."""
    out = tmp_path / "run"
    code = fit.main(["--train", train_glob, "--out", str(out), *TINY_FLAGS, "--val", test_glob, "--val-steps", "1",
                     "--epochs", "12", "--steps-per-epoch", "2", "--lr", "3", "--collapse-db", "2",
                     "--collapse-patience", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    line = [e for e in err if e.startswith("error:")]
    assert len(line) == 1, err
    summary = json.loads((out / "fit-summary.json").read_text())
    assert summary["step"] < 24 and "below the blurred input's own" in summary["stopped"]
    best = json.loads((out / "best.json").read_text())
    assert (f"training stopped at step {summary['step']}" in line[0] and f"at step {best['step']}" in line[0]
            and str(out / "generator.keras") in line[0] and "--lr (now 3)" in line[0])
    rows = curves.read_rows(str(out / curves.METRICS_CSV))
    identity = rows[0]["val_identity_psnr"]
    # Below the blurred input's by more than 2 dB, or not a number at all (the outputs overflowed).
    assert [not r["val_psnr"] >= identity - 2 for r in rows[-2:]] == [True, True], rows
    exported = _weights(str(out / "generator.keras"))
    assert all(np.array_equal(a, b) for a, b in zip(checkpoint.load_weights(str(out / "best.npz")), exported))


def test_a_loss_that_is_not_finite_stops_training_at_once():
    class Model:
        step, stop_training = 7, False

    guard = fit.CollapseGuard(identity_psnr=25.0, margin_db=2.0, patience=3)
    guard.set_model(Model())
    guard.on_train_batch_end(0, {"g_loss": 1.5, "d_loss": -3.0})
    assert guard.reason is None and not guard.model.stop_training
    guard.on_train_batch_end(1, {"g_loss": float("nan"), "d_loss": -3.0})
    assert guard.model.stop_training and guard.reason == "the training loss g_loss became nan at step 7"
    # A validation below the blurred input counts only in a row: one good validation resets it.
    guard = fit.CollapseGuard(identity_psnr=25.0, margin_db=2.0, patience=2)
    guard.set_model(Model())
    for value in (22.0, 24.0, 22.5):
        guard.on_epoch_end(0, {"val_psnr": value})
    assert guard.reason is None
    guard.on_epoch_end(0, {"val_psnr": 20.0})
    assert "for 2 validations in a row (now 20.00 dB at step 7)" in guard.reason
