"""Seconds per image of the ``deblurgan`` and ``cpu``-preset (``unet``) generators as
``blurgen deblur`` runs them, for each backend and precision this machine offers, against
PyTorch running the same network with the same weights. Prints figures; asserts nothing.

    python benchmarks/bench_inference.py                       # 256x256 and 1280x720, 2 threads
    PYTHONPATH=/path/to/torch-venv/site-packages python benchmarks/bench_inference.py   # + PyTorch
    python benchmarks/bench_inference.py --generators cpu --sizes 256x256 --rounds 9
    python benchmarks/bench_inference.py --levers              # + TensorFlow's own speed levers
    python benchmarks/bench_inference.py --psnr runs/dg        # each variant's PSNR against float32, real images
    python benchmarks/bench_inference.py --gpu                 # 1280x720 on a GPU (skips without one)
    python benchmarks/bench_inference.py --startup runs/dg photo.png --rounds 3   # launch to first image

The first lines name the CPU (model and the instruction-set flags that decide which kernels
run), TensorFlow's oneDNN state, the backends installed and the one ``deblur --backend auto
--precision auto`` picks here. Every figure is uint8 image in, uint8 image out
(``Restorer.__call__``: padding, scaling, the generator, rounding), warm, the median of
``--rounds`` rounds. Within a round every variant runs once, one after the other, so a busy
machine's slow spells fall on all of them alike, and each ratio is the median over rounds of a
variant's time over the baseline's time in the same round (PyTorch float32 where ``torch``
imports, else TensorFlow float32). The PyTorch networks (``torch_reference.py``) are given the
Keras weights and compute the same function: the script prints each variant's largest
difference from the baseline's output in uint8 levels.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402


def set_threads(threads: int) -> None:
    """``threads`` for TensorFlow's operations (and PyTorch's, when present); one inter-op thread,
    so that the figure is per ``threads`` cores. Must run before TensorFlow executes anything."""
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(threads)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def alternating_times(fns: dict, rounds: int, warmup: int = 1,
                      cpu: dict | None = None) -> dict[str, list[float]]:
    """Wall seconds of each function per round; in each round every function runs once, in order.
    ``cpu``, when given, receives the process's CPU seconds (all threads) per call the same way:
    on a machine shared with other work it shows the work done, where wall time shows the wait."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t0)
            if cpu is not None:
                cpu.setdefault(name, []).append(time.process_time() - c0)
    return times


def ratios_to(times: dict[str, list[float]], baseline: str) -> dict[str, float]:
    """Median over rounds of each variant's time over the baseline's time in the same round."""
    base = times[baseline]
    return {name: statistics.median(t / b for t, b in zip(ts, base)) for name, ts in times.items()}


def reference_norm_model(model):
    """``model`` with every :class:`InstanceNorm` computed as the textbook composite (moments,
    then subtract and scale): the generator as it was before the fused kernel."""
    import keras

    from training.networks.layers import InstanceNorm, instance_norm_reference

    @keras.saving.register_keras_serializable(package="blurgen_bench")
    class ReferenceInstanceNorm(InstanceNorm):
        def call(self, x):
            return instance_norm_reference(x, self.epsilon)

    cfg = keras.saving.serialize_keras_object(model)
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] == "InstanceNorm":
            layer.update(class_name="ReferenceInstanceNorm", module=__name__,
                         registered_name="blurgen_bench>ReferenceInstanceNorm")
    rebuilt = keras.saving.deserialize_keras_object(cfg)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def lever_variants(gen) -> dict:
    """TensorFlow's own levers (``--levers``): the instance norm as the textbook composite, a
    batch dimension left open in the traced signature, and XLA."""
    import tensorflow as tf

    from training.inference.restorer import Restorer

    def retraced(restorer, spec, jit=False):
        fn = tf.function(lambda x: restorer.generator(x, training=False), autograph=False, jit_compile=jit,
                         input_signature=[tf.TensorSpec(spec, tf.float32)])
        restorer.engine = lambda x: fn(tf.constant(x)).numpy()
        return restorer

    tile = 4096
    return {
        "tensorflow float32, instance norm as moments": Restorer(reference_norm_model(gen), tile=tile),
        "tensorflow float32, batch open in the signature": retraced(Restorer(gen, tile=tile), [None, None, None, 3]),
        "tensorflow float32, XLA jit_compile": retraced(Restorer(gen, tile=tile), [1, None, None, 3], jit=True),
    }


