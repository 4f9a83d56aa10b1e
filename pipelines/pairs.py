"""``blurgen pairs``: real blurred/sharp pairs in, sharded TFRecords out (the same schema as ``synth``,
without kernels).

    python -m pipelines.pairs --layout gopro --src GOPRO_Large --out /tmp/gopro --blur-kind blur
    python -m pipelines.pairs --layout folders --blurred blurry/ --sharp sharp/ --out /tmp/mine
    python -m pipelines.pairs --layout realblur --src RealBlur_J_train_list.txt --src RealBlur_J_test_list.txt --out /tmp/rb
    python -m pipelines.pairs --layout side-by-side --src combined/ --out /tmp/ab --blurred-side left

Beam flags (``--runner``, ``--direct_num_workers``, ``--setup_file``, Dataflow's) pass through.
"""
from __future__ import annotations

import argparse
import functools
import sys
from typing import Any


from pipelines.items.realpairs import PairSettings, estimate, make_pairs
from pipelines.runners import launch
from pipelines.shards import guard
from pipelines.sources import layouts
from pipelines.sources.layouts import PairInput


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blurgen pairs", description="Pack real blurred/sharp pairs into TFRecord shards. Both images of "
        "a pair are turned by their EXIF orientation only when their tags agree; a pair whose tags differ is "
        "rejected. "
        "Flags not listed here go to Apache Beam (--runner, --direct_num_workers, --setup_file, ...).")
    parser.add_argument("--layout", choices=layouts.LAYOUTS, required=True, help="how the pairs are laid out")
    parser.add_argument("--src", action="append", default=[],
                        help="gopro: the GOPRO_Large folder; realblur: list file(s); side-by-side: files, globs, folders")
    parser.add_argument("--blurred", help="folders: the folder of blurred images")
    parser.add_argument("--sharp", help="folders: the folder of sharp images")
    parser.add_argument("--root", help="realblur: the folder the list paths are relative to (default: the list "
                        "file's); a path leaving it is rejected")
    parser.add_argument("--blur-kind", choices=("blur", "blur_gamma"), default="blur", help="gopro: which blurred frames")
    parser.add_argument("--blurred-side", choices=("left", "right"), default="left", help="side-by-side: the blurred half")
    launch.add_common_flags(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed for patch positions (default: %(default)s)")
    parser.add_argument("--test-fraction", type=float, default=0.1,
                        help="test share where the layout gives no split, by a stable hash (default: %(default)s)")
    parser.add_argument("--patch", type=int, default=0, help="cut aligned square patches of this side; 0 keeps whole images")
    parser.add_argument("--patches-per-image", type=int, default=1, help="patches per pair (default: %(default)s)")
    parser.add_argument("--min-size", type=int, default=16, help="reject pairs with a side shorter than this")
    parser.add_argument("--png-level", type=int, default=None,
                        help="zlib level of the PNGs, 0-9 (default: OpenCV's, the fastest)")
    return parser


def list_pairs(args: argparse.Namespace) -> tuple[list[PairInput], list]:
    if args.layout == "folders":
        if not (args.blurred and args.sharp):
            raise ValueError("--layout folders needs --blurred DIR and --sharp DIR")
        return layouts.folders(args.blurred, args.sharp, args.test_fraction)
    if not args.src:
        raise ValueError(f"--layout {args.layout} needs --src")
    if args.layout == "gopro":
        if len(args.src) != 1:
            raise ValueError("--layout gopro takes one --src, the GOPRO_Large folder")
        return layouts.gopro(args.src[0], args.blur_kind)
    if args.layout == "realblur":
        return layouts.realblur(args.src, args.root, args.test_fraction)
    return layouts.side_by_side(args.src, args.test_fraction)


def _path_of(item: PairInput) -> str:
    return item.blurred


@launch.locks_out(build_parser)
def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the pipeline and return the manifest it wrote (plus Beam's counters under ``counters``)."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    launch.configure_logging(args.verbose)
    settings = PairSettings(layout=args.layout, seed=args.seed, patch=args.patch, min_size=args.min_size,
                            patches_per_image=args.patches_per_image, png_level=args.png_level,
                            blurred_side=args.blurred_side)
    if not 0.0 <= args.test_fraction <= 1.0:
        raise ValueError(f"--test-fraction must be in [0, 1], got {args.test_fraction}")
    num_shards = launch.parse_num_shards(args.num_shards)
    options = launch.beam_options(beam_args, parser)
    pairs, listing_rejects = list_pairs(args)
    files = [(p, "input") for item in pairs for p in (item.blurred, item.sharp)]
    guard.check_dataset_inputs(args.out, args.name, files + [(r.path, "input") for r in listing_rejects]
                               + [(s, "--src") for s in args.src])
    launch.LOG.info("pairs: %d %s inputs -> %s", len(pairs) + len(listing_rejects), args.layout, args.out)
    parameters = {k: v for k, v in vars(args).items() if k not in ("verbose", "overwrite")}
    return launch.run_dataset(args, f"pairs/{args.layout}", args.src or [args.blurred, args.sharp], pairs,
                              listing_rejects, PairInput, functools.partial(make_pairs, s=settings), _path_of,
                              parameters, options, num_shards, estimate=functools.partial(estimate, s=settings))


def main(argv: list[str] | None = None) -> int:
    return launch.main(run, argv)


if __name__ == "__main__":
    sys.exit(main())
