"""Fuzzing the trainer's input with Hypothesis: mutated shards through ``training.data.shards`` in a
TensorFlow child process per reader (tests/fuzzkit.py): the corrupt-shard scan, ``score``'s input,
and ``fit``'s input with ``--ignore-errors``.

Every case must end in the records before the damage (all of them where errors are ignored), or a
one-line error naming the shard; never a crash (TensorFlow's reader alone segfaults on a crafted
length), a hang, or a peak RSS over 1 GiB. Building a tf.data pipeline takes TensorFlow about a
second here, so the short run is small; `make fuzz` runs twenty times as many with a fresh seed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shardkit import SAMPLE_NAMES, sample_pairs, write_shards

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fuzzkit import TF_RSS_MIB, check_summary, fuzz_cases, fuzz_seed, run_fuzz  # noqa: E402

SHORT = {"tf-scan": 60, "tf-eval": 20, "tf-train": 8}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Sound shards of two datasets (images of two sizes) to mutate and to splice from."""
    out = tmp_path_factory.mktemp("corpus")
    write_shards(out / "a", sample_pairs(16, names=SAMPLE_NAMES[:3]), "train", count=1)
    write_shards(out / "b", sample_pairs(12, seed=1, names=SAMPLE_NAMES[3:]), "test", count=2)
    return out


@pytest.mark.parametrize("reader", sorted(SHORT))
def test_mutated_shards_end_in_their_sound_records_or_a_one_line_error(reader, corpus, tmp_path):
    cases = fuzz_cases(SHORT[reader])
    summary = run_fuzz(reader, corpus, tmp_path / "work", cases, fuzz_seed())
    print(summary)  # shown by `make fuzz`
    check_summary(summary, cases, TF_RSS_MIB)
