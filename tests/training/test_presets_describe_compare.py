"""describe (tables and pictures of a preset's networks) and compare (reports side by side)."""
import json

import keras
import numpy as np
import pytest

from blurgen.pictures import preview
from training import config, networks
from training.commands import compare
from training.commands import describe
from training.commands import score
from training.networks.li2024 import build_li2024_generator, li2024_critic, li2024_generator, parameter_counts
from training import presets

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module", autouse=True)
def test_preset():
    networks.GENERATORS.setdefault("li2024", li2024_generator)
    networks.CRITICS.setdefault("li2024", li2024_critic)
    presets.register_preset("_test_li2024", {
        "generator": "li2024", "critic": "li2024", "gen_filters": 4, "gen_blocks": 2, "gen_norm": "batch",
        "gen_dropout": 0.5, "critic_filters": 4, "crop": 32, "adversarial": "bce",
        "extra": (("li2024_dense_units", 8),)}, replace=True)
    yield
    presets.PRESETS.pop("_test_li2024", None)


def test_describe_writes_a_table_of_every_conv_layer_and_pictures(tmp_path):
    pytest.importorskip("visualkeras")
    assert describe.main(["--preset", "_test_li2024", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "_test_li2024-networks.md").read_text()
    cfg = presets.preset("_test_li2024")
    gen, critic = networks.build_generator(cfg), networks.build_critic(cfg)
    for model in (gen, critic):
        assert f"**{parameter_counts(model)['total']:,}**" in text
    critic_part = text.split("## Critic")[1]
    rows = [line for line in critic_part.splitlines() if line.startswith("| ") and "Conv2D" in line]
    assert len(rows) == 6 and all("| 4x4 |" in r for r in rows)
    assert critic_part.count("| Dense |") == 2
    # Generator shapes are at the preset's crop: the residual blocks run at crop / 4.
    assert "| 8x8x16 |" in text.split("## Critic")[0]
    for kind in ("generator", "critic"):
        with PIL.open(tmp_path / f"_test_li2024-{kind}.png") as im:
            assert im.format == "PNG" and im.size[0] > 50 and im.size[1] > 50


def test_describe_flags_override_the_preset(tmp_path):
    describe.main(["--preset", "_test_li2024", "--out", str(tmp_path), "--no-pictures", "--gen-blocks", "3"])
    gen_part = (tmp_path / "_test_li2024-networks.md").read_text().split("## Critic")[0]
    assert gen_part.count("_conv2 | Conv2D") == 3
    assert not list(tmp_path.glob("*.png"))


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory, test_glob):
    d = tmp_path_factory.mktemp("runs")
    keras.utils.set_random_seed(0)
    gen = build_li2024_generator(width=4, blocks=1)
    gen.save(d / "li.keras")
    a = score.run(["--model", "identity", "--data", test_glob, "--out", str(d / "identity" / "report.json")])
    b = score.run(["--model", str(d / "li.keras"), "--data", test_glob, "--out", str(d / "li" / "report.json")])
    return d, a, b


def test_compare_puts_reports_in_one_table_and_one_picture(two_reports, tmp_path):
    d, a, b = two_reports
    paths = [str(d / "identity" / "report.json"), str(d / "li" / "report.json")]
    assert compare.main(paths + ["--out", str(tmp_path), "--images", "2"]) == 0
    table = json.loads((tmp_path / "comparison.json").read_text())
    names = [row["name"] for row in table["rows"]]
    assert names == ["blurry input", "identity", "li.keras"]
    assert table["rows"][0]["psnr"] == pytest.approx(a["mean"]["blurry"]["psnr"])
    assert table["rows"][1]["psnr"] == pytest.approx(a["mean"]["restored"]["psnr"])  # identity = blurry
    assert table["rows"][2]["ssim"] == pytest.approx(b["mean"]["restored"]["ssim"])
    assert table["rows"][2]["seconds"] == pytest.approx(b["seconds_per_image"]["median"])
    md = (tmp_path / "comparison.md").read_text()
    assert "| li.keras |" in md and "PSNR" in md
    with PIL.open(tmp_path / "comparison.png") as im:
        grid = np.asarray(im.convert("RGB"))
    # Two captioned rows of 256 px panels (+4 px gaps) under the column titles; 4 columns:
    # blurred, 2 models, sharp.
    band = preview.LINE + 6
    assert grid.shape[0] == band + 2 * (band + 256 + 4)
    assert grid.shape[1] >= 4 * 256
    # the test images come from 3 photos: the 2 rows show 2 of them, not one photo twice
    keys = [im["key"] for im in a["images"]]
    shown = compare.picture_keys(keys, 2)
    assert len({score.source_of(k) for k in shown}) == 2
    captions = compare.row_captions([a, b], ["identity", "li.keras"], shown)
    assert captions[0][0].startswith(f"{shown[0]}: PSNR (dB) blurry ") and "li.keras " in captions[0][0]


def test_compare_plots_the_training_curves_of_the_runs_it_compares(two_reports, tmp_path):
    from training.gan import curves
    d, _, _ = two_reports
    # li.keras sits in the run folder d, as fit leaves its generator beside metrics.csv
    for step, psnr in ((10, 20.0), (20, 21.5), (30, 22.0)):
        curves.append_row(str(d / "metrics.csv"), {"epoch": step / 10, "step": step, "psnr": psnr,
                                                   "content": 1 / step, "lr": 1e-4})
    try:
        written = compare.compare([str(d / "identity" / "report.json"), str(d / "li" / "report.json")],
                                  str(tmp_path / "c"), picture=False)
    finally:
        (d / "metrics.csv").unlink()
    with PIL.open(written["curves"]) as im:
        chart = np.asarray(im.convert("RGB"))
    assert chart.shape == (2 * 360, 2 * 640, 3)  # PSNR, content loss, learning rate in a 2x2 grid
    # the identity report has no run folder: no curves, and it is named
    assert compare.training_curves([{"model": "identity"}], ["identity"]) == (None, ["identity"])


def test_compare_refuses_reports_of_different_images(two_reports, tmp_path):
    d, a, _ = two_reports
    other = dict(a, images=a["images"][:-1], model="other")
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="other images"):
        compare.compare([str(d / "identity" / "report.json"), str(tmp_path / "other.json")], str(tmp_path / "c"),
                        picture=False)


def test_pictures_and_parameter_counts_come_from_one_shared_helper_each():
    from blurgen.pictures import preview
    from training import networks
    from training.commands import describe
    from training.networks import li2024 as nets_li2024
    # One parameter counter (networks.parameter_counts), used by describe and the Li preset alike.
    assert not hasattr(describe, "totals") and nets_li2024.parameter_counts is networks.parameter_counts
    # compare scales its panels with blurgen.pictures.preview.fit_height (upscaling included).
    rng = np.random.default_rng(0)
    panels = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), rng.integers(0, 256, (20, 30), dtype=np.uint8)]
    grid = compare.side_by_side([panels], ["a", "b"], height=48)
    want = [preview.fit_height(p, 48) for p in panels]
    top, col = preview.LINE + 6, preview.GAP + want[0].shape[1] + preview.GAP
    np.testing.assert_array_equal(grid[top:top + 48, preview.GAP:preview.GAP + want[0].shape[1]], want[0])
    np.testing.assert_array_equal(grid[top:top + 48, col:col + want[1].shape[1]], want[1])