def backend_variants(gen, threads: int, precisions: tuple[str, ...] = ("float32", "bfloat16")) -> dict:
    """name -> ``Restorer`` for every backend installed and every precision of ``precisions`` it
    runs in hardware on this CPU (bfloat16 only with bfloat16 instructions; TensorFlow's only
    with oneDNN on)."""
    from training.inference.backends import BACKENDS, PRECISIONS, missing_package
    from training.inference.cpu import tensorflow_bfloat16
    from training.inference.restorer import Restorer, cpu_supports_bfloat16

    out = {}
    for backend in BACKENDS[1:]:
        if missing_package(backend):
            continue
        for precision in PRECISIONS[backend]:
            if precision not in precisions or (precision == "bfloat16" and not cpu_supports_bfloat16()):
                continue
            if precision == "bfloat16" and backend == "tensorflow" and tensorflow_bfloat16() != "hardware":
                continue
            out[f"{backend} {precision}"] = Restorer(gen, tile=4096, precision=precision, backend=backend,
                                                     threads=threads)
    return out


def machine_lines(threads: int) -> list[str]:
    """What decides the figures: the CPU, TensorFlow's oneDNN state, threads, backends and their
    versions, and what ``deblur``'s auto settings pick here."""
    import importlib.metadata

    import tensorflow as tf

    from training.inference.backends import BACKENDS, missing_package
    from training.inference.cpu import read_cpuinfo
    from training.inference.cpu import tensorflow_onednn
    from training.inference.restorer import resolve

    dist = {"tensorflow": "tensorflow-cpu", "openvino": "openvino", "onnxruntime": "onnxruntime"}

    def version(backend):
        for name in (dist[backend], "tensorflow"):
            try:
                return importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                continue
        return tf.__version__

    installed = [f"{b} {version(b)}" for b in BACKENDS[1:] if not missing_package(b)]
    precision, backend = resolve("auto", "auto")
    return [f"CPU: {read_cpuinfo().describe()}, {os.cpu_count()} cores; {threads} threads",
            f"TensorFlow {tf.__version__}, oneDNN {'on' if tensorflow_onednn() else 'off'}; "
            f"backends installed: {', '.join(installed)}",
            f"blurgen deblur --precision auto --backend auto runs here: {backend} {precision}"]


def test_image(h: int, w: int) -> np.ndarray:
    """A sample photo scaled to h x w (the content does not change the work, but makes the
    differences between variants meaningful)."""
    import cv2

    from blurgen.images import read_image
    return cv2.resize(read_image(ROOT / "samples" / "rocket.jpg"), (w, h), interpolation=cv2.INTER_AREA)


def torch_variants(torch, name: str, gen, bf16: bool) -> dict:
    """PyTorch runners of the generator ``name`` with ``gen``'s weights (float32, and bfloat16
    autocast with ``bf16``)."""
    from torch_reference import copy_keras_weights, torch_generator, torch_runner, torch_unet

    if name == "deblurgan":
        net = torch_generator(torch)
        copy_keras_weights(torch, net, gen)
    else:
        net = torch_unet(torch, gen)
    out = {"PyTorch float32": torch_runner(torch, net)}
    if bf16:
        out["PyTorch bfloat16 autocast"] = torch_runner(torch, net, bf16=True)
    return out


def bench_sizes(name: str, sizes: list[tuple[int, int]], rounds: int, threads: int, with_torch: bool,
                torch_bf16: bool, levers: bool, precisions: tuple[str, ...]) -> None:
    """The table for the generator of preset ``name`` (random weights: the work is the same)."""
    import keras

    from training.presets import preset
    from training.networks import build_generator, parameter_counts

    keras.utils.set_random_seed(0)
    gen = build_generator(preset(name))
    print(f"\n{name} generator ({gen.name}): {parameter_counts(gen)['total']:,} parameters")
    runners = {}
    torch = _torch() if with_torch else None
    if torch is not None:
        runners.update(torch_variants(torch, name, gen, torch_bf16))
    elif with_torch:
        print("PyTorch: not importable here (torch is not a project dependency); no PyTorch figures")
    runners.update(backend_variants(gen, threads, precisions))
    if levers:
        runners.update(lever_variants(gen))
    baseline = next(iter(runners))
    for h, w in sizes:
        img = test_image(h, w)
        outputs = {k: fn(img) for k, fn in runners.items()}
        diffs = {k: int(np.abs(out.astype(int) - outputs[baseline].astype(int)).max()) for k, out in outputs.items()}
        load0 = os.getloadavg()[0]
        cpu: dict[str, list[float]] = {}
        times = alternating_times({k: (lambda fn=fn: fn(img)) for k, fn in runners.items()}, rounds, cpu=cpu)
        ratios, cpu_ratios = ratios_to(times, baseline), ratios_to(cpu, baseline)
        print(f"\n{name}, {w}x{h}, median of {rounds} rounds (load average {load0:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after); ratios to {baseline}: medians of per-round ratios, "
              "wall time (CPU time)")
        print(f"  {'variant':50s} {'s/image':>8s} {'cpu s':>7s} {'ratio':>15s}  max |diff| (uint8)")
        for k in runners:
            print(f"  {k:50s} {statistics.median(times[k]):8.3f} {statistics.median(cpu[k]):7.2f} "
                  f"{ratios[k]:7.3f} ({cpu_ratios[k]:.3f})  {diffs[k]}")
        sys.stdout.flush()


