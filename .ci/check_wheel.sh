#!/usr/bin/env bash
# Install blurgen as a user does and run the README's commands outside the repository:
#   1. build the wheel; install it alone in a fresh venv in a temporary folder;
#   2. the synthesizer and pipeline commands work; the trainer's --help works and a training run
#      says in one line which extra to install; blurgen.torchdata names its extra;
#   3. `pip install 'blurgen[train]'`, exactly as that line says; fit, score and deblur run, and
#      deblur --backend openvino names the fast extra;
#   4. `pip install 'blurgen[fast]'`; deblur runs in OpenVINO.
# Packages come from PyPI (and pip's cache); nothing is read from the checkout but the wheel.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/blurgen-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say() { echo "check_wheel: $*"; }
fail() { echo "check_wheel: FAILED: $*" >&2; exit 1; }

say "building the wheel"
"$PYTHON" -m pip wheel --quiet --no-deps -w "$work/dist" "$repo"
wheel="$(ls "$work"/dist/blurgen-*.whl)"
# The listing goes to a file first: with pipefail, `unzip -l | grep -q` fails whenever grep stops
# reading before unzip has written everything (unzip then dies of SIGPIPE).
unzip -l "$wheel" > "$work/listing"
grep -q "blurgen/py.typed" "$work/listing" || fail "the wheel lacks blurgen/py.typed"
grep -q "licenses/LICENSE\|/LICENSE$" "$work/listing" || fail "the wheel lacks the LICENSE"
grep -q "pipelines/runners/maven/flink.xml" "$work/listing" || fail "the wheel lacks the engines' poms (pipelines/runners/maven/)"

say "installing $(basename "$wheel") alone in a fresh environment"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$wheel"
export PATH="$work/venv/bin:$PATH"
cd "$work"  # outside the repository: only the installed package can be imported
mkdir photos
cp "$repo/samples/chelsea.png" "$repo/samples/coffee.png" "$repo/samples/rocket.jpg" photos/

blurgen --version
blurgen-worker --help > /dev/null || fail "blurgen-worker (the PROCESS worker launcher) is not installed"
listed="$(python -m pipelines.engines list)"
[[ "$listed" == *"Flink: beam 2.62.0"* ]] || fail "python -m pipelines.engines list: $listed"
blurgen kernels --count 16 --seed 0 --out kernels.npz --preview gallery.png
blurgen degrade photos/chelsea.png blurred.png --seed 3 --kernel-out kernel.npy
blurgen preview photos --out panels --variants 1
blurgen synth --src photos --out shards --variants 2 --seed 0 --test-fraction 0.34
blurgen inspect shards --sheet sheet.png
for f in gallery.png blurred.png kernel.npy shards/manifest.json sheet.png; do [ -s "$f" ] || fail "$f not written"; done

for cmd in fit score deblur; do
    usage="$(blurgen "$cmd" --help)"
    [[ "$usage" == "usage: blurgen $cmd "* ]] || fail "blurgen $cmd --help without TensorFlow"
done
set +e
blurgen fit --preset smoke --train 'shards/*-train.tfrecord-*' --out run 2>err.txt
status=$?
set -e
[ "$status" = 1 ] || fail "blurgen fit without the train extra exited $status"
grep -qx "error: blurgen fit needs TensorFlow and Keras (.* is not installed): pip install 'blurgen\[train\]'" err.txt \
    || fail "blurgen fit without the train extra said: $(cat err.txt)"
python -c "import blurgen.torchdata" 2>torch-err.txt && fail "blurgen.torchdata imported without torch"
grep -q "pip install 'blurgen\[torch\]'" torch-err.txt || fail "blurgen.torchdata without torch said: $(tail -1 torch-err.txt)"
say "base install: every command ran; the trainer named its extra"

say "pip install 'blurgen[train]' (the command the error gave)"
pip install --quiet 'blurgen[train]'
python -c "import tensorboard, keras, tensorflow" || fail "the train extra did not install TensorBoard, Keras, TensorFlow"
export TF_CPP_MIN_LOG_LEVEL=2
blurgen fit --preset smoke --train 'shards/*-train.tfrecord-*' --out run --epochs 1 --steps-per-epoch 3 --verbose 0
blurgen score --model run --data 'shards/*-test.tfrecord-*' --out run/report.json --metrics psnr,ssim
blurgen deblur --model run photos/coffee.png --out restored
for f in run/generator.keras run/metrics.csv run/curves.png run/report.json run/report-sheet.png restored/coffee.png; do
    [ -s "$f" ] || fail "$f not written"
done
set +e
blurgen deblur --model run photos/coffee.png --out restored-ov --backend openvino 2>ov-err.txt
status=$?
set -e
[ "$status" = 2 ] || fail "blurgen deblur --backend openvino without the fast extra exited $status"
grep -q "pip install 'blurgen\[fast\]'" ov-err.txt || fail "deblur --backend openvino without openvino said: $(cat ov-err.txt)"
say "train extra: fit, score and deblur ran outside the repository; --backend openvino named its extra"

say "pip install 'blurgen[fast]' (the command the error gave)"
pip install --quiet 'blurgen[fast]'
blurgen deblur --model run photos/coffee.png --out restored-ov --backend openvino >ov-out.txt
grep -q "backend openvino" ov-out.txt || fail "deblur --backend openvino said: $(cat ov-out.txt)"
[ -s restored-ov/coffee.png ] || fail "restored-ov/coffee.png not written"
say "fast extra: deblur ran in OpenVINO"
