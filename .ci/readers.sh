#!/usr/bin/env bash
# The readers outside TensorFlow (blurgen.torchdata on PyTorch, the Hugging Face recipe, the Parquet export
# and the dataset card) in their own environment .venv-torch: torch, datasets, huggingface_hub and blurgen
# with its hub extra (pyarrow), no TensorFlow. PyPI's Linux torch is a CUDA
# build of several GB, so the environment is made once and reused. Where torch or datasets cannot be
# installed the tests that need it skip, and this script says why.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
venv=".venv-torch"
stamp="$venv/.blurgen-installed"
log="$venv-install.log"
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    "$venv/bin/python" -m pip install --quiet -e ".[hub]" pytest "hypothesis>=6.100"
    complete=1
    for pkg in "torch==2.13.0" datasets huggingface_hub; do
        if ! "$venv/bin/python" -m pip install --quiet "$pkg" >"$log" 2>&1; then
            echo "SKIPPING the tests that need $pkg: it could not be installed ($(tail -1 "$log"))"
            complete=0
        fi
    done
    if [ "$complete" = 1 ]; then touch "$stamp"; fi  # otherwise the next run tries again
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider -rs tests/readers
