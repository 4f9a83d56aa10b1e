"""``blurgen inspect DIR --card``: the dataset card of a real ``synth`` run whose every pair has one known kernel."""
from __future__ import annotations

import json
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cardkit  # noqa: E402

from blurgen.shards import schema  # noqa: E402
from blurgen.images import decode_image, read_image  # noqa: E402
from blurgen.kernels.realshake import RECORDED  # noqa: E402
from pipelines import inspection, synth  # noqa: E402
from pipelines.cards import cardfiles, datacard

from pipeline_helpers import records  # noqa: E402


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, dict]:
    return cardkit.make_dataset(tmp_path_factory.mktemp("card"))


@pytest.fixture
def fresh(dataset, tmp_path) -> Path:
    """A copy of the dataset that a test may change."""
    return Path(shutil.copytree(dataset[0], tmp_path / "dataset"))


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def card_json(out: Path) -> dict:
    name = re.search(r"card/(statistics-[0-9a-f]{8}\.json)", (out / "README.md").read_text()).group(1)
    return json.loads((out / "card" / name).read_text())


@pytest.mark.slow
def test_card_header_states_the_shards_exact_counts_bytes_and_asks_for_a_licence(fresh, capsys):
    assert inspection.main([str(fresh), "--card"]) == 0
    text = (fresh / "README.md").read_text()
    meta = front_matter(text)
    recs = records(fresh)
    splits = {s["name"]: s for s in meta["dataset_info"]["splits"]}
    assert set(splits) == set(recs) == {"train", "test"}
    for name, rows in recs.items():
        assert splits[name]["num_examples"] == len(rows)
        assert splits[name]["num_bytes"] == sum(p.stat().st_size for p in fresh.glob(f"blurgen-{name}.tfrecord-*"))
    assert meta["dataset_info"]["dataset_size"] == sum(p.stat().st_size for p in fresh.glob("*.tfrecord-*"))
    assert meta["license"] == "other" and "**Fill this in.**" in text
    assert meta["task_categories"] == ["image-to-image"] and meta["size_categories"] == ["n<1K"]
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*.parquet"},
                                                {"split": "test", "path": "data/test-*.parquet"}]
    assert [f["name"] for f in meta["dataset_info"]["features"]][:3] == ["key", "blurred", "sharp"]
    assert "| empty | 1 |" in text and "7 inputs = 6 written + 1 rejected" in text
    assert cardfiles.card_fingerprint(text) == cardfiles.fingerprint(str(fresh))
    assert "dataset card:" in capsys.readouterr().out


@pytest.mark.slow
def test_statistics_of_a_dataset_made_with_one_kernel_are_that_kernels(fresh, dataset):
    assert inspection.main([str(fresh), "--card", "--license", "cc-by-4.0"]) == 0
    s = card_json(fresh)
    kernel = cardkit.the_kernel()
    ys, xs = np.nonzero(kernel > 0.01 * kernel.max())  # the extent, worked out here
    want = max(np.ptp(ys), np.ptp(xs)) + 1
    pairs = sum(dataset[1]["pairs"].values())
    assert s["kernel_extent_px"]["histogram"] == {str(want): pairs}
    assert s["kernel_families"] == {"defocus": pairs} and s["exposures"] == {"none (defocus kernel)": pairs}
    noise = s["noise_sigma_levels"]
    assert noise["parameters"]["count"] == pairs and noise["parameters"]["max"] == 0.0 and noise["estimated"]["count"] == 0
    # Blur strength: the PSNR of each stored blurred image against its sharp one, computed here; and
    # each blurred image is its sharp image convolved with the kernel (1 level for rounding; interior).
    psnrs = []
    for rec in (r for rows in records(fresh).values() for r in rows):
        sharp = decode_image(rec[schema.SHARP]).astype(np.float64)
        blurred = decode_image(rec[schema.BLURRED]).astype(np.float64)
        np.testing.assert_array_equal(rec[schema.KERNEL], kernel)
        r = kernel.shape[0] // 2
        conv = sum(kernel[i, j] * sharp[2 * r - i:sharp.shape[0] - i, 2 * r - j:sharp.shape[1] - j]
                   for i in range(kernel.shape[0]) for j in range(kernel.shape[1]))
        assert np.abs(conv - blurred[r:-r, r:-r]).max() <= 1.0
        psnrs.append(10 * math.log10(255 ** 2 / np.mean((blurred - sharp) ** 2)))
    assert s["psnr_db"]["min"] == pytest.approx(min(psnrs), abs=1e-9)
    assert s["psnr_db"]["max"] == pytest.approx(max(psnrs), abs=1e-9)
    assert s["psnr_db"]["count"] == pairs and s["psnr_db"]["identical_pairs"] == 0
    sizes = {(w, h) for w, h in cardkit.SIZES}
    assert {(m["width"], m["height"]) for m in s["image_sizes"]["most_common"]} <= sizes
    text = (fresh / "README.md").read_text()
    assert front_matter(text)["license"] == "cc-by-4.0" and "Fill this in" not in text
    for r in RECORDED:  # every recorded kernel above the dataset's one extent, or not
        shares = ", ".join("100" if e > want else "0" for e in r.extents)
        assert f"{r.name}: {', '.join(map(str, r.extents))} px; larger than {shares} % of this dataset's kernels" in text


