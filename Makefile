# The two commands a newcomer needs; each does all the set-up on a fresh machine.
#   make demo   synthesize blur on the sample photos, build shards, train and score a tiny model
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.blurgen-installed
OUT ?= demo-out

ENGINES ?= engines

.PHONY: docs docs-serve docs-pictures demo test test-onednn-off setup clean bench engines cluster-check bench-memory learn realism test-readers test-python check-wheel mutants fuzz bench-framing

setup: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[train,test,fast]' 'onnxruntime>=1.16'
	touch $(STAMP)

# The documentation site (mkdocs.yml, docs/): built with --strict, so a broken link, a missing page or
# a docstring that does not render fails it; the command reference is each command's --help, run
# while it builds. `make docs-serve` serves it at http://127.0.0.1:$(DOCS_PORT) and rebuilds on change.
DOCS_STAMP := $(VENV)/.blurgen-docs-installed
DOCS_PORT ?= 8000
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)
docs: $(DOCS_STAMP)
	$(MKDOCS) build --strict
	@echo "the site is in site/ (open site/index.html, or: make docs-serve)"
docs-serve: $(DOCS_STAMP)
	$(MKDOCS) serve --strict -a 127.0.0.1:$(DOCS_PORT)
# The pictures of the guides (docs/img/), drawn by blurgen's own commands on the sample photos.
docs-pictures: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH bash tools/render_doc_pictures.sh

# TensorFlow and tfrecord cannot live in one process (see ARCHITECTURE.md), so the TF-free tests
# and the TensorFlow tests run in two pytest processes.
# -rs prints why each skipped test skipped; with CI=true a test that needs ../shared fails instead.
test: $(STAMP)
	$(PY) -m pytest -q -rs tests/blurgen tests/pipelines tests/mutants
	$(PY) -m pytest -q -rs tests/training

# The shard readers' fuzzing at length: FUZZ_SCALE times the cases `make test` runs (thousands of
# mutated shards per reader; 15 minutes on 2 busy cores), with a fresh seed, printed so that
# `make fuzz BLURGEN_FUZZ_SEED=N` replays it. The PyTorch reader too, where .venv-torch exists.
FUZZ_SCALE ?= 20
fuzz: $(STAMP)
	@seed=$${BLURGEN_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "fuzzing with BLURGEN_FUZZ_SEED=$$seed BLURGEN_FUZZ_SCALE=$(FUZZ_SCALE)"; \
	export BLURGEN_FUZZ_SEED=$$seed BLURGEN_FUZZ_SCALE=$(FUZZ_SCALE); \
	$(PY) -m pytest -q -s -rs tests/pipelines/test_fuzz_readers.py -k mutated && \
	$(PY) -m pytest -q -s -rs tests/training/test_fuzz_tf_readers.py && \
	if [ -x .venv-torch/bin/python ]; then \
		.venv-torch/bin/python -m pytest -q -s -p no:cacheprovider -rs tests/readers/test_fuzz_torch.py; \
	else echo "no .venv-torch (make test-readers makes it): the PyTorch reader was not fuzzed"; fi

# The header pass that precedes every tf.data read, on a 1 GiB shard, against reading the file.
bench-framing: $(STAMP)
	$(PY) benchmarks/bench_framing.py
# The TensorFlow tests again with another CPU's numerics: oneDNN off (TensorFlow's default on
# AVX2-only CPUs), the oneDNN GEMM that TensorFlow still uses capped at AVX2, and 4 threads, so
# that a test which holds on one CPU only fails here too (CI runs it after `make test`).
ONEDNN_OFF_ENV := TF_ENABLE_ONEDNN_OPTS=0 ONEDNN_MAX_CPU_ISA=AVX2 TF_NUM_INTRAOP_THREADS=4
test-onednn-off: $(STAMP)
	$(ONEDNN_OFF_ENV) $(PY) -m pytest -q -rs tests/training

# Each mutation in tests/mutants/mutations.toml applied alone to a temporary copy of the project, its
# tests run, and a table of caught / missed (slow, not part of CI): every mutant must be caught.
# MUTANTS_ARGS='--only ssim' runs some; '--list' lists them.
mutants: $(STAMP)
	$(PY) tests/mutants/mutate.py $(MUTANTS_ARGS)

# The readers outside TensorFlow (PyTorch, Hugging Face datasets), in .venv-torch (made once).
test-readers:
	PYTHON=$(PYTHON) bash .ci/readers.sh

# The TF-free tests under another Python version of the claimed range (make test-python PY_VERSION=3.13).
PY_VERSION ?= 3.10
test-python:
	bash .ci/other_python.sh $(PY_VERSION)

# Build the wheel, install it in a fresh venv outside the repository, run the README's commands.
check-wheel:
	PYTHON=$(PYTHON) bash .ci/check_wheel.sh

# The whole job on the sample photos, on the local runner: kernels and panels, shards, a tiny model
# fitted and scored on the held-out split beside the blurry input.
demo: $(STAMP)
	rm -rf $(OUT) && mkdir -p $(OUT)
	$(VENV)/bin/blurgen kernels --count 64 --seed 0 --out $(OUT)/kernels.npz --preview $(OUT)/kernel-gallery.png
	$(VENV)/bin/blurgen preview samples --out $(OUT)/pairs --seed 0 --variants 2
	$(VENV)/bin/blurgen synth --src samples --out $(OUT)/shards --variants 8 --seed 0 --test-fraction 0.5
	$(VENV)/bin/blurgen inspect $(OUT)/shards --sheet $(OUT)/shards-sheet.png
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) -m training.fit --preset smoke --train '$(OUT)/shards/*-train.tfrecord-*' --out $(OUT)/runs/smoke --verbose 2
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) -m training.score --model $(OUT)/runs/smoke --data '$(OUT)/shards/*-test.tfrecord-*' --out $(OUT)/runs/smoke/report.json
	@echo "demo outputs are in $(OUT)/: kernel-gallery.png, pairs/, shards/, shards-sheet.png, runs/smoke/"

