"""The click commands: flags pass through to Beam; inspect verifies every CRC and draws a sheet."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from blurgen import preview, schema
from blurgen.images import decode_image, read_image
from pipelines.cli import inspect, pairs, synth
from pipelines.examples import decode_example
from pipelines.inspection import iter_examples, shard_paths


@pytest.fixture(scope="module")
def built(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "shards"
    result = CliRunner().invoke(synth, ["--src", str(photos), "--out", str(out), "--num-shards", "2",
                                        "--runner", "DirectRunner", "--direct_num_workers", "1"])
    return out, result


@pytest.mark.slow
def test_synth_command_passes_beam_flags(built):
    out, result = built
    assert result.exit_code == 0, result.output
    assert "5 inputs = 5 written + 0 rejected" in result.output
    assert json.loads((out / "manifest.json").read_text())["pairs_total"] == 5


@pytest.mark.slow
def test_inspect_ok_and_sheet(built, tmp_path):
    out, _ = built
    result = CliRunner().invoke(inspect, [str(out), "--deep", "--sheet", str(tmp_path / "sheet.png"),
                                          "--sheet-pairs", "3"])
    assert result.exit_code == 0, result.output
    assert "OK: every record's checksums verified" in result.output
    sheet = read_image(tmp_path / "sheet.png")
    assert sheet.shape[0] == 3 * 160 + 2 * 4 and sheet.shape[1] > 3 * 160
    # drawn with blurgen.preview's one layout: rows of sharp | blurred | kernel
    info = json.loads((out / "dataset_info.json").read_text())
    first = [decode_example(d) for s, p, _ in shard_paths(str(out), info) if s == "train" for d in iter_examples(p)][:3]
    want = preview.stack([preview.pair_panel(decode_image(ex[schema.SHARP]), decode_image(ex[schema.BLURRED]),
                                             ex[schema.KERNEL], 160) for ex in first])
    np.testing.assert_array_equal(sheet, want)


@pytest.mark.slow
def test_inspect_sheet_of_a_missing_split_is_a_usage_error(built, tmp_path):
    out, _ = built
    result = CliRunner().invoke(inspect, [str(out), "--sheet", str(tmp_path / "s.png"), "--split", "test"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: " in result.output and "no split 'test'" in result.output and "['train']" in result.output
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
def test_inspect_finds_a_flipped_byte_and_a_stray_shard(built, tmp_path):
    out, _ = built
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in out.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    shard = sorted(bad.glob("*.tfrecord-*"), key=lambda p: -p.stat().st_size)[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    (bad / "blurgen-train.tfrecord-00000-of-00009").write_bytes(b"")
    result = CliRunner().invoke(inspect, [str(bad)])
    assert result.exit_code == 1
    assert "bad data checksum" in result.output and "does not list" in result.output


def test_help_lists_pipeline_flags():
    result = CliRunner().invoke(pairs, ["--help"])
    assert result.exit_code == 0 and "--layout" in result.output and "--blur-kind" in result.output


@pytest.mark.slow
def test_local_runs_never_try_prism(photos, tmp_path, caplog):
    """Beam's DirectRunner first tries Prism (which downloads a binary) unless a pipeline uses
    something Prism does not support; ours must stay on the in-process runner, offline or not."""
    from pipelines import synth as synth_module

    caplog.set_level(logging.INFO)
    for flags in ([], ["--runner=DirectRunner"]):
        synth_module.run(["--src", str(photos / "astronaut.png"), "--out", str(tmp_path / str(len(flags))),
                          "--verbose", *flags])
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("apache_beam") for r in caplog.records), "Beam's INFO lines were captured"
    assert "Prism" not in messages
