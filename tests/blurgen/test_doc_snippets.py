"""The examples of the guides and the README that need no TensorFlow, run as written on the sample
photos (``tests/docsnippets.py``); and every example of the guides carries a mark, so none escapes."""
from __future__ import annotations

import pytest

import docsnippets


def test_every_example_of_the_guides_and_the_readme_is_marked_run_or_says_why_not():
    assert docsnippets.problems_with_marks() == []


def test_the_mark_check_finds_an_unmarked_block_and_a_readme_block_that_no_guide_runs(tmp_path, monkeypatch):
    (tmp_path / "docs" / "guides").mkdir(parents=True)
    (tmp_path / "docs" / "guides" / "a.md").write_text(
        "<!-- snippets: plain -->\n\n<!-- run -->\n```sh\nblurgen synth --src samples\n```\n\n```sh\nunmarked\n```\n")
    (tmp_path / "README.md").write_text(
        "<!-- shown in: guides/a.md -->\n```sh\nblurgen synth --src samples\n```\n\n"
        "<!-- shown in: guides/a.md -->\n```sh\nblurgen fit\n```\n\n<!-- not run -->\n```sh\nx\n```\n")
    monkeypatch.setattr(docsnippets, "ROOT", tmp_path)
    monkeypatch.setattr(docsnippets, "MARKED_PAGES", ("README.md", "docs/guides/a.md"))
    problems = docsnippets.problems_with_marks()
    assert len(problems) == 3, problems
    assert any(p.startswith("README.md:7:") and "not in a run block" in p and "blurgen fit" in p for p in problems)
    assert any(p.startswith("README.md:12:") and "must say why" in p for p in problems)
    assert any(p.startswith("docs/guides/a.md:8:") and "without" in p for p in problems)


def test_a_failing_example_fails_with_its_page_and_line(tmp_path):
    block = docsnippets.Block("docs/guides/x.md", 12, "sh", "blurgen synth --src no-such-folder --out o\n", "run", "")
    with pytest.raises(AssertionError, match=r"docs/guides/x.md:12: exit [12]"):
        docsnippets.run_block(block, tmp_path, {})


@pytest.fixture(scope="module")
def page_runner(tmp_path_factory):
    """One runner for the module, so that pages share the identical commands they start with."""
    return docsnippets.PageRunner(tmp_path_factory.mktemp("doc-snippets"))


@pytest.mark.slow
@pytest.mark.parametrize("page", docsnippets.runnable_pages("plain"))
def test_the_examples_of_the_page_run(page, page_runner):
    page_runner.run(page)
