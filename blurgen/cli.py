"""The ``blurgen`` command line.

Every command is a row of :mod:`blurgen.commands`. ``kernels``, ``degrade`` and ``preview`` run the
synthesizer directly. The pipelines' commands (``synth``, ``pairs``, ``video``, ``inspect``, ``export``,
``engines``) are imported only when called; the trainer's (``fit``, ``score``, ``deblur``, ``compare``,
``describe``, ``lpips``) replace this process with ``python -m training.commands NAME``, because
TensorFlow and the ``tfrecord`` package cannot share a process.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

import click
import numpy as np

from blurgen import lock, options, safety
from blurgen.commands import COMMANDS, TRAINING, Command
from blurgen.config import DegradeConfig

_PICTURE_EXTENSIONS = (".png", ".jpg", ".jpeg")
_GALLERY_MOST = 256
def degradation_options(f):
    """The degradation flags of :mod:`blurgen.options`, plus ``--config FILE``."""
    f = options.click_options(f)
    return click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                        help="JSON file of a DegradeConfig (as manifest.json records it); flags override it.")(f)


def _pop_config(kwargs: dict) -> DegradeConfig:
    """The DegradeConfig of a command's ``--config`` file and flags; bad values are usage errors."""
    path, values = kwargs.pop("config_file"), options.pop_values(kwargs)
    base = None
    try:
        if path:
            with open(path, encoding="utf-8") as f:
                base = DegradeConfig.from_dict(json.load(f))
    except OSError as exc:
        raise click.BadParameter(f"{path}: cannot be read ({exc.strerror})", param_hint="--config")
    except (ValueError, TypeError) as exc:  # not JSON, or a setting outside its range
        raise click.UsageError(f"--config {path}: {exc}; fix that setting in the file") from None
    try:
        return options.apply_flags(values, base)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None


def _check_output(path: str | None, hint: str, extensions: tuple[str, ...]) -> None:
    """Refuse an output path before any work is done: its folder must exist, its extension fit."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.BadParameter(f"{path}: folder {folder} does not exist; create it first", param_hint=hint)
    if not path.lower().endswith(extensions):
        raise click.BadParameter(f"{path}: use a file name ending in {' or '.join(extensions)}", param_hint=hint)


def _refuse_overwrite(outputs: list, inputs: list, fix: str = "choose another output path") -> None:
    """:func:`blurgen.safety.check_outputs` as a usage error (exit 2); the message names both files."""
    try:
        safety.check_outputs(outputs, inputs, fix)
    except safety.OverwriteError as exc:
        raise click.UsageError(str(exc)) from None


class _LockRefused(click.ClickException):
    """A usage error of one line (``Error: ...``, exit status 2): the output is in use or unwritable."""

    exit_code = 2


@contextlib.contextmanager
def _output_lock(out: str, command: str, break_lock: bool, what: str):
    """Hold :func:`blurgen.lock.output_lock` on ``out``; its refusals are one-line usage errors."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(lock.output_lock(out, command=command, break_lock=break_lock, what=what))
        except ValueError as exc:  # in use, a file, or not writable
            raise _LockRefused(str(exc)) from None
        yield


