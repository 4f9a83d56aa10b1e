"""The presets that train on a CPU: ``cpu`` (measurably deblurs in under 20 minutes on two cores)
and ``smoke`` (the demo's and the tests' small model).

    python -m training.fit --preset cpu --train 'shards/*-train.tfrecord-*' --out runs/cpu
    python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
"""
from __future__ import annotations

from typing import Any

from training.presets.registry import register_preset

# Training that measurably deblurs on two CPU cores in under 20 minutes: the multi-scale
# ``unet`` generator (training/networks/unet.py) without normalisation, L1 and Fourier-spectrum L1
# content losses (no download), Adam 5e-4 (beta1 0.9) held for half the run, then down to 0
# (twice that rate learnt faster for 1,100 steps of make learn's run, then collapsed to white).
# Gradients are scaled down to at most 4 times the running mean of their norm (grad_clip): without
# it one of four runs of bench_stability.py (photos A, seed 2) blew up after step 1,200 (training
# crops 34.9 dB, then 13.7) and fit stopped it; with it the same run clipped 41 of the steps 1,201
# to 1,300, dipped to 28.2 dB and was back at 33.9 by step 1,400.
# Its output is clipped only when restoring, not in training: clipped outputs have no gradient,
# and a run whose outputs all ran past white once stayed white for good (seen at step 450 of an
# 800-step run, with and without the adversarial term; unclipped, the same run trained on). No
# adversarial term: at weight 0.01 it moved no test set by more than 0.04 dB (make realism's
# trainer rows), cost a third of each step, and is the part that collapsed before (critic loss
# to -300). ``--adversarial-weight 0.01`` brings the PatchGAN critic (WGAN-GP) back.
#   python -m training.fit --preset cpu --train 'shards/*-train.tfrecord-*' --out runs/cpu
#   python benchmarks/bench_learning.py   (make learn: the scores it reaches, in the README)
_CPU: dict[str, Any] = {
    "generator": "unet", "gen_filters": 32, "gen_blocks": 4, "gen_dropout": 0.0, "clip_in_training": False,
    "adversarial_weight": 0.0, "critic_filters": 16, "critic_layers": 3, "critic_steps": 1,
    "content_losses": ("l1", "fft"), "content_weights": (100.0, 50.0), "vgg_weights": "random",
    "lr": 5e-4, "beta1": 0.9, "grad_clip": 4.0, "batch": 8, "crop": 128, "shuffle_buffer": 256,
    "epochs": 28, "steps_per_epoch": 100, "checkpoint_every": 500, "samples": 3,
}

# A small model for the demo and the tests: the cpu preset's network at half the width and
# depth, on smaller crops, for 1,000 steps (about 3 minutes on 2 cores). Its learning rate
# was chosen among 5e-4, 7e-4 and 1e-3 on the demo's own data (gains +0.50, +0.52, +0.49 dB).
#   python -m training.fit --preset smoke --train 'demo-out/shards/*-train.tfrecord-*' --out runs/smoke
SMOKE: dict[str, Any] = {**_CPU, "gen_filters": 16, "gen_blocks": 2, "critic_layers": 2, "lr": 7e-4, "crop": 96,
                          "shuffle_buffer": 64, "epochs": 10, "samples": 2}

register_preset("smoke", SMOKE)
register_preset("cpu", _CPU)
