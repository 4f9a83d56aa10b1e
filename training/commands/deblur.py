"""``python -m training.deblur``: deblur photos of any size with a trained generator.

    python -m training.deblur --model runs/dg photo1.jpg photos/ 'more/*.png' --out restored/

Inputs are image files, folders (the images directly inside) and globs; all of them are
processed in one process with the model loaded once. Each output is ``OUT/<input name>.png``,
the same size as its input, RGB uint8. Images larger than ``--tile`` px on a side are processed
in overlapping tiles (memory stays bounded by the tile size), blended with ramps so no seams
show; see :mod:`training.inference.restorer`.

Nothing a user owns is overwritten: before anything is read, the run is refused (exit 2) when
an output would be the same file as an input (``--out`` is the folder of ``a.png``), when two
inputs would give one output name (``a.jpg`` and ``a.png``), or when an output file exists
already and ``--overwrite`` is not given (an input is never overwritten, even with it). Every
input is then processed; one that cannot be read or deblurred is reported on stderr with its
reason and the others go on; the exit status is 1 if any failed. Outputs are written under a
temporary name and renamed when complete, so an interrupted run leaves no half-written image.
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time

from blurgen.outputs import safety
from blurgen.outputs.atomic import remove_partials
from blurgen.images import ImageError, is_image_name, read_image, write_image
from training.commands.outputlock import locks_out


def expand_inputs(specs: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Image files from files, folders (images directly inside, sorted) and globs (sorted,
    ``**`` recursive). Returns ``(files, problems)``; a problem is ``(spec, reason)`` for a glob
    that matches no image or a folder that holds none. A named file is kept even when it does
    not exist or is no image: reading it reports the reason. A file named twice is kept once."""
    files: list[str] = []
    problems: list[tuple[str, str]] = []
    for spec in specs:
        if os.path.isdir(spec):
            found = sorted(os.path.join(spec, n) for n in os.listdir(spec)
                           if is_image_name(n) and os.path.isfile(os.path.join(spec, n)))
            if not found:
                problems.append((spec, "folder holds no image files (.png, .jpg, ...)"))
        elif glob.has_magic(spec):
            found = sorted(p for p in glob.glob(spec, recursive=True) if is_image_name(p) and os.path.isfile(p))
            if not found:
                problems.append((spec, "pattern matches no image files"))
        else:
            found = [spec]
        files.extend(found)
    seen: set[str] = set()
    unique = [f for f in files if not (safety.path_key(f) in seen or seen.add(safety.path_key(f)))]
    return unique, problems


def output_paths(images: list[str], out: str, overwrite: bool = False) -> list[str]:
    """``out/<input name>.png`` for each input. Raises :class:`blurgen.outputs.safety.OverwriteError`
    (a ValueError) naming both files when an output would be an input or two inputs would write
    one file, and ValueError when an output exists and ``overwrite`` is False."""
    # The folder as the file system will see it once created: "new/.." must not hide the
    # folder of the inputs (a path through a folder that does not exist yet cannot be stat'ed).
    out = os.path.normpath(os.path.abspath(out))
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out} is a file; give a folder for the restored images")
    parent = out
    while not os.path.exists(parent):  # the folder, or the nearest one above it that exists
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: {parent} is not a writable folder; choose another --out")
    paths = [os.path.join(out, os.path.splitext(os.path.basename(p))[0] + ".png") for p in images]
    labels = [(dest, f"output of {src}") for src, dest in zip(images, paths)]
    safety.check_outputs(labels, [(p, "input") for p in images],
                         fix="deblur them into another --out folder, or rename one of the inputs")
    existing = [p for p in paths if os.path.lexists(p)]
    if existing and not overwrite:
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise ValueError(f"{', '.join(existing[:3])}{more} already exist; pass --overwrite to replace them "
                         "or choose another --out")
    return paths


def _reason(path: str, exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if text.startswith(path) else f"{path}: {text}"


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``; the exec'ing ``blurgen`` process
    counts, it has the same id), or None where that cannot be read."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rpartition(")")[2].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def parse_args(argv=None) -> argparse.Namespace:
    from training.commands.parsers import parse  # the flags live there, without TensorFlow
    return parse("deblur", argv)


