"""The examples of the reading guides for PyTorch and Hugging Face datasets, run as written on the
sample photos (``tests/docsnippets.py``), in the readers' environment (no TensorFlow)."""
from __future__ import annotations

import importlib.util

import pytest

import docsnippets


@pytest.fixture(scope="module")
def page_runner(tmp_path_factory, monkeypatch_module):
    """One runner for the module; Hugging Face's caches in the scratch folder, not in ~/.cache, and offline."""
    scratch = tmp_path_factory.mktemp("doc-snippets")
    monkeypatch_module.setenv("HF_DATASETS_CACHE", str(scratch / "hf-cache"))
    monkeypatch_module.setenv("HF_HUB_OFFLINE", "1")
    if importlib.util.find_spec("datasets"):
        import datasets
        monkeypatch_module.setattr(datasets.config, "HF_DATASETS_CACHE", scratch / "hf-cache")
        monkeypatch_module.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)  # tests never download
    return docsnippets.PageRunner(scratch)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.slow
@pytest.mark.parametrize("page", docsnippets.runnable_pages("torch") + docsnippets.runnable_pages("datasets"))
def test_the_examples_of_the_page_run(page, page_runner):
    kind, _ = docsnippets.page_kind(page)
    for module in ("torch",) if kind == "torch" else ("datasets", "torch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed here: make test-readers installs it")
    page_runner.run(page)
