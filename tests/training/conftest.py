"""Fixtures of the trainer's tests (helpers in ``shardkit.py``)."""
from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

pytest.importorskip("tensorflow")

from shardkit import SAMPLE_NAMES, sample_pairs, write_shards  # noqa: E402


@pytest.fixture
def tensorflow_bfloat16():
    """Skips, saying why, where TensorFlow cannot compute bfloat16 at all: oneDNN on a CPU (or
    under an ``ONEDNN_MAX_CPU_ISA`` cap) below AVX-512 has no bfloat16 convolution or batch norm.
    With oneDNN off TensorFlow's own kernels run it, so the CI run with oneDNN off covers it."""
    from training.inference import cpu
    if cpu.tensorflow_bfloat16() == "unavailable":
        pytest.skip(f"TensorFlow's oneDNN has no bfloat16 kernels on this CPU ({cpu.read_cpuinfo().describe()}, "
                    f"ONEDNN_MAX_CPU_ISA={cpu.os.environ.get('ONEDNN_MAX_CPU_ISA', '')!r})")


@pytest.fixture(scope="session")
def shard_dir(tmp_path_factory) -> pathlib.Path:
    """train: 5 photos x 2 variants at 96 px; test: 3 photos x 1 variant at 80 px."""
    d = tmp_path_factory.mktemp("shards")
    write_shards(d, sample_pairs(96, variants=2), "train", count=2)
    write_shards(d, sample_pairs(80, variants=1, seed=1, names=SAMPLE_NAMES[:3]), "test", count=1)
    return d


@pytest.fixture(scope="session")
def train_glob(shard_dir) -> str:
    return str(shard_dir / "blurgen-train.tfrecord-*")


@pytest.fixture(scope="session")
def test_glob(shard_dir) -> str:
    return str(shard_dir / "blurgen-test.tfrecord-*")
