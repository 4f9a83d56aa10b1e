#!/usr/bin/env bash
# The GPU check: the faithful `deblurgan` preset with mixed precision for about 8 minutes on
# synthesized shards, then its scores and the time to deblur 1280x720 images in float32 and in
# mixed precision. Never part of CI; run it where a GPU is, with a Python that has blurgen's
# `train` extra and a GPU build of TensorFlow (pip install 'tensorflow[and-cuda]'):
#
#   PY=.venv/bin/python bash benchmarks/gpu_check.sh [WORK_DIR] [MINUTES]
#
# The VGG19 content loss uses random weights unless VGG_WEIGHTS names the ImageNet .h5 file (the
# cost per step is the same; the scores then reflect a perceptual loss on random features).
# Prints steps per second, the score report's means and seconds per 720p image.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORK=${1:-gpu-out}
MINUTES=${2:-8}
VGG_WEIGHTS=${VGG_WEIGHTS:-random}
export TF_CPP_MIN_LOG_LEVEL=2

"$PY" - <<'EOF'
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
print("GPUs:", gpus)
if not gpus:
    raise SystemExit("no GPU is visible to TensorFlow: this check needs one")
EOF

mkdir -p "$WORK"
if [ ! -f "$WORK/shards/manifest.json" ]; then
  "$PY" -m blurgen.cli synth --src samples --out "$WORK/shards" --variants 48 --patch 256 \
      --patches-per-image 8 --test-fraction 0.4 --seed 0 --overwrite
fi
start=$(date +%s)
"$PY" -m training.fit --preset deblurgan --mixed-precision --vgg-weights "$VGG_WEIGHTS" \
    --train "$WORK/shards/*-train.tfrecord-*" --val "$WORK/shards/*-test.tfrecord-*" \
    --out "$WORK/runs/deblurgan-mp" --batch 8 --epochs 100 --steps-per-epoch 200 \
    --max-minutes "$MINUTES" --verbose 2
end=$(date +%s)
"$PY" - "$WORK/runs/deblurgan-mp" "$((end - start))" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1] + "/fit-summary.json"))
print(f"trained {summary['step']} steps of batch 8 in {sys.argv[2]} s (start-up included): "
      f"{summary['step'] / float(sys.argv[2]):.2f} steps/s")
EOF
"$PY" -m training.score --model "$WORK/runs/deblurgan-mp" --data "$WORK/shards/*-test.tfrecord-*" \
    --out "$WORK/runs/deblurgan-mp/report.json"
"$PY" benchmarks/bench_inference.py --gpu --model "$WORK/runs/deblurgan-mp"
