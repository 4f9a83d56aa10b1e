"""A contact sheet: a few pairs of a dataset, one row each: sharp | blurred | kernel (a grid of
local kernels is also drawn on the blurred image, each where it applies).

The pairs come from distinct sources where the split has enough (a dataset holds several
variants of each photo, which would otherwise fill the sheet with one photo), taken from the
shards in turn. The layout is blurgen's one picture code (:mod:`blurgen.pictures.preview`): column titles,
a caption per row (key, source, and how it was blurred: kernel family and size, or for a pair
made from video the frame average's samples and exposure), a title naming the dataset and split;
a pair without a kernel (real or from video) gets a grey kernel tile.
"""
from __future__ import annotations


from apache_beam.io.filesystems import FileSystems

from blurgen.outputs import safety
from blurgen.outputs.atomic import write_atomic
from blurgen.pictures import preview
from blurgen.shards import schema
from blurgen.pictures.preview import kernel_label
from blurgen.images import decode_image, encode_png
from pipelines.footage.exposure import exposure_text
from pipelines.shards import guard, metadata
from pipelines.shards.examples import decode_example
from pipelines.shards.metadata import shard_paths
from pipelines.shards.records import iter_examples
from pipelines.sources import inputs

ROW = 192  # px, the height of one row
SCAN_PER_ROW = 200  # records looked at per row wanted, at most, while looking for distinct sources


def check_sheet_path(out: str, sheet_path: str) -> None:
    """Refuse a ``--sheet`` path that is one of the dataset's own files (a shard, its metadata).

    Raises:
      ValueError: naming the file it would overwrite.
    """
    shards = FileSystems.match([FileSystems.join(out, "*.tfrecord*")])[0].metadata_list
    dataset = [(m.path, "the dataset's shard") for m in shards]
    dataset += [(FileSystems.join(out, f), f"the dataset's {f}") for f in guard.METADATA_FILES]
    safety.check_outputs([(sheet_path, "--sheet")], dataset, "write the contact sheet somewhere else")


def _round_robin(paths: list[str]):
    """The records of ``paths`` one shard at a time in turn: the first of each, the second, ..."""
    streams = [iter_examples(p) for p in paths]
    while streams:
        for stream in list(streams):
            data = next(stream, None)
            if data is None:
                streams.remove(stream)
            else:
                yield data


def pick_examples(paths: list[str], count: int) -> list[dict]:
    """Up to ``count`` decoded examples of distinct sources, in the order met, looking at no more
    than ``SCAN_PER_ROW * count`` records; short of distinct sources, other variants fill the rest."""
    chosen: list[dict] = []
    spare: list[tuple[int, int, dict]] = []  # (how many of its source came before, order met, example)
    per_source: dict[str, int] = {}
    for seen, data in enumerate(_round_robin(paths)):
        if len(chosen) == count or seen >= SCAN_PER_ROW * count:
            break
        ex = decode_example(data)
        n = per_source.get(ex[schema.SOURCE], 0)
        per_source[ex[schema.SOURCE]] = n + 1
        if n == 0:
            chosen.append(ex)
        elif n <= count:
            spare.append((n, seen, ex))
    # Short of sources: the second variant of each source in turn, then the third, ...
    return chosen + [ex for _, _, ex in sorted(spare, key=lambda t: t[:2])][:count - len(chosen)]


def _family(params: dict) -> str | None:
    """The kernel family recorded in a pair's parameters (synth keeps them under ``degrade``)."""
    for where in (params.get("degrade") or {}, params):
        kernel = where.get("kernel")
        if isinstance(kernel, dict) and "family" in kernel:
            return kernel["family"]
    return None


def video_label(params: dict) -> str | None:
    """``"frame average over 9 samples, exposure 1/10 s, up to 0.96 px apart"`` for a pair made
    from video (``blurgen video``), ``None`` for any other pair."""
    if not isinstance(params.get("samples"), int) or "first_frame" not in params:
        return None
    text = f"frame average over {params['samples']} samples"
    if params.get("exposure"):
        text += f", exposure {exposure_text(params['exposure'])} s"
    elif params.get("exposure_frames"):
        text += f", exposure {params['exposure_frames']:g} frame intervals"
    if params.get("max_motion") is not None:
        text += f", up to {params['max_motion']:.2f} px apart"
    return text


def _row_caption(ex: dict) -> list[str]:
    blur = video_label(ex[schema.PARAMS]) or kernel_label(ex[schema.KERNEL], _family(ex[schema.PARAMS]))
    return [f"{ex[schema.KEY]}, {ex[schema.WIDTH]}x{ex[schema.HEIGHT]} px", f"from {ex[schema.SOURCE]}; {blur}"]


def _blurred(ex: dict):
    """The blurred image of a pair; with a grid of local kernels (blur that varies across the
    image), scaled to the row and each kernel drawn where it applies."""
    blurred = decode_image(ex[schema.BLURRED], ex[schema.KEY])
    kernel = ex[schema.KERNEL]
    if kernel is not None and kernel.ndim == 4:
        return preview.overlay_local_kernels(blurred, kernel, ROW)
    return blurred


def write_sheet(out: str, sheet_path: str, count: int, split: str | None = None) -> int:
    """Draw ``count`` pairs of ``split`` (default: train, else the first split), from distinct
    sources where there are enough; returns how many.

    Raises:
      ValueError: the dataset has no such split, or the split has no records.
    """
    info = metadata.read_json(FileSystems.join(out, metadata.DATASET_INFO))
    names = [s["name"] for s in info["splits"]]
    if not names:
        raise ValueError(f"{out}: the dataset has no splits, so there is nothing to draw")
    if split is not None and split not in names:
        raise ValueError(f"{out}: the dataset has no split {split!r}; pass --split with one of {names}")
    split = split or ("train" if "train" in names else names[0])
    paths = [p for s, p, _ in shard_paths(out, info) if s == split]
    examples = pick_examples(paths, count)
    if not examples:
        raise ValueError(f"{out}: split {split!r} has no records to draw")
    rows = [[decode_image(ex[schema.SHARP], ex[schema.KEY]), _blurred(ex), preview.kernel_tile(ex[schema.KERNEL], ROW)]
            for ex in examples]
    picture = preview.sheet(["sharp", "blurred", "kernel"], rows, ROW,
                            [_row_caption(ex) for ex in examples])
    distinct = len({ex[schema.SOURCE] for ex in examples})
    title = [f"dataset {info['name']!r} in {out}: split {split}, {len(examples)} pairs from {distinct} distinct sources"]
    write_whole(sheet_path, encode_png(preview.titled(picture, title)))
    return len(rows)


def write_whole(path: str, data: bytes) -> None:
    """Write a file that appears whole (two runs drawing the same sheet leave one whole picture,
    the last): :func:`blurgen.outputs.atomic.write_atomic`."""
    write_atomic(path, data, remote=inputs.BEAM_FILES)
