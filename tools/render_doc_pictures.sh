#!/usr/bin/env bash
# The pictures of the documentation (docs/img/), drawn by blurgen's own commands on the sample photos
# with fixed seeds: `make docs-pictures` redraws them (the same bytes on a rerun on one machine).
set -euo pipefail
cd "$(dirname "$0")/.."
img=docs/img
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Kernel galleries: the default camera shake, DeblurGAN's own, a mix of families.
blurgen kernels --count 24 --seed 0 --out "$scratch/k.npz" --preview "$img/kernels-default.png"
blurgen kernels --count 24 --seed 0 --max-length 60 --canvas 64 --out "$scratch/k.npz" \
    --preview "$img/kernels-deblurgan.png"
blurgen kernels --count 24 --seed 0 --mix trajectory=0.5,linear=0.25,defocus=0.25 --out "$scratch/k.npz" \
    --preview "$img/kernels-mix.png"
# sharp | blurred | kernel panels: the defaults; linear light with bright highlights and JPEG; no
# noise; a turning camera (blur that varies across the frame, its local kernels drawn on it).
panel() {  # panel NAME PHOTO SEED VARIANT FLAGS...: one panel of samples/PHOTO.png as img/NAME.png
    local name=$1 photo=$2 seed=$3 variant=$4; shift 4
    blurgen preview "samples/$photo.png" --out "$scratch/$name" --seed "$seed" --variants $((variant + 1)) "$@"
    cp "$scratch/$name/$photo-v$variant.png" "$img/$name.png"
}
panel preview-default chelsea 0 1
panel preview-strong chelsea 0 0
panel preview-linear coffee 0 3 --linear srgb --highlight-boost 4,8 --jpeg 70,80
panel preview-no-noise coffee 0 3 --noise none
panel preview-rotation coffee 0 0 --mix trajectory=0,rotation=1 --tilt 1,1.5 --roll 0.4,0.6
ls -l "$img"
