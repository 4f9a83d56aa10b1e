"""The mutation list fits the code as it is, and the runner tells a caught mutant from a missed one.

Running the mutants takes long (``make mutants``); these checks are fast and run with the suite, so
that a change to the code that leaves a mutant matching nothing is noticed at once.
"""
from __future__ import annotations

import sys

import mutate


def test_every_mutant_applies_to_the_code_exactly_once():
    mutants = mutate.load()
    assert len(mutants) >= 30
    assert mutate.problems(mutants) == []
    assert all(m.why for m in mutants)


def test_the_tests_split_into_the_two_pytest_processes():
    assert mutate.groups(("tests/blurgen/a.py", "tests/training/b.py::t", "tests/pipelines/c.py")) == [
        ["tests/blurgen/a.py", "tests/pipelines/c.py"], ["tests/training/b.py::t"]]
    assert mutate.groups(("tests/training/b.py",)) == [["tests/training/b.py"]]


def test_a_mutant_that_breaks_a_test_is_caught_and_one_that_does_not_is_missed(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    (tmp_path / "tests" / "test_mod.py").write_text("import mod\n\n\ndef test_f():\n    assert mod.f() == 1\n")
    caught = mutate.Mutant("f returns 3", "mod.py", "return 1", "return 3", ("tests/test_mod.py",), "why")
    missed = mutate.Mutant("g returns 4", "mod.py", "return 2", "return 4", ("tests/test_mod.py",), "why")
    assert mutate.problems([caught, missed], tmp_path) == []
    outcomes = {}
    for m in (caught, missed):
        original = mutate.apply(tmp_path, m)
        assert m.new in (tmp_path / "mod.py").read_text()
        outcomes[m.name] = mutate.run_tests(tmp_path, m.tests, sys.executable, timeout=120)
        (tmp_path / "mod.py").write_text(original)
    assert outcomes["f returns 3"].status == "caught"
    assert outcomes["f returns 3"].detail == "tests/test_mod.py::test_f"
    assert outcomes["g returns 4"].status == "MISSED"
    stale = mutate.Mutant("gone", "mod.py", "return 9", "return 8", ("tests/test_mod.py",), "why")
    assert "occurs 0 times" in mutate.problems([stale], tmp_path)[0]
