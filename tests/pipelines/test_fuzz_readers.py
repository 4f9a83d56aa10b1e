"""Fuzzing the TF-free readers (pipelines' reader under PyTorch and Hugging Face, ``blurgen
inspect``) with Hypothesis: mutated shards, each reader in its own process (tests/fuzzkit.py).

Every case must end in exactly the records before the damage, or a one-line error naming the shard
and the damaged record; never a crash, a hang or a peak RSS over the bound. `make test` runs a
short, fixed set of cases; `make fuzz` runs twenty times as many with a fresh seed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fuzzkit import TF_FREE_RSS_MIB, check_summary, fuzz_cases, fuzz_seed, run_fuzz  # noqa: E402
from readerkit import write_dataset  # noqa: E402

SHORT = {"records": 150, "pairs": 150, "inspect": 100}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Sound shards of two datasets (images of two sizes) to mutate and to splice from."""
    out = tmp_path_factory.mktemp("corpus")
    write_dataset(out / "a", count=4, shards=1)
    write_dataset(out / "b", count=5, shards=2, height=16, width=16)
    return out


@pytest.mark.parametrize("reader", sorted(SHORT))
def test_mutated_shards_end_in_their_sound_records_or_a_one_line_error(reader, corpus, tmp_path):
    cases = fuzz_cases(SHORT[reader])
    summary = run_fuzz(reader, corpus, tmp_path / "work", cases, fuzz_seed())
    print(summary)  # shown by `make fuzz`
    check_summary(summary, cases, TF_FREE_RSS_MIB)


def test_the_fuzzing_fails_a_reader_that_trusts_lengths_and_checksums(corpus, tmp_path):
    failed = (r"(?s)selftest-lenient: a case failed \(exit 1\).*records before damage, and no error"
              r".*case=Case\(\d+ bytes: ")
    with pytest.raises(AssertionError, match=failed):
        run_fuzz("selftest-lenient", corpus, tmp_path, 50, 0)


def test_the_fuzzing_names_the_case_that_crashed_a_reader(corpus, tmp_path):
    with pytest.raises(AssertionError, match=r"selftest-crash: crashed \(SIGSEGV\) on .+\(the shard: .+\)"):
        run_fuzz("selftest-crash", corpus, tmp_path, 50, 0)


def test_the_fuzzing_names_the_case_that_hung_a_reader(corpus, tmp_path):
    with pytest.raises(AssertionError, match=r"selftest-hang: hung \(a case ran over 2 s\) on .+\(the shard: "):
        run_fuzz("selftest-hang", corpus, tmp_path, 50, 0, case_timeout=2)


def test_the_fuzzing_measures_peak_memory(corpus, tmp_path):
    summary = run_fuzz("selftest-memory", corpus, tmp_path, 2, 0)
    assert summary["peak_rss_mib"] > 700
    with pytest.raises(AssertionError, match=f"over the bound of {TF_FREE_RSS_MIB} MiB"):
        check_summary(summary, 2, TF_FREE_RSS_MIB)
