"""``blurgen preview``: blurred/sharp panels of photos, titled with every draw, to check settings."""
from __future__ import annotations

import os

import click

from blurgen.commands.common import degradation_options, degrade_config, output_lock, refuse_overwrite
from blurgen.config import DegradeConfig
from blurgen.outputs import lock


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


@click.command("preview")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder for the panels.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--variants", type=click.IntRange(1), default=2, show_default=True)
@click.option("--break-lock", is_flag=True, help=lock.BREAK_LOCK_HELP.capitalize() + ".")
@degradation_options
def command(sources, out, seed, variants, break_lock, **kwargs):
    """Blur each photo in SOURCES (files or folders) and write sharp | blurred | kernel panels,
    titled with the photo, the variant and what was drawn (kernel family and size, exposure, noise)."""
    config_file = kwargs["config_file"]
    cfg = degrade_config(kwargs)
    with output_lock(out, "blurgen preview", break_lock, "the panels"):
        files = _list_images(sources)
        refuse_overwrite([(panel, f"the panel of {name}") for name, panel in _panel_paths(files, out, variants)],
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
    from blurgen.pictures.preview import pair_panel
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