@pytest.mark.slow
def test_pictures_are_written_and_linked(fresh):
    assert inspection.main([str(fresh), "--card"]) == 0
    text = (fresh / "README.md").read_text()
    links = re.findall(r"\]\(card/([^)]+\.png)\)", text)
    assert len(links) == 6 and sorted(links) == sorted(p.name for p in (fresh / "card").glob("*.png"))
    for name in links:
        img = read_image(fresh / "card" / name)
        assert img.shape[0] >= 60 and img.shape[1] >= 600 and img.std() > 10  # drawn, not blank


@pytest.mark.slow
def test_the_command_in_the_card_gives_the_runs_parameters_back(dataset):
    _, manifest = dataset
    words = datacard.command_of(manifest).split()
    assert words[:2] == ["blurgen", "synth"]
    args = vars(synth.build_parser().parse_args(words[2:]))
    for name, value in manifest["parameters"].items():
        if name in args:
            assert args[name] == value, name
    assert args["config"] == manifest["parameters"]["degrade_config_file"]
    assert "--seed" not in words and "--variants" in words  # defaults left out, the rest given


@pytest.mark.slow
def test_a_readme_the_user_wrote_is_refused_without_overwrite(fresh, capsys):
    (fresh / "README.md").write_text("# my notes\n")
    assert inspection.main([str(fresh), "--card"]) == 2
    assert "was not written by blurgen" in capsys.readouterr().err
    assert (fresh / "README.md").read_text() == "# my notes\n" and not (fresh / "card").exists()
    assert inspection.main([str(fresh), "--card", "--overwrite"]) == 0
    assert cardfiles.card_fingerprint((fresh / "README.md").read_text())


@pytest.mark.slow
def test_a_card_blurgen_wrote_is_replaced_and_its_old_files_removed_but_not_the_users(fresh):
    assert inspection.main([str(fresh), "--card"]) == 0
    (fresh / "card" / "my-notes.txt").write_text("mine")
    first = sorted(p.name for p in (fresh / "card").iterdir())
    (fresh / "card" / "noise-0000abcd.png").write_bytes(b"a picture of an earlier card")
    assert inspection.main([str(fresh), "--card", "--license", "mit"]) == 0
    assert sorted(p.name for p in (fresh / "card").iterdir()) == first
    assert front_matter((fresh / "README.md").read_text())["license"] == "mit"


def _linked_files_exist(out: Path) -> bool:
    text = (out / "README.md").read_text()
    return all((out / "card" / n).is_file() for n in re.findall(r"card/([^)`]+\.(?:png|json))", text))


@pytest.mark.slow
def test_a_card_write_killed_at_any_step_leaves_a_whole_card(fresh, monkeypatch):
    # The card already there has other pictures (inverted), so the new card's files all differ from its files.
    drawn = datacard.cardpictures.pictures
    monkeypatch.setattr(datacard.cardpictures, "pictures", lambda st: {k: 255 - v for k, v in drawn(st).items()})
    assert inspection.main([str(fresh), "--card"]) == 0
    monkeypatch.setattr(datacard.cardpictures, "pictures", drawn)
    before = (fresh / "README.md").read_text()
    real = cardfiles._write_atomic
    steps = len(list((fresh / "card").iterdir())) + 1
    for kill in range(steps):
        calls = []

        def dying(path, data, kill=kill, calls=calls):
            if len(calls) == kill:
                raise KeyboardInterrupt("killed")
            calls.append(path)
            real(path, data)

        monkeypatch.setattr(cardfiles, "_write_atomic", dying)
        with pytest.raises(KeyboardInterrupt):
            inspection.main([str(fresh), "--card", "--license", "mit"])
        assert (fresh / "README.md").read_text() == before and _linked_files_exist(fresh)
    monkeypatch.setattr(cardfiles, "_write_atomic", real)
    assert inspection.main([str(fresh), "--card", "--license", "mit"]) == 0
    assert _linked_files_exist(fresh) and "license: \"mit\"" in (fresh / "README.md").read_text()
    linked = set(re.findall(r"card/([^)`]+\.(?:png|json))", (fresh / "README.md").read_text()))
    assert {p.name for p in (fresh / "card").iterdir()} == linked  # the old card's files and temporaries are gone


@pytest.mark.slow
def test_no_card_for_a_dataset_with_problems_and_bad_flags_are_usage_errors(fresh, capsys):
    shard = next(fresh.glob("blurgen-train.tfrecord-*"))
    data = bytearray(shard.read_bytes())
    data[40] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert inspection.main([str(fresh), "--card"]) == 1
    assert "card not written" in capsys.readouterr().err and not (fresh / "README.md").exists()
    assert inspection.main([str(fresh), "--card", "--license", "CC BY"]) == 2
    assert inspection.main([str(fresh), "--license", "mit"]) == 2
    assert "add --card" in capsys.readouterr().err


@pytest.mark.slow
def test_plain_inspect_notes_a_card_left_from_another_run(fresh, capsys):
    assert inspection.main([str(fresh), "--card"]) == 0
    capsys.readouterr()
    assert inspection.main([str(fresh)]) == 0
    assert "note:" not in capsys.readouterr().out
    manifest = json.loads((fresh / "manifest.json").read_text())
    manifest["seed"] = 99  # as if another run had written the dataset
    (fresh / "manifest.json").write_text(json.dumps(manifest))
    assert inspection.main([str(fresh)]) == 0
    assert "is a card of another run's dataset" in capsys.readouterr().out