@locks_out("deblur")  # one run per --out: refused at once, before the inputs are listed
def run(argv=None) -> dict:
    """Deblur every input; returns ``{"written": [paths], "failed": [(input, reason)], "timings": {...}}``.
    Raises ValueError (nothing written) for refusals and bad settings."""
    args = parse_args(argv)
    remove_partials(args.out)
    files, failed = expand_inputs(args.inputs)
    destinations = output_paths(files, args.out, args.overwrite)  # before TensorFlow loads: fail fast
    for spec, reason in failed:
        print(f"error: {spec}: {reason}", file=sys.stderr)
    if not files:
        return {"written": [], "failed": failed, "timings": {}}
    t0 = time.perf_counter()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's start-up notices are not for users
    import tensorflow as tf
    from training.inference.restorer import Restorer
    timings = {"import_s": time.perf_counter() - t0}
    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    restorer = Restorer(args.model, tile=args.tile, overlap=args.overlap, precision=args.precision,
                        backend=args.backend, threads=args.threads)
    timings.update(load_s=restorer.load_seconds, trace_s=restorer.warm_up(), ready_at_s=process_age())
    ready = "" if timings["ready_at_s"] is None else f"ready {timings['ready_at_s']:.1f} s after launch: "
    print(f"{ready}TensorFlow imported in {timings['import_s']:.2f} s, model {args.model} loaded in "
          f"{timings['load_s']:.2f} s, traced in {timings['trace_s']:.2f} s")
    print(run_line(restorer, args.precision, args.backend))
    try:
        os.makedirs(os.path.dirname(destinations[0]), exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {args.out}: cannot create the folder ({exc.strerror}); choose another") from exc
    written, per_image = [], []
    for path, dest in zip(files, destinations):
        try:
            img = read_image(path)
            t = time.perf_counter()
            out = restorer(img)
            per_image.append(time.perf_counter() - t)
            write_image(dest, out)  # whole or not at all: a partial file, then a rename
        except (ImageError, ValueError, OSError, tf.errors.OpError) as exc:
            failed.append((path, _reason(path, exc)))
            print(f"error: {failed[-1][1]}", file=sys.stderr)
            continue
        written.append(dest)
        if len(written) == 1:
            timings["first_image_at_s"] = process_age()
        print(f"{path} -> {dest} ({img.shape[1]}x{img.shape[0]}, {per_image[-1]:.2f} s)")
    if per_image:
        timings["first_image_s"] = per_image[0]
        if len(per_image) > 1:
            timings["later_images_median_s"] = statistics.median(per_image[1:])
    return {"written": written, "failed": failed, "timings": timings}


def run_line(restorer, precision: str, backend: str) -> str:
    """What runs, for the user: precision and backend (and whether auto chose them), the CPU
    and the instruction sets that decided, and TensorFlow's oneDNN state where it runs."""
    from training.inference.cpu import read_cpuinfo, tensorflow_onednn
    cpu = read_cpuinfo()
    why = ""
    if precision == "auto":
        why = (" (auto: the CPU has bfloat16 instructions)" if restorer.precision == "bfloat16" else
               " (auto: " + ("the CPU has no bfloat16 instructions" if not cpu.bfloat16 else
                             "bfloat16 would be emulated here") + ")")
    engine = restorer.backend + (" (auto)" if backend == "auto" else "")
    if restorer.backend == "tensorflow":
        engine += f", oneDNN {'on' if tensorflow_onednn() else 'off'}"
    note = f"; {restorer.note}" if restorer.note else ""
    return f"precision {restorer.precision}{why}, backend {engine}; CPU {cpu.describe()}{note}"


def summary_line(result: dict) -> str:
    t = result["timings"]
    parts = [f"{len(result['written'])} written, {len(result['failed'])} failed"]
    if t.get("first_image_at_s") is not None:
        parts.append(f"first image done {t['first_image_at_s']:.1f} s after launch "
                     f"(deblurring it took {t['first_image_s']:.2f} s)")
    if "later_images_median_s" in t:
        parts.append(f"then {t['later_images_median_s']:.2f} s per image (median)")
    return "; ".join(parts)


def main(argv=None) -> int:
    try:
        result = run(argv)
    except ValueError as exc:  # refusals and bad settings: nothing was written
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_line(result))
    return 1 if result["failed"] else 0