REAL_BLUR = ROOT.parent / "shared" / "data" / "real-blur"


def real_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, blurred, sharp) RGB uint8: Levin's 32 blurred images (grey, as RGB) and Koehler's 16
    real camera-shake photos with their scene's sharp frame."""
    from blurgen.images import read_image
    pairs = []
    levin, koehler = REAL_BLUR / "levin", REAL_BLUR / "koehler"
    for path in sorted((levin / "blurred").glob("im_*_ker_*.png")):
        sharp = levin / (path.name.split("_ker_")[0] + ".png")
        pairs.append((f"levin/{path.name}", read_image(path), read_image(sharp)))
    for path in sorted(koehler.glob("Blurry*_*.jpg")):
        scene = path.stem[len("Blurry"):].split("_")[0]
        pairs.append((f"koehler/{path.name}", read_image(path), read_image(koehler / f"GroundTruth{scene}.jpg")))
    return pairs


def psnr_check(model: str, threads: int) -> None:
    """Mean PSNR against the sharp images, on real blurred images, of every backend and precision
    available here, beside TensorFlow float32's (the reference), and their differences."""
    from training.inference.restorer import Restorer
    from training.metrics.protocol import psnr

    pairs = real_pairs()
    if not pairs:
        print(f"psnr: no real-blur data under {REAL_BLUR}; skipped")
        return
    reference = Restorer(model, precision="float32")
    variants = backend_variants(model, threads)
    refs = [reference(blurred) for _, blurred, _ in pairs]
    print(f"\nPSNR against the sharp image, {model}, {len(pairs)} real images; differences to tensorflow float32")
    for label, restorer in variants.items():
        rows = []
        for (name, blurred, sharp), ref in zip(pairs, refs):
            out = restorer(blurred)
            rows.append((name, psnr(sharp, blurred), psnr(sharp, ref), psnr(sharp, out), psnr(ref, out)))
        for group in ("levin", "koehler"):
            sel = [r for r in rows if r[0].startswith(group)]
            if not sel:
                continue
            blurry, p32, pv = (statistics.mean(r[i] for r in sel) for i in (1, 2, 3))
            diffs = [r[3] - r[2] for r in sel]
            agree = statistics.mean(min(r[4], 99.0) for r in sel)
            print(f"  {label:22s} {group:8s} n={len(sel):2d}  blurry {blurry:6.2f}  float32 {p32:7.3f}  "
                  f"{pv:7.3f}  mean diff {statistics.mean(diffs):+.4f} dB (per image {min(diffs):+.4f} to "
                  f"{max(diffs):+.4f}); output vs float32 output {agree:.1f} dB (identical counted as 99)")


def gpu_seconds_per_image(rounds: int = 10, size: tuple[int, int] = (720, 1280)) -> dict | None:
    """Seconds per ``size`` image of the deblurgan generator on the first GPU in float32 and in
    mixed float16 (and bfloat16), generator only (input already on the GPU) and end to end as
    ``Restorer`` runs it (uint8 from the host and back); medians of ``rounds`` after a warm-up.
    Returns ``{variant: seconds}``, or None (printing why) where TensorFlow sees no GPU."""
    import keras
    import tensorflow as tf

    from training.presets import preset
    from training.inference.restorer import Restorer
    from training.networks import build_generator

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        print("gpu: TensorFlow sees no GPU here; skipped")
        return None
    keras.utils.set_random_seed(0)
    gen = build_generator(preset("deblurgan"))
    img = test_image(*size)
    results = {}
    with tf.device("/GPU:0"):
        for precision in ("float32", "float16", "bfloat16"):
            restorer = Restorer(gen, tile=4096, precision=precision)
            x = img.astype(np.float32)[None] / 127.5 - 1.0
            model_only = alternating_times({"m": lambda: restorer.engine(x)}, rounds)["m"]
            end_to_end = alternating_times({"e": lambda: restorer(img)}, rounds)["e"]
            results[f"{precision} generator"] = statistics.median(model_only)
            results[f"{precision} end to end"] = statistics.median(end_to_end)
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    print(f"\n{size[1]}x{size[0]} on {name}, median of {rounds}:")
    for key, sec in results.items():
        print(f"  {key:28s} {sec:.4f} s/image")
    return results


