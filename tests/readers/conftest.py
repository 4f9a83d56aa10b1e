"""The readers outside TensorFlow (PyTorch, Hugging Face datasets). These tests run in their own
environment (`make test-readers`: torch and datasets, no TensorFlow) and skip, saying why, where a
package is missing."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/readerkit.py
