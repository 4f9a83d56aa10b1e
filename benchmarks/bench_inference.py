"""Seconds per image of the ``deblurgan`` generator as ``training.deblur`` runs it, and what each
speed lever buys. Prints figures; asserts nothing.

    python benchmarks/bench_inference.py                       # 256x256 and 1280x720, 2 threads
    python benchmarks/bench_inference.py --sizes 256x256 --rounds 9
    PYTHONPATH=/path/to/torch-venv/site-packages python benchmarks/bench_inference.py   # + PyTorch
    python benchmarks/bench_inference.py --psnr runs/dg        # bfloat16's PSNR cost, real images
    python benchmarks/bench_inference.py --gpu                 # 1280x720 on a GPU (skips without one)
    python benchmarks/bench_inference.py --startup runs/dg photo.png --rounds 3   # launch to first image

Every figure is uint8 image in, uint8 image out (``Restorer.__call__``: padding, scaling, the
generator, rounding), warm, the median of ``--rounds`` rounds. Within a round every variant runs
once, one after the other, so a busy machine's slow spells fall on all of them alike, and each
variant's ratio is the median over rounds of its time over the float32 baseline's time in the
same round. Variants: the generator as it was (float32, instance norm by moments and
broadcasts), float32 with the fused instance norm, bfloat16 (the default on CPUs with bfloat16
instructions), XLA, a batch dimension left open in the traced signature, and DeblurGAN's
generator in PyTorch (written here from the paper, given the same weights, so it computes the
same function: the script prints the largest difference) when ``torch`` can be imported.
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

    from training.networks import InstanceNorm, instance_norm_reference

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


def keras_variants(gen) -> dict:
    """name -> ``Restorer`` for each lever (whole image, no tiles)."""
    import tensorflow as tf

    from training.inference import Restorer

    def retraced(restorer, spec, jit=False):
        restorer._forward = tf.function(restorer._generate, input_signature=[tf.TensorSpec(spec, tf.float32)],
                                        jit_compile=jit, autograph=False)
        return restorer

    ref = reference_norm_model(gen)
    tile = 4096
    out = {
        "float32, instance norm as before (baseline)": Restorer(ref, tile=tile, precision="float32"),
        "float32, fused instance norm": Restorer(gen, tile=tile, precision="float32"),
        "float32, fused norm, batch left open in the signature": retraced(
            Restorer(gen, tile=tile, precision="float32"), [None, None, None, 3]),
        "float32, fused norm, XLA jit_compile": retraced(
            Restorer(gen, tile=tile, precision="float32"), [1, None, None, 3], jit=True),
    }
    from training.inference import cpu_supports_bfloat16
    if cpu_supports_bfloat16():
        out["bfloat16, instance norm as before"] = Restorer(ref, tile=tile, precision="bfloat16")
        out["bfloat16, fused instance norm (deblur's default here)"] = Restorer(gen, tile=tile, precision="bfloat16")
    return out


def torch_generator(torch, filters: int = 64, blocks: int = 9, dropout: float = 0.5):
    """DeblurGAN's generator as the paper describes it, in PyTorch: reflect-pad 3, conv 7x7, two
    stride-2 convs 3x3, ``blocks`` residual blocks (reflect-pad, conv 3x3, instance norm, ReLU,
    dropout, reflect-pad, conv 3x3, instance norm, plus the input), two transposed convs 3x3 of
    stride 2, reflect-pad 3, conv 7x7, tanh; the output is the input plus that, clamped to
    [-1, 1]. Instance norm without affine parameters, every conv with a bias. NCHW, [-1, 1]."""
    nn = torch.nn

    def norm_relu(ch):
        return [nn.InstanceNorm2d(ch), nn.ReLU(inplace=True)]

    class Block(nn.Module):
        def __init__(self, ch):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), *norm_relu(ch), nn.Dropout(dropout),
                                      nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), nn.InstanceNorm2d(ch))

        def forward(self, x):
            return x + self.body(x)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            f = filters
            self.body = nn.Sequential(
                nn.ReflectionPad2d(3), nn.Conv2d(3, f, 7), *norm_relu(f),
                nn.Conv2d(f, 2 * f, 3, stride=2, padding=1), *norm_relu(2 * f),
                nn.Conv2d(2 * f, 4 * f, 3, stride=2, padding=1), *norm_relu(4 * f),
                *[Block(4 * f) for _ in range(blocks)],
                nn.ConvTranspose2d(4 * f, 2 * f, 3, stride=2, padding=1, output_padding=1), *norm_relu(2 * f),
                nn.ConvTranspose2d(2 * f, f, 3, stride=2, padding=1, output_padding=1), *norm_relu(f),
                nn.ReflectionPad2d(3), nn.Conv2d(f, 3, 7), nn.Tanh())

        def forward(self, x):
            return torch.clamp(x + self.body(x), -1.0, 1.0)

    return Generator().eval()


def copy_keras_weights(torch, net, keras_gen) -> None:
    """The Keras generator's convolution weights into ``net`` (same layer order): Keras kernels
    are [kh, kw, in, out] (transposed: [kh, kw, out, in]), PyTorch's [out, in, kh, kw]
    (transposed: [in, out, kh, kw]); both are permuted (3, 2, 0, 1)."""
    convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    kconvs = [layer for layer in keras_gen.layers if type(layer).__name__ in ("Conv2D", "Conv2DTranspose")]
    assert len(convs) == len(kconvs), (len(convs), len(kconvs))
    with torch.no_grad():
        for mod, layer in zip(convs, kconvs):
            kernel, bias = layer.get_weights()
            mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
            mod.bias.copy_(torch.from_numpy(bias))


def torch_runner(torch, net, bf16: bool = False):
    """``fn(uint8 HxWx3) -> uint8 HxWx3`` doing what ``Restorer`` does, with PyTorch."""
    from training.inference import _pad4, _to_uint8

    def run(img):
        h, w = img.shape[:2]
        x = torch.from_numpy(np.ascontiguousarray(_pad4(img).transpose(2, 0, 1)[None])).float() / 127.5 - 1.0
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = net(x)
        return _to_uint8(y.float()[0, :, :h, :w].permute(1, 2, 0).numpy())
    return run


def test_image(h: int, w: int) -> np.ndarray:
    """A sample photo scaled to h x w (the content does not change the work, but makes the
    differences between variants meaningful)."""
    import cv2

    from blurgen.images import read_image
    return cv2.resize(read_image(ROOT / "samples" / "rocket.jpg"), (w, h), interpolation=cv2.INTER_AREA)


def bench_sizes(sizes: list[tuple[int, int]], rounds: int, with_torch: bool, torch_bf16: bool) -> None:
    import keras

    from training.config import preset
    from training.networks import build_generator, parameter_counts

    keras.utils.set_random_seed(0)
    gen = build_generator(preset("deblurgan"))
    print(f"deblurgan generator: {parameter_counts(gen)['total']:,} parameters (random weights: the work is the same)")
    runners = {name: r for name, r in keras_variants(gen).items()}
    torch = _torch() if with_torch else None
    if torch is not None:
        net = torch_generator(torch)
        copy_keras_weights(torch, net, gen)
        print(f"PyTorch {torch.__version__}: {sum(p.numel() for p in net.parameters()):,} parameters, "
              f"{torch.get_num_threads()} threads")
        runners["PyTorch float32"] = torch_runner(torch, net)
        if torch_bf16:
            runners["PyTorch bfloat16 autocast"] = torch_runner(torch, net, bf16=True)
    elif with_torch:
        print("PyTorch: not importable here (torch is not a project dependency); Keras figures only")
    baseline = next(iter(runners))
    for h, w in sizes:
        img = test_image(h, w)
        outputs = {name: fn(img) for name, fn in runners.items()}
        diffs = {name: int(np.abs(out.astype(int) - outputs[baseline].astype(int)).max()) for name, out in outputs.items()}
        load0 = os.getloadavg()[0]
        cpu: dict[str, list[float]] = {}
        times = alternating_times({name: (lambda fn=fn: fn(img)) for name, fn in runners.items()}, rounds, cpu=cpu)
        ratios, cpu_ratios = ratios_to(times, baseline), ratios_to(cpu, baseline)
        torch_name = "PyTorch float32"
        vs_torch = ratios_to(times, torch_name) if torch_name in times else None
        cpu_vs_torch = ratios_to(cpu, torch_name) if torch_name in times else None
        print(f"\n{w}x{h}, median of {rounds} rounds (load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after); "
              "ratios are medians of per-round ratios, wall time (CPU time)")
        head = f"  {'variant':58s} {'s/image':>8s} {'cpu s':>7s} {'vs baseline':>15s}"
        print(head + (f" {'vs PyTorch':>15s}" if vs_torch else "") + "  max |diff| (uint8)")
        for name in runners:
            row = (f"  {name:58s} {statistics.median(times[name]):8.3f} {statistics.median(cpu[name]):7.2f} "
                   f"{ratios[name]:7.3f} ({cpu_ratios[name]:.3f})")
            if vs_torch:
                row += f" {vs_torch[name]:7.3f} ({cpu_vs_torch[name]:.3f})"
            print(row + f"  {diffs[name]}")


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


def psnr_check(model: str) -> None:
    """Mean PSNR against the sharp images of the float32 and the bfloat16 generator on real
    blurred images, and their difference (the README's criterion: within 0.05 dB)."""
    from training.inference import Restorer
    from training.metrics import psnr

    pairs = real_pairs()
    if not pairs:
        print(f"psnr: no real-blur data under {REAL_BLUR}; skipped")
        return
    f32, bf16 = Restorer(model, precision="float32"), Restorer(model, precision="bfloat16")
    rows = []
    for name, blurred, sharp in pairs:
        a, b = f32(blurred), bf16(blurred)
        rows.append((name, psnr(sharp, blurred), psnr(sharp, a), psnr(sharp, b), psnr(a, b)))
    print(f"\nPSNR against the sharp image, {model}: float32 vs bfloat16 ({len(rows)} real images)")
    for group in ("levin", "koehler", ""):
        sel = [r for r in rows if r[0].startswith(group)]
        if not sel:
            continue
        blurry, p32, p16 = (statistics.mean(r[i] for r in sel) for i in (1, 2, 3))
        diffs = [r[3] - r[2] for r in sel]
        print(f"  {group or 'all':8s} n={len(sel):2d}  blurry {blurry:6.2f}  float32 {p32:6.3f}  bfloat16 {p16:6.3f}  "
              f"mean diff {statistics.mean(diffs):+.4f} dB (per image {min(diffs):+.4f} to {max(diffs):+.4f}); "
              f"bfloat16 output vs float32 output {statistics.mean(r[4] for r in sel):.1f} dB")


def gpu_seconds_per_image(rounds: int = 10, size: tuple[int, int] = (720, 1280)) -> dict | None:
    """Seconds per ``size`` image of the deblurgan generator on the first GPU in float32 and in
    mixed float16 (and bfloat16), generator only (input already on the GPU) and end to end as
    ``Restorer`` runs it (uint8 from the host and back); medians of ``rounds`` after a warm-up.
    Returns ``{variant: seconds}``, or None (printing why) where TensorFlow sees no GPU."""
    import keras
    import tensorflow as tf

    from training.config import preset
    from training.inference import Restorer
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
            x = tf.constant(img.astype(np.float32)[None] / 127.5 - 1.0)
            model_only = alternating_times({"m": lambda: restorer._forward(x).numpy()}, rounds)["m"]
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
from training.inference import Restorer
from blurgen.images import read_image, write_image
mark("import training.inference (layer registrations)")
restorer = Restorer(sys.argv[1], precision=sys.argv[3])
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


def startup(model: str, image: str, precision: str, repeats: int) -> None:
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
            done = subprocess.run([sys.executable, "-c", _PHASES, model, image, precision, tmp],
                                  capture_output=True, text=True, env=env, cwd=ROOT, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"\nstart-up, {precision}, {image} (medians of {repeats} fresh processes): wall s, CPU s")
        for i, (name, _, _) in enumerate(runs[0]):
            wall = statistics.median(r[i][1] for r in runs)
            cpu = statistics.median(r[i][2] for r in runs)
            print(f"  {name:50s} {wall:7.2f} {cpu:7.2f}")
        blurgen = [os.path.join(os.path.dirname(sys.executable), "blurgen"), "deblur"]
        for k in range(repeats):
            out = os.path.join(tmp, f"cli{k}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([*blurgen, "--model", model, image, "--out", out, "--precision", precision],
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
    p.add_argument("--threads", type=int, default=2, help="threads for TensorFlow and PyTorch (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per size (default: %(default)s)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it can be imported")
    p.add_argument("--torch-bf16", action="store_true", help="also time PyTorch under bfloat16 autocast")
    p.add_argument("--psnr", metavar="MODEL", help="run directory or .keras file: bfloat16's PSNR cost on real images")
    p.add_argument("--gpu", action="store_true", help="only the GPU figures (1280x720, float32 and mixed precision)")
    p.add_argument("--startup", nargs=2, metavar=("MODEL", "IMAGE"),
                   help="only the start-up figures of deblurring IMAGE with MODEL, in fresh processes")
    p.add_argument("--precision", default="bfloat16", help="precision for --startup (default: %(default)s)")
    args = p.parse_args(argv)
    import tensorflow as tf

    from training.inference import cpu_supports_bfloat16
    if args.gpu:
        gpu_seconds_per_image()
        return 0
    if args.startup:
        startup(*args.startup, args.precision, repeats=args.rounds)
        return 0
    set_threads(args.threads)
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, {args.threads} threads, "
          f"bfloat16 instructions: {cpu_supports_bfloat16()}; timings on a shared machine are noisy")
    if args.psnr:
        psnr_check(args.psnr)
    sizes = [_size(s) for s in args.sizes.split(",") if s]
    if sizes:
        bench_sizes(sizes, args.rounds, not args.no_torch, args.torch_bf16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
