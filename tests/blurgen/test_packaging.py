"""What a user expects of the package: a licence that matches the metadata, type hints marked,
the Python versions claimed, and the documents the README links present."""
from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _metadata() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def test_the_license_file_is_the_apache_2_licence_the_metadata_names():
    cfg = _metadata()
    assert cfg["metadata"]["license"] == "Apache-2.0" and cfg["metadata"]["license_files"] == "LICENSE"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_package_is_marked_typed_and_ships_the_marker():
    for package in ("blurgen", "pipelines", "training"):
        assert (ROOT / package / "py.typed").is_file()
    assert "py.typed" in _metadata()["options.package_data"]["*"]


def test_the_classifiers_claim_the_python_range_and_include_this_one():
    cfg = _metadata()
    claimed = re.findall(r"Programming Language :: Python :: (3\.\d+)", cfg["metadata"]["classifiers"])
    assert claimed == ["3.10", "3.11", "3.12", "3.13"]
    assert cfg["options"]["python_requires"] == f">={claimed[0]}"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in claimed


def test_the_train_extra_brings_tensorboard_and_each_extra_is_documented():
    extras = _metadata()["options.extras_require"]
    assert "tensorboard" in extras["train"]
    install = (ROOT / "docs" / "install.md").read_text()
    for name in extras:
        assert f"| `{name}` |" in install, name


def test_the_documents_the_readme_links_exist():
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"\]\(([A-Z]+\.md)(?:#[^)]*)?\)", readme))
    assert {"ARCHITECTURE.md", "CHANGELOG.md"} <= links
    for link in links:
        assert (ROOT / link).is_file(), link
    assert "FACTS.md" not in readme
    # anchors into ARCHITECTURE.md name headings it has
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", (ROOT / "ARCHITECTURE.md").read_text(), re.M)}
    for anchor in re.findall(r"\]\(ARCHITECTURE\.md#([^)]+)\)", readme):
        assert anchor in headings, anchor
