# The two commands a newcomer needs; each does all the set-up on a fresh machine.
#   make demo   synthesize blur on the sample photos, build shards, train and score a tiny model
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.blurgen-installed
OUT ?= demo-out

.PHONY: demo test setup clean bench

setup: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[train,test]'
	touch $(STAMP)

# TensorFlow and tfrecord cannot live in one process (see ARCHITECTURE.md), so the TF-free tests
# and the TensorFlow tests run in two pytest processes.
test: $(STAMP)
	$(PY) -m pytest -q tests/blurgen tests/pipelines
	$(PY) -m pytest -q tests/training

demo: $(STAMP)
	rm -rf $(OUT) && mkdir -p $(OUT)
	$(VENV)/bin/blurgen kernels --count 64 --seed 0 --out $(OUT)/kernels.npz --preview $(OUT)/kernel-gallery.png
	$(VENV)/bin/blurgen preview samples --out $(OUT)/pairs --seed 0 --variants 2

bench: $(STAMP)
	$(PY) benchmarks/bench_kernels.py
	$(PY) benchmarks/bench_blur.py

clean:
	rm -rf $(OUT) build *.egg-info
