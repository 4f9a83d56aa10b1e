#!/usr/bin/env bash
# The TF-free half of the tests (tests/blurgen, tests/pipelines) under another Python version of the
# range setup.cfg claims, in its own environment .venv-pyX.Y (created once, then reused).
# Usage: .ci/other_python.sh 3.10     Skips, saying why, where no such interpreter exists.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: $0 X.Y}"
python=""
# pyenv's shims are on PATH even for versions that are not selected, and then fail: try each.
for candidate in "$HOME"/.pyenv/versions/"$version".*/bin/python"$version" "$(command -v "python$version" || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c "import sys" >/dev/null 2>&1; then
        python="$candidate"; break
    fi
done
if [ -z "$python" ]; then
    echo "SKIPPED: tests under Python $version: no python$version on PATH or in ~/.pyenv/versions"
    exit 0
fi
venv=".venv-py$version"
stamp="$venv/.blurgen-installed"
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    echo "creating $venv with $python ($("$python" --version))"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    "$venv/bin/python" -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi
echo "TF-free tests (not the slow end-to-end ones, which run under the main Python) under $("$venv/bin/python" --version)"
"$venv/bin/python" -m pytest -q -rs -p no:cacheprovider -m "not slow" tests/blurgen tests/pipelines