bench: $(STAMP)
	$(PY) benchmarks/bench_kernels.py
	$(PY) benchmarks/bench_blur.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_video.py
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) benchmarks/bench_training.py

# Beam's Flink and Spark runners (2.62.0) with their job service, Flink 1.19 and Spark 3.5, fetched
# with Maven from the pinned poms in pipelines/runners/maven/ into $(ENGINES)/ (git-ignored; hundreds of MB);
# a second run asks Maven for nothing. `blurgen synth ... --runner FlinkRunner|SparkRunner` finds them.
engines: $(STAMP)
	$(PY) -m pipelines.engines fetch --dest $(ENGINES)

# Local Flink and Spark clusters of separate processes: synth (and on Flink pairs and video) on each,
# compared byte for byte with the DirectRunner (make cluster-check SRC=photos/ KEEP=out/).
SRC ?= samples
KEEP ?=
cluster-check: engines
	$(PY) benchmarks/bench_engines.py --src $(SRC) $(if $(KEEP),--keep $(KEEP)) --engines flink,spark

# Peak memory of `blurgen synth` against the number of photos (30 and 120 photos of 1280x720).
bench-memory: $(STAMP)
	$(PY) benchmarks/bench_pipeline.py --memory

# Does a model trained with blurgen deblur photos it never saw? Fetches 40 photographs from
# Debian's background packages, synthesizes training pairs, fits --preset cpu (about 20 minutes
# on 2 cores) and scores it on held-out photos and on the published real-blur sets (Levin, Koehler,
# Lai; their rows are skipped where the sets are absent).
learn: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) benchmarks/bench_learning.py

# Which synthesis choices make models that deblur real photos? One model per recipe (DeblurGAN's,
# the default, each realism step alone), the same photos and budget, scored on the same sets; a
# table and realism-out/realism.png. Each recipe's data and model are cached: adding a recipe
# trains one model. REALISM_ARGS='--quick' ranks them at a short budget (about 6 minutes a recipe).
REALISM_ARGS ?=
realism: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) benchmarks/bench_realism.py $(REALISM_ARGS)

clean:
	rm -rf $(OUT) build dist site *.egg-info