class _Group(click.Group):
    """Lists every row of the command table, and adds the pipeline and trainer commands only when
    one is called: ``blurgen --help`` imports neither Beam nor TensorFlow. This is the one place
    where the synthesizer reaches the packages above it, lazily, by the table."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name].help if name in COMMANDS else self.commands[name].get_short_help_str(60))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in COMMANDS:
            return cmd
        return forwarding_command(COMMANDS[name])


_PASS_THROUGH = dict(ignore_unknown_options=True, allow_extra_args=True, help_option_names=[])


def forwarding_command(row: Command) -> click.Command:
    """A click command that hands its arguments untouched to the row's module, whose own parser
    answers ``--help`` and usage errors: a pipelines command runs its ``main(argv)`` in this
    process; a trainer command replaces this process with ``python -m training.commands NAME``
    (TensorFlow), which checks the arguments before it loads TensorFlow."""
    @click.command(name=row.name, context_settings=_PASS_THROUGH, add_help_option=False, help=row.help)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def forward(args: tuple[str, ...]) -> None:
        if row.side == TRAINING:
            run_module("training.commands", [row.name, *args])
        import importlib
        try:
            module = importlib.import_module(row.module)
        except ImportError as exc:
            raise click.ClickException(f"'blurgen {row.name}' needs the {row.side} package: {exc}") from exc
        raise SystemExit(module.main(list(args)))
    return forward


def run_module(module: str, args: list[str]) -> None:
    """Become ``python -m module args``: on POSIX this process is replaced (``os.execv``), so the
    trainer has this process's id and signals, and killing it (even with SIGKILL) leaves nothing
    running. Where exec cannot replace a process (Windows), the module runs as a child and its
    exit status is passed on."""
    argv = [sys.executable, "-m", module, *args]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, argv)
    sys.exit(subprocess.call(argv))  # pragma: no cover - Windows


@click.group(cls=_Group)
@click.version_option(package_name="blurgen")
def main():
    """blurgen: realistic, reproducible motion-blur training data, and a trainer to use it."""


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no sysconf (Windows)
        return None


def _check_memory(count: int, cfg: DegradeConfig) -> None:
    """Refuse a ``--count`` whose kernels would not fit in the memory available, saying how much it takes."""
    from blurgen.kernels import memory_needed

    need, have = memory_needed(count, cfg), available_memory()
    if have is not None and need > have:
        most = memory_needed(1, cfg)
        size = cfg.kernel.trajectory.size
        raise click.BadParameter(
            f"{count:,} kernels of {size}x{size} px need about {need / 2**30:,.1f} GiB of memory to draw, "
            f"and {have / 2**30:,.1f} GiB is available; draw at most {have // most:,} per file "
            "(run again with other --seed values for more)", param_hint="--count")


@main.command()
@click.option("--count", "-n", type=click.IntRange(1), default=16, show_default=True, help="How many kernels.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output .npz file.")
@click.option("--preview", type=click.Path(dir_okay=False), default=None,
              help=f"Also write a PNG gallery of the first {_GALLERY_MOST} kernels.")
@degradation_options
def kernels(count, seed, out, preview, **kwargs):
    """Draw random blur kernels and save them as array 'kernels' (N, k, k) float32 in an .npz,
    with their parameters ('family', one array per parameter, NaN where it does not apply)."""
    from blurgen.kernels import draw_kernels

    config_file = kwargs["config_file"]
    cfg = _pop_config(kwargs)
    _refuse_rotation(cfg)
    _check_output(out, "--out", (".npz",))
    _check_output(preview, "--preview", _PICTURE_EXTENSIONS)
    _refuse_overwrite([(out, "--out"), (preview, "--preview")], [(config_file, "--config")])
    _check_memory(count, cfg)
    ks, params = draw_kernels(count, np.random.default_rng(seed), cfg.kernel)
    names = sorted({k for p in params for k in p if k != "family"})
    arrays = {n: np.array([float(p.get(n, np.nan)) for p in params]) for n in names}
    np.savez_compressed(out, kernels=ks, family=np.array([p["family"] for p in params]), seed=seed,
                        config=json.dumps(cfg.to_dict()["kernel"]),
                        **arrays)
    click.echo(f"wrote {count} kernels of {ks.shape[1]}x{ks.shape[2]} to {out}")
    if preview:
        from blurgen.images import write_image
        from blurgen.preview import kernel_gallery

        shown = ks[:_GALLERY_MOST]  # a gallery of every kernel of a large file would be gigabytes
        write_image(preview, kernel_gallery(shown, [p["family"] for p in params[:_GALLERY_MOST]]))
        click.echo(f"wrote a gallery of {len(shown)} kernels to {preview}")


def _refuse_rotation(cfg: DegradeConfig) -> None:
    """``kernels`` draws kernels alone: rotation shake has none (its blur depends on the place in the image)."""
    from blurgen.config import ROTATION

    k = cfg.kernel
    if k.rotation.trajectory is not None or (len(k.weights) > ROTATION and k.weights[ROTATION] > 0):
        raise click.UsageError("rotation shake has no single kernel (a turning camera blurs each part of an image "
                               "differently): drop rotation from --mix and --rotation here, and use `blurgen degrade "
                               "--kernel-out` or `blurgen preview` to see its local kernels on a photo")


def _load_kernel(path: str) -> np.ndarray:
    try:
        k = np.load(path)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: cannot be read as a .npy array ({exc})", param_hint="--kernel")
    if isinstance(k, np.lib.npyio.NpzFile):
        raise click.BadParameter(f"{path} is an .npz archive; save one kernel with np.save(file, kernels[i])",
                                 param_hint="--kernel")
    if k.ndim != 2 or not np.all(np.isfinite(k)):
        raise click.BadParameter(f"{path}: a kernel must be a finite 2-D array, got shape {k.shape}",
                                 param_hint="--kernel")
    return k.astype(np.float32)


@main.command()
@click.argument("input", type=click.Path(dir_okay=False))
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--kernel", "kernel_path", type=click.Path(dir_okay=False), default=None,
              help="Use this kernel (.npy, 2-D) as is instead of drawing one.")
@click.option("--kernel-out", type=click.Path(dir_okay=False), default=None,
              help="Save the kernel that was convolved (.npy); its centre pixel is the origin. For rotation "
                   "shake: the (gy, gx, k, k) local kernels of a grid of points.")
@click.option("--grey", is_flag=True, help="Read and write the image as grey.")
@degradation_options
def degrade(input, output, seed, kernel_path, kernel_out, grey, **kwargs):
    """Blur one image through the camera model. With --linear none --noise none and a given
    --kernel, OUTPUT is exactly INPUT convolved with the kernel (reflected borders); with a given
    --rotation and --focal, the mean of INPUT seen from each pose of the trajectory."""
    from blurgen.degradation import degrade_with_params
    from blurgen.images import ImageError, read_image, write_image

    config_file = kwargs["config_file"]
    cfg = _pop_config(kwargs)
    _check_output(output, "OUTPUT", _PICTURE_EXTENSIONS)
    _check_output(kernel_out, "--kernel-out", (".npy",))
    _refuse_overwrite([(output, "OUTPUT"), (kernel_out, "--kernel-out")],
                      [(input, "INPUT"), (kernel_path, "--kernel"), (config_file, "--config")])
    kernel = _load_kernel(kernel_path) if kernel_path else None
    try:
        image = read_image(input, "grey" if grey else "rgb")
    except ImageError as exc:
        raise click.BadParameter(str(exc), param_hint="INPUT")
    try:
        result = degrade_with_params(image, np.random.default_rng(seed), cfg, kernel)
    except ValueError as exc:  # a setting that cannot apply to this image (a rotation too long to render)
        raise click.UsageError(str(exc)) from None
    try:
        write_image(output, result.blurred)
    except (ValueError, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="OUTPUT")
    if kernel_out:
        np.save(kernel_out, result.kernel)
    k = result.kernel.shape
    blur = f"kernel {k[0]}x{k[1]}" if len(k) == 2 else f"{k[0]}x{k[1]} local kernels of {k[2]}x{k[3]}"
    click.echo(f"wrote {output} ({result.blurred.shape[1]}x{result.blurred.shape[0]}, {blur})")


def _list_images(sources: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, path)`` of the images in files and folders (searched recursively); a folder's images
    are named by their path under it, a file by its base name. Two inputs with one name would
    overwrite each other's panels, so that is refused, naming both."""
    from blurgen.images import is_image_name

    found: dict[str, str] = {}
    for src in sources:
        if os.path.isdir(src):
            entries = [(os.path.relpath(os.path.join(d, f), src).replace(os.sep, "/"), os.path.join(d, f))
                       for d, _, fs in os.walk(src) for f in fs if is_image_name(f)]
        else:
            entries = [(os.path.basename(src), src)]
        for name, path in sorted(entries):
            if name in found and found[name] != path:
                raise click.BadParameter(f"{found[name]} and {path} have the same name {name!r}; "
                                         "rename one or pass them separately", param_hint="SOURCES")
            found[name] = path
    return sorted(found.items())


