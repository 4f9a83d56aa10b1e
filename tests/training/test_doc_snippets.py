"""The examples of the guides that use TensorFlow (reading shards with tf.data and TensorFlow
Datasets, training, scoring, deblurring), run as written on the sample photos
(``tests/docsnippets.py``; the TensorFlow-free pages run in tests/blurgen)."""
from __future__ import annotations

import pytest

import docsnippets


@pytest.fixture(scope="module")
def page_runner(tmp_path_factory):
    """One runner for the module, so that pages share the identical commands they start with."""
    return docsnippets.PageRunner(tmp_path_factory.mktemp("doc-snippets"))


@pytest.mark.slow
@pytest.mark.parametrize("page", docsnippets.runnable_pages("tensorflow"))
def test_the_examples_of_the_page_run(page, page_runner):
    page_runner.run(page)