_PHASES = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
marks = [("python start", time.perf_counter(), time.process_time())]
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
import tensorflow as tf
mark("import tensorflow (and Keras)")
from training.inference.restorer import Restorer
from blurgen.images import read_image, write_image
mark("import training.inference.restorer (layer registrations)")
restorer = Restorer(sys.argv[1], precision=sys.argv[3], backend=sys.argv[5])
mark("load the generator")
restorer.warm_up()
mark("trace and optimise (warm-up on 16x16)")
img = read_image(sys.argv[2])
out = restorer(img)
write_image(os.path.join(sys.argv[4], "out.png"), out)
mark("first image: read, deblur, write")
restorer(img)
mark("second image: deblur")
print(json.dumps([(n, t - marks[i][1], c - marks[i][2]) for i, (n, t, c) in enumerate(marks[1:])]))
"""


def startup(model: str, image: str, precision: str, backend: str, repeats: int) -> None:
    """Where the time goes between launch and the first image, in fresh processes: each phase's
    wall and CPU seconds (medians of ``repeats`` processes), then ``blurgen deblur`` itself
    timed from outside (its own report: seconds from launch to the first image written)."""
    import resource
    import subprocess
    import tempfile

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            done = subprocess.run([sys.executable, "-c", _PHASES, model, image, precision, tmp, backend],
                                  capture_output=True, text=True, env=env, cwd=ROOT, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"\nstart-up, {precision}, {backend}, {image} (medians of {repeats} fresh processes): wall s, CPU s")
        for i, (name, _, _) in enumerate(runs[0]):
            wall = statistics.median(r[i][1] for r in runs)
            cpu = statistics.median(r[i][2] for r in runs)
            print(f"  {name:50s} {wall:7.2f} {cpu:7.2f}")
        blurgen = [os.path.join(os.path.dirname(sys.executable), "blurgen"), "deblur"]
        for k in range(repeats):
            out = os.path.join(tmp, f"cli{k}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([*blurgen, "--model", model, image, "--out", out, "--precision", precision,
                                   "--backend", backend],
                                  capture_output=True, text=True, env=env, cwd=ROOT)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
            print(f"  blurgen deblur, whole run: {wall:.2f} s wall, {cpu:.2f} s CPU; it says: {last}")


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.partition("x")
    return int(h), int(w)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="256x256,1280x720", help="comma-separated WIDTHxHEIGHT (default: %(default)s)")
    p.add_argument("--generators", default="deblurgan,cpu",
                   help="presets whose generators are timed, comma-separated (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="threads for every backend and PyTorch (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per size (default: %(default)s)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it can be imported")
    p.add_argument("--torch-bf16", action="store_true", help="also time PyTorch under bfloat16 autocast")
    p.add_argument("--precisions", default="float32,bfloat16",
                   help="precisions timed, where the CPU runs them (default: %(default)s)")
    p.add_argument("--levers", action="store_true", help="also time TensorFlow's levers (moments norm, open batch, XLA)")
    p.add_argument("--psnr", metavar="MODEL", help="run directory or .keras file: each variant's PSNR on real images")
    p.add_argument("--gpu", action="store_true", help="only the GPU figures (1280x720, float32 and mixed precision)")
    p.add_argument("--startup", nargs=2, metavar=("MODEL", "IMAGE"),
                   help="only the start-up figures of deblurring IMAGE with MODEL, in fresh processes")
    p.add_argument("--precision", default="auto", help="precision for --startup (default: %(default)s)")
    p.add_argument("--backend", default="auto", help="backend for --startup (default: %(default)s)")
    args = p.parse_args(argv)
    if args.gpu:
        gpu_seconds_per_image()
        return 0
    if args.startup:
        startup(*args.startup, args.precision, args.backend, repeats=args.rounds)
        return 0
    set_threads(args.threads)
    print("\n".join(machine_lines(args.threads)) + "\ntimings on a shared machine are noisy")
    if args.psnr:
        psnr_check(args.psnr, args.threads)
    sizes = [_size(s) for s in args.sizes.split(",") if s]
    for name in (g for g in args.generators.split(",") if g and sizes):
        bench_sizes(name, sizes, args.rounds, args.threads, not args.no_torch, args.torch_bf16, args.levers,
                    tuple(args.precisions.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