def _panel_path(out: str, name: str, variant: int) -> str:
    """Where ``preview`` writes variant ``variant`` of the image named ``name``."""
    return os.path.join(out, f"{os.path.splitext(name)[0].replace('/', '__')}-v{variant}.png")


def _panel_paths(files: list[tuple[str, str]], out: str, variants: int) -> list[tuple[str, str]]:
    return [(name, _panel_path(out, name, v)) for name, _ in files for v in range(variants)]


def _panel_title(name: str, variant: int, seed: int, params: dict) -> list[str]:
    """The two title lines of a preview panel: which photo and draw, and the camera's draws."""
    kernel = params.get("kernel", {})
    drawn = ", ".join(f"{k} {kernel[k]:.3g}" for k in ("exposure", "length", "radius") if k in kernel)
    if kernel.get("family") == "rotation":
        drawn = f"rotation, focal {kernel['focal_px']:.0f} px" + "".join(
            f", {k} {kernel[k]:.2f} deg" for k in ("tilt", "roll") if k in kernel)
    linear = params.get("linear")
    camera = "blurred in stored values" if linear == "none" else f"blurred in linear light ({linear})"
    camera += f", noise {params.get('noise')}"
    if "full_well" in params:
        camera += f" (full well {params['full_well']:.0f} e-, read {params['read_noise']:.4f})"
    if params.get("isp") == "raw":
        camera += f", raw sensor ({params.get('camera') or 'camera RGB'}, {params.get('bayer') or 'no mosaic'})"
    if params.get("jpeg_quality") is not None:
        camera += f", JPEG q{params['jpeg_quality']}"
    return [f"{name}, variant {variant}, seed {seed}", f"{drawn + '; ' if drawn else ''}{camera}"]


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder for the panels.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--variants", type=click.IntRange(1), default=2, show_default=True)
@click.option("--break-lock", is_flag=True, help=lock.BREAK_LOCK_HELP.capitalize() + ".")
@degradation_options
def preview(sources, out, seed, variants, break_lock, **kwargs):
    """Blur each photo in SOURCES (files or folders) and write sharp | blurred | kernel panels,
    titled with the photo, the variant and what was drawn (kernel family and size, exposure, noise)."""
    config_file = kwargs["config_file"]
    cfg = _pop_config(kwargs)
    with _output_lock(out, "blurgen preview", break_lock, "the panels"):
        files = _list_images(sources)
        _refuse_overwrite([(panel, f"the panel of {name}") for name, panel in _panel_paths(files, out, variants)],
                          [(path, "input") for _, path in files] + [(config_file, "--config")],
                          "choose another --out folder (panels are named <image>-v<N>.png), or rename one of "
                          "two images whose names differ only in their extension")
        written, skipped = _write_panels(files, out, seed, variants, cfg)
    click.echo(f"{len(files)} inputs = {len(files) - skipped} used + {skipped} skipped; "
               f"wrote {written} panels to {out}")
    if written == 0:
        raise click.ClickException("no panel written: no readable image among the sources")


def _write_panels(files: list[tuple[str, str]], out: str, seed: int, variants: int,
                  cfg: DegradeConfig) -> tuple[int, int]:
    """Write each image's panels into ``out``; returns ``(panels written, images skipped)``."""
    from blurgen.degradation import degrade_with_params
    from blurgen.images import ImageError, read_image, write_image
    from blurgen.preview import pair_panel
    from blurgen.seeding import example_rng

    written = skipped = 0
    for name, path in files:
        try:
            image = read_image(path)
        except ImageError as exc:
            click.echo(f"skipped: {exc}", err=True)
            skipped += 1
            continue
        for v in range(variants):
            # Seeded by the name, as the pipelines seed a photo by its name under --src.
            try:
                result = degrade_with_params(image, example_rng(seed, name, v), cfg)
            except ValueError as exc:  # a setting that cannot apply to this image (a rotation too long to render)
                raise click.UsageError(f"{name}: {exc}") from None
            write_image(_panel_path(out, name, v), pair_panel(image, result.blurred, result.kernel,
                                                              title=_panel_title(name, v, seed, result.params),
                                                              family=result.params["kernel"].get("family")))
            written += 1
    return written, skipped


if __name__ == "__main__":  # pragma: no cover
    main()
