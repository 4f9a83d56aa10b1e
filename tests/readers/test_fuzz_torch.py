"""Fuzzing blurgen.torchdata.PairDataset in a DataLoader with Hypothesis: mutated shards, in a
torch child process (tests/fuzzkit.py). Every case ends in the pairs before the damage or a
one-line error naming the shard and record; never a crash, a hang or a peak RSS over the bound."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed here: make test-readers installs it")
pytest.importorskip("hypothesis", reason="Hypothesis is not installed here: make test-readers installs it")

from fuzzkit import check_summary, fuzz_cases, fuzz_seed, run_fuzz  # noqa: E402
from readerkit import write_dataset  # noqa: E402

# With torch imported (PyPI's Linux build, with CUDA) the child peaks near 670 MiB, against 70 to
# 160 MiB for the other TF-free readers' children; the bound keeps the same margin.
TORCH_RSS_MIB = 1024


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    write_dataset(out / "a", count=4, shards=1)
    write_dataset(out / "b", count=5, shards=2, height=16, width=16)
    return out


def test_mutated_shards_end_in_their_sound_pairs_or_a_one_line_error(corpus, tmp_path):
    cases = fuzz_cases(60)
    summary = run_fuzz("torch", corpus, tmp_path / "work", cases, fuzz_seed(), python=sys.executable)
    print(summary)  # shown by `make fuzz`
    check_summary(summary, cases, TORCH_RSS_MIB)
