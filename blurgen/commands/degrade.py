"""``blurgen degrade``: blur one photo through the camera model, with a drawn or a given kernel."""
from __future__ import annotations

import click
import numpy as np

from blurgen.commands.common import (PICTURE_EXTENSIONS, check_output, degradation_options, degrade_config,
                                     refuse_overwrite)
from blurgen.outputs.atomic import write_atomic


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


@click.command("degrade")
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
def command(input, output, seed, kernel_path, kernel_out, grey, **kwargs):
    """Blur one image through the camera model. With --linear none --noise none and a given
    --kernel, OUTPUT is exactly INPUT convolved with the kernel (reflected borders); with a given
    --rotation and --focal, the mean of INPUT seen from each pose of the trajectory."""
    from blurgen.degradation import degrade_with_params
    from blurgen.images import ImageError, read_image, write_image

    config_file = kwargs["config_file"]
    cfg = degrade_config(kwargs)
    check_output(output, "OUTPUT", PICTURE_EXTENSIONS)
    check_output(kernel_out, "--kernel-out", (".npy",))
    refuse_overwrite([(output, "OUTPUT"), (kernel_out, "--kernel-out")],
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
        write_atomic(kernel_out, lambda f: np.save(f, result.kernel))
    k = result.kernel.shape
    blur = f"kernel {k[0]}x{k[1]}" if len(k) == 2 else f"{k[0]}x{k[1]} local kernels of {k[2]}x{k[3]}"
    click.echo(f"wrote {output} ({result.blurred.shape[1]}x{result.blurred.shape[0]}, {blur})")
