"""``blurgen kernels``: draw random blur kernels to an ``.npz`` file, with an optional gallery."""
from __future__ import annotations

import json
import os

import click
import numpy as np

from blurgen.commands.common import (PICTURE_EXTENSIONS, check_output, degradation_options, degrade_config,
                                     refuse_overwrite)
from blurgen.config import DegradeConfig
from blurgen.outputs.atomic import write_atomic

_GALLERY_MOST = 256


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


@click.command("kernels")
@click.option("--count", "-n", type=click.IntRange(1), default=16, show_default=True, help="How many kernels.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output .npz file.")
@click.option("--preview", type=click.Path(dir_okay=False), default=None,
              help=f"Also write a PNG gallery of the first {_GALLERY_MOST} kernels.")
@degradation_options
def command(count, seed, out, preview, **kwargs):
    """Draw random blur kernels and save them as array 'kernels' (N, k, k) float32 in an .npz,
    with their parameters ('family', one array per parameter, NaN where it does not apply)."""
    from blurgen.kernels import draw_kernels

    config_file = kwargs["config_file"]
    cfg = degrade_config(kwargs)
    _refuse_rotation(cfg)
    check_output(out, "--out", (".npz",))
    check_output(preview, "--preview", PICTURE_EXTENSIONS)
    refuse_overwrite([(out, "--out"), (preview, "--preview")], [(config_file, "--config")])
    _check_memory(count, cfg)
    ks, params = draw_kernels(count, np.random.default_rng(seed), cfg.kernel)
    names = sorted({k for p in params for k in p if k != "family"})
    arrays = {n: np.array([float(p.get(n, np.nan)) for p in params]) for n in names}
    families = np.array([p["family"] for p in params])
    write_atomic(out, lambda f: np.savez_compressed(f, kernels=ks, family=families, seed=seed,
                                                    config=json.dumps(cfg.to_dict()["kernel"]), **arrays))
    click.echo(f"wrote {count} kernels of {ks.shape[1]}x{ks.shape[2]} to {out}")
    if preview:
        from blurgen.images import write_image
        from blurgen.pictures.preview import kernel_gallery

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
