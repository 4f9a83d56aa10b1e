"""``blurgen synth``: sharp photos in, synthetic blurred/sharp pairs out, as sharded TFRecords.

Run locally (Beam's DirectRunner, two processes)::

    python -m pipelines.synth --src samples --out /tmp/shards --variants 2 --seed 0 \\
        --direct_running_mode=multi_processing --direct_num_workers=2

or on Dataflow, unchanged but for Beam's flags::

    python -m pipelines.synth --src gs://bucket/photos --out gs://bucket/shards \\
        --runner DataflowRunner --project P --region R --temp_location gs://bucket/tmp \\
        --setup_file ./setup.py

It prints ``inputs = written + rejected`` and exits 1 when nothing was written or more than
``--max-reject-fraction`` of the photos were rejected (see ``rejects.jsonl``).
"""
from __future__ import annotations

import argparse
import functools
import sys
from typing import Any


from blurgen.config import options
from blurgen.config.loading import load_config
from pipelines.items.synthesize import SynthSettings, estimate, synthesize
from pipelines.runners import launch
from pipelines.shards import guard
from pipelines.sources import inputs
from pipelines.sources.inputs import InputFile


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blurgen synth", description="Synthesize blurred/sharp pairs from sharp photos into TFRecord shards. "
        "Flags not listed here go to Apache Beam (--runner, --direct_num_workers, --setup_file, ...).")
    parser.add_argument("--src", action="append", required=True,
                        help="photos: a file, a glob or a directory (searched recursively); repeatable")
    launch.add_common_flags(parser)
    parser.add_argument("--variants", type=int, default=1, help="blurred versions of each photo (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default: %(default)s)")
    parser.add_argument("--test-fraction", type=float, default=0.1,
                        help="fraction of photos in the test split, by a stable hash of the name (default: %(default)s)")
    parser.add_argument("--patch", type=int, default=0,
                        help="cut aligned square patches of this side; 0 keeps whole images")
    parser.add_argument("--patches-per-image", type=int, default=1,
                        help="patches per blurred version (default: %(default)s)")
    parser.add_argument("--min-size", type=int, default=16,
                        help="reject photos with a side shorter than this (default: %(default)s)")
    parser.add_argument("--blurred-format", choices=("png", "jpeg"), default="png",
                        help="storage format of the blurred image")
    parser.add_argument("--blurred-quality", type=int, default=95, help="JPEG quality when --blurred-format jpeg")
    parser.add_argument("--png-level", type=int, default=None,
                        help="zlib level of the PNGs, 0-9 (pixels are the same; default: OpenCV's, the fastest)")
    degrade = parser.add_argument_group("degradation (defaults: blurgen.config)")
    degrade.add_argument("--config", help="JSON file of a DegradeConfig (as DegradeConfig.to_dict writes it)")
    options.add_arguments(degrade)  # the same flags as `blurgen degrade`
    return parser


def _path_of(item: InputFile) -> str:
    return item.path


@launch.locks_out(build_parser)
def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the pipeline and return the manifest it wrote (plus Beam's counters under ``counters``)."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    launch.configure_logging(args.verbose)
    degrade = load_config(args.config, vars(args), read=inputs.read_user_file)
    settings = SynthSettings(
        seed=args.seed, variants=args.variants, test_fraction=args.test_fraction, patch=args.patch,
        patches_per_image=args.patches_per_image, min_size=args.min_size, blurred_format=args.blurred_format,
        blurred_quality=args.blurred_quality, png_level=args.png_level, degrade=degrade)
    num_shards = launch.parse_num_shards(args.num_shards)
    options = launch.beam_options(beam_args, parser)
    photos, listing_rejects = inputs.merge_sources(args.src)
    guard.check_dataset_inputs(args.out, args.name, [(p.path, "input") for p in photos]
                               + [(r.path, "input") for r in listing_rejects] + [(args.config, "--config")])
    launch.LOG.info("synth: %d photos under %s -> %s", len(photos) + len(listing_rejects), args.src, args.out)
    parameters = {k: v for k, v in vars(args).items() if k not in ("config", "verbose", "overwrite")}
    parameters.update(degrade=settings.degrade.to_dict(), degrade_config_file=args.config)
    return launch.run_dataset(args, "synth", args.src, photos, listing_rejects, InputFile,
                              functools.partial(synthesize, s=settings), _path_of, parameters, options, num_shards,
                              estimate=functools.partial(estimate, s=settings))


def main(argv: list[str] | None = None) -> int:
    return launch.main(run, argv)


if __name__ == "__main__":
    sys.exit(main())
