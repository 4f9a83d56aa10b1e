"""Speed of the trainer: input pipeline, training steps, deblurring. Prints figures; asserts nothing.

    python benchmarks/bench_training.py            # everything (about 5 minutes on 2 CPU cores)
    python benchmarks/bench_training.py --quick    # fewer repetitions
    python benchmarks/bench_training.py --shards 'demo-out/shards/*-train.tfrecord-*'

1. Input: pairs per second of ``training.data.shards.train_dataset`` (parallel interleave, parse,
   decode, aligned 256x256 crop and flip, shuffle, batch 16, prefetch) against a bare loop over
   the same records that only reads, parses and decodes both images, one at a time.
   Without ``--shards`` it writes shards of the sample photos (full size, blurred by blurgen).
2. Training: steps per second at batch 1 and 256x256 crops of the full DeblurGAN GAN (ResNet-9,
   PatchGAN, WGAN-GP with 5 critic steps, VGG19 block3_conv3 content loss; VGG with random
   weights, which cost the same as ImageNet's), of the same generator with L1 only and no critic,
   and of a bare Keras step of the same generator (``compile`` + ``train_on_batch``, L1).
3. Deblurring: seconds per image for 256x256 and 1280x720 (warm, median), whole and tiled.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from _timing import run_times  # noqa: E402
from blurgen.shards import schema  # noqa: E402
from training.networks import layers
from training.losses import content
from training.losses import adversarial


def write_sample_shards(directory: str, variants: int) -> str:
    """Full-size sample photos, blurred by blurgen, in one shard; returns its glob."""
    import blurgen
    from blurgen.images import encode_png, read_image
    from blurgen.seeding import example_rng

    path = os.path.join(directory, schema.shard_name("bench", "train", 0, 1))
    with tf.io.TFRecordWriter(path) as w:
        for photo in sorted((ROOT / "samples").glob("*.*")):
            if photo.suffix.lower() not in (".png", ".jpg"):
                continue
            sharp = read_image(photo)
            for v in range(variants):
                blurred, _ = blurgen.degrade(sharp, example_rng(0, photo.name, v))
                feats = {
                    schema.KEY: [f"{photo.name}#v{v}".encode()], schema.BLURRED: [encode_png(blurred)],
                    schema.SHARP: [encode_png(sharp)], schema.BLURRED_FORMAT: [b"png"], schema.SHARP_FORMAT: [b"png"],
                    schema.SOURCE: [photo.name.encode()], schema.PARAMS: [b"{}"],
                }
                ints = {schema.HEIGHT: [sharp.shape[0]], schema.WIDTH: [sharp.shape[1]], schema.CHANNELS: [3],
                        schema.SEED: [0], schema.VARIANT: [v], schema.KERNEL_SHAPE: []}
                feature = {k: tf.train.Feature(bytes_list=tf.train.BytesList(value=x)) for k, x in feats.items()}
                feature.update({k: tf.train.Feature(int64_list=tf.train.Int64List(value=x)) for k, x in ints.items()})
                feature[schema.KERNEL] = tf.train.Feature(float_list=tf.train.FloatList(value=[]))
                w.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return path


def bench_input(pattern: str, pairs: int) -> None:
    from training.data import shards as data

    files = data.list_shards(pattern)

    def bare():
        # Read, parse and decode both images: the work any reader must do, one pair at a time.
        for record in tf.data.TFRecordDataset(files).repeat():
            ex = data.parse_pair(record)
            data.decode(ex[schema.BLURRED]), data.decode(ex[schema.SHARP])
            yield 1

    def ours(batch=16):
        for b, _ in data.train_dataset(files, batch=batch, crop=256, shuffle_buffer=64):
            yield b.shape[0]

    for name, gen in (("bare read+decode loop", bare()), ("training.data.shards.train_dataset (batch 16, crop 256)", ours())):
        n = 0
        for k in gen:  # warm-up: the first batch fills the shuffle buffer
            n += k
            if n >= 16:
                break
        n, t0 = 0, time.perf_counter()
        for k in gen:
            n += k
            if n >= pairs:
                break
        dt = time.perf_counter() - t0
        print(f"  {name:55s} {n / dt:8.1f} pairs/s  ({n} pairs in {dt:.1f} s)")


def _time_rounds(steps: dict, warm: int, rounds: int) -> dict[str, list[float]]:
    """Time one call of each function per round, alternating, so that load from other processes
    on a shared machine falls on all of them alike."""
    for fn in steps.values():
        for _ in range(warm):
            fn()
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def _deblurgan_step_inputs():
    """One random 256x256 pair (batch 1) and the deblurgan preset with random VGG weights."""
    from training.presets import preset

    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32))
    y = tf.constant(rng.uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32))
    return x, y, preset("deblurgan").replace(vgg_weights="random")


def bench_train(warm: int, steps: int) -> None:
    import keras

    from training.gan import model as gan
    from training.networks import build_generator

    x, y, cfg = _deblurgan_step_inputs()
    full = gan.DeblurGAN(cfg)
    full.compile()
    l1 = gan.DeblurGAN(cfg.replace(adversarial_weight=0.0, content_losses=("l1",), content_weights=(1.0,)))
    l1.compile()
    bare = build_generator(cfg)
    bare.compile(optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5), loss="mae")
    times = _time_rounds({
        "DeblurGAN GAN step (5 critic steps, WGAN-GP, VGG19)": lambda: full.train_on_batch(x, y),
        "DeblurGAN generator, L1 only, no critic (our train_step)": lambda: l1.train_on_batch(x, y),
        "bare Keras step: generator.compile(Adam, 'mae') + train_on_batch": lambda: bare.train_on_batch(x, y),
    }, warm, steps)
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:70s} {1 / med:6.3f} steps/s  ({med:.2f} s per step, median of {len(t)})")


def _content_loss_as_before(weight: float):
    """DeblurGAN's VGG19 content loss as it was computed before: one VGG call on the sharp and
    the restored images together, so the backward pass ran through both halves."""
    import keras

    from training import losses

    features = content.vgg_feature_model("vgg19", "block3_conv3", "random", pre_activation=True)

    def content(sharp, restored):
        pair = tf.concat([tf.cast(sharp, tf.float32), tf.cast(restored, tf.float32)], axis=0)
        f = features(keras.applications.vgg19.preprocess_input((pair + 1.0) * 127.5), training=False)
        n = tf.shape(sharp)[0]
        value = tf.reduce_mean(tf.square(f[:n] - f[n:])) / content.DEBLURGAN_FEATURE_MSE
        return {"vgg19": value, "content": weight * value}
    return content


def bench_step_parts(warm: int, rounds: int) -> None:
    """Where one full DeblurGAN step's time goes (batch 1, 256x256, VGG19 with random weights),
    each part a traced function timed in alternation with the full step; and the full step with
    instance norm and the content loss as they were (norm by moments and broadcasts, one VGG call on both halves)
    against the full step now, alternated."""
    from training import losses, networks
    from training.gan import model as gan

    x, y, cfg = _deblurgan_step_inputs()
    fused = gan.DeblurGAN(cfg)
    fused.compile()
    before = gan.DeblurGAN(cfg)
    before.compile()
    before.content_loss = _content_loss_as_before(cfg.content_weights[0])
    real_norm = layers.instance_norm
    layers.instance_norm = layers.instance_norm_reference  # traced now, kept by the trace
    try:
        before.train_on_batch(x, y)
    finally:
        layers.instance_norm = real_norm
    gen, critic, content = fused.generator, fused.critic, fused.content_loss
    fake = tf.stop_gradient(gen(x))

    @tf.function
    def generator_l1():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(gen(x, training=True) - y))
        return tape.gradient(loss, gen.trainable_variables)

    restored = tf.Variable(fake)

    @tf.function
    def vgg_content():
        with tf.GradientTape() as tape:
            loss = content(y, restored)["content"]
        return tape.gradient(loss, restored)

    @tf.function
    def critic_wgan():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(critic(fake, training=True)) - tf.reduce_mean(critic(y, training=True))
        return tape.gradient(loss, critic.trainable_variables)

    @tf.function
    def penalty():
        with tf.GradientTape() as tape:
            gp = adversarial.gradient_penalty(critic, y, fake)
        return tape.gradient(gp, critic.trainable_variables)

    times = _time_rounds({
        "full step now (5 critic steps with penalty, VGG19)": lambda: fused.train_on_batch(x, y),
        "full step as before (norm by moments, VGG on both halves)": lambda: before.train_on_batch(x, y),
        "generator forward + backward (L1)": generator_l1,
        "VGG19 conv3_3 content loss + its gradient": vgg_content,
        "critic on real and fake + backward (one critic step, no penalty)": critic_wgan,
        "gradient penalty + its gradient (one critic step)": penalty,
    }, warm, rounds)
    full = statistics.median(times["full step now (5 critic steps with penalty, VGG19)"])
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:70s} {med:6.2f} s  ({100 * med / full:5.1f} % of the full step)")
    ratio = statistics.median(a / b for a, b in zip(times["full step now (5 critic steps with penalty, VGG19)"],
                                                    times["full step as before (norm by moments, VGG on both halves)"]))
    print(f"  full step now / as before: {ratio:.3f} (median of per-round ratios)")


def bench_deblur(repeats: int) -> None:
    from training.presets import preset
    from training.inference.restorer import Restorer
    from training.networks import build_generator

    gen = build_generator(preset("deblurgan"))
    rng = np.random.default_rng(0)
    for h, w in ((256, 256), (720, 1280)):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for label, restorer in (("whole", Restorer(gen, tile=2048)), ("tiles 512, overlap 64", Restorer(gen, tile=512, overlap=64))):
            if label != "whole" and max(h, w) <= 512:
                continue
            times = run_times(lambda: restorer(img), repeats, warmup=1)
            print(f"  {w}x{h} {label:25s} {statistics.median(times):6.2f} s per image (median of {repeats})")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shards", help="glob of shards to read (default: write sample-photo shards to a temp dir)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: input,train,parts,deblur")
    args = p.parse_args(argv)
    skip = set(args.skip.split(","))
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, devices: "
          f"{[d.device_type for d in tf.config.list_physical_devices()]}")
    if "input" not in skip:
        with tempfile.TemporaryDirectory() as tmp:
            pattern = args.shards or write_sample_shards(tmp, variants=4)
            print(f"input pipeline ({pattern}):")
            bench_input(pattern, pairs=64 if args.quick else 256)
    if "train" not in skip:
        print("training at batch 1, 256x256:")
        bench_train(warm=2, steps=3 if args.quick else 6)
    if "parts" not in skip:
        print("one full DeblurGAN step at batch 1, 256x256, and its parts:")
        bench_step_parts(warm=1, rounds=2 if args.quick else 5)
    if "deblur" not in skip:
        print("deblurring, DeblurGAN ResNet-9 generator:")
        bench_deblur(repeats=2 if args.quick else 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
