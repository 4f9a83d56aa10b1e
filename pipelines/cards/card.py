"""A dataset card: ``README.md`` in the Hugging Face format, from a dataset's metadata and statistics.

:func:`render` writes the YAML header of :mod:`pipelines.cards.cardmeta`, the line that marks the card
as blurgen's (:mod:`pipelines.cards.cardfiles` recognises it), then for people: what the dataset is,
its licence, the pairs per split, the rejected inputs by reason, the command and settings that
made it (from ``manifest.json``), the statistics pictures with their key numbers, the columns,
and how to load it. Rendering only; nothing here reads or writes files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from blurgen.kernels.realshake import EXTENT_LEVEL, RECORDED
from pipelines.cards import cardmeta, hubcolumns
from pipelines.cards import cardpictures as pics
from pipelines.cards.cardmeta import SplitFacts
from pipelines.cards.stats import DatasetStats

_SOURCES = {"synth": "sharp photographs blurred by blurgen's camera-shake model (Boracchi and Foi's random "
                     "trajectories, convolved in linear light, then the camera's clipping, noise and JPEG)",
            "pairs": "real blurred/sharp pairs from a published or recorded dataset, packed as they are",
            "video": "sharp video frames averaged over windows in linear light, as GoPro and REDS were made"}
ALTS = {pics.KERNEL_EXTENT: "kernel extent against recorded camera shake", pics.FAMILIES: "kernel families",
        pics.EXPOSURES: "exposures", pics.NOISE: "noise level", pics.STRENGTH: "blur strength (PSNR)",
        pics.SIZES: "image sizes"}


@dataclass(frozen=True)
class CardFacts:
    """What the card says: the dataset's name, its splits, its metadata and statistics."""

    name: str
    splits: tuple[SplitFacts, ...]
    stats: DatasetStats
    manifest: dict[str, Any] | None = None
    reject_examples: dict[str, list[str]] = field(default_factory=dict)  # kind -> a few reasons
    license: str = cardmeta.DEFAULT_LICENSE
    pictures: dict[str, str] = field(default_factory=dict)  # picture -> file name under card/
    statistics_file: str | None = None  # file name of the statistics JSON under card/
    command: str | None = None  # the command that made the dataset, as far as the manifest says
    marker: str = ""  # the line that says blurgen wrote the card


def render(facts: CardFacts) -> str:
    """The whole card: YAML header, the marker line, then the Markdown body."""
    yaml = cardmeta.to_yaml(cardmeta.header(facts.name, facts.splits, facts.license))
    parts = [_intro(facts), _licence(facts), _contents(facts), _made(facts), _statistics(facts),
             _columns(), _loading(facts)]
    return f"---\n{yaml}\n---\n{facts.marker}\n\n" + "\n\n".join(p.strip() for p in parts) + "\n"


def _intro(f: CardFacts) -> str:
    pipeline = str((f.manifest or {}).get("pipeline", ""))
    kind = pipeline.split("/")[0]  # "pairs/gopro": the pairs pipeline on GoPro's layout
    made = f" with blurgen `{pipeline}`: {_SOURCES[kind]}" if kind in _SOURCES else ""
    return (f"# {f.name}: blurred/sharp pairs for motion deblurring\n\n"
            f"{f.stats.total:,} pairs of a blurred image and its pixel-aligned sharp original, for training and "
            f"evaluating motion-deblurring models, made{made or ' with blurgen'}.")


def _licence(f: CardFacts) -> str:
    if f.license == cardmeta.DEFAULT_LICENSE:
        return ("## Licence\n\n**Fill this in.** blurgen wrote `license: other` because the licence of these pairs "
                "is that of the photographs, frames or pairs they were made from, which blurgen cannot know. Put "
                "their licence's identifier (such as `cc-by-4.0`) in the `license:` line of the header above, "
                "or write the card again with `blurgen inspect DIR --card --license ID`.")
    return (f"## Licence\n\n`{f.license}`, as given to `blurgen inspect --card --license`. The pairs are derived "
            "from their inputs, whose own terms apply too.")


def _contents(f: CardFacts) -> str:
    rows = "\n".join(f"| {s.name} | {s.examples:,} | {s.shards} | {s.num_bytes:,} |" for s in cardmeta.ordered(f.splits))
    text = (f"## Contents\n\n| split | pairs | shards | bytes |\n|---|---:|---:|---:|\n{rows}\n"
            f"| all | {sum(s.examples for s in f.splits):,} | {sum(s.shards for s in f.splits)} | "
            f"{sum(s.num_bytes for s in f.splits):,} |")
    m = f.manifest
    if not m:
        return text + "\n\nNo `manifest.json` beside the shards: the inputs and rejects are not known."
    unit = "windows of frames" if m.get("parameters", {}).get("unit") == "window" else "inputs"
    text += (f"\n\n{m.get('inputs', '?'):,} {unit} = {m.get('written', '?'):,} written + "
             f"{m.get('rejected', '?'):,} rejected.\n\n### Rejected inputs\n\n")
    kinds = m.get("rejects_by_kind") or {}
    if not kinds:
        return text + "No input was rejected."
    lines = ["| reason | inputs | for example |", "|---|---:|---|"]
    for kind, n in kinds.items():
        example = (f.reject_examples.get(kind) or [""])[0].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {kind} | {n:,} | {example[:200]} |")
    return text + "\n".join(lines) + "\n\nEvery rejected input, with its reason, is listed in `rejects.jsonl`."


def _made(f: CardFacts) -> str:
    m = f.manifest
    if not m:
        return "## How it was made\n\nNot recorded (no `manifest.json`)."
    versions = ", ".join(f"{k} {v}" for k, v in sorted((m.get("versions") or {}).items()))
    text = (f"## How it was made\n\nblurgen `{m.get('pipeline')}`, seed {m.get('seed')}, from "
            f"{', '.join(f'`{s}`' for s in m.get('sources') or []) or 'the inputs in inputs.jsonl'}.")
    if f.command:
        text += (f" The command, as `manifest.json` records it (flags left at their defaults are not shown; "
                 f"Apache Beam's own flags, such as `--runner`, are not recorded and do not change the pairs):\n\n"
                 f"```sh\n{f.command}\n```")
    degrade = (m.get("parameters") or {}).get("degrade")
    if degrade:
        text += ("\n\nThe degradation settings (a `DegradeConfig`: save it as a file and pass `--config FILE` to "
                 f"make the same pairs from the same inputs and seed):\n\n```json\n{json.dumps(degrade, indent=2)}\n```")
    return text + (f"\n\nPackage versions: {versions}." if versions else "")


def _percentiles(stats: DatasetStats) -> str:
    lines = []
    for r in RECORDED:
        ranks = [stats.share_below(e) for e in r.extents]
        where = ("" if ranks[0] is None else
                 f"; larger than {', '.join(f'{100 * p:.0f}' for p in ranks)} % of this dataset's kernels")
        lines.append(f"- {r.name}: {', '.join(map(str, r.extents))} px{where}. Source: {r.source}.")
    return "\n".join(lines)


def _picture(f: CardFacts, picture: str) -> str:
    name = f.pictures.get(picture)
    return f"![{ALTS[picture]}](card/{name})" if name else f"({ALTS[picture]}: not drawn)"


def _statistics(f: CardFacts) -> str:
    numbers = f" The numbers behind the pictures are in `card/{f.statistics_file}`." if f.statistics_file else ""
    return (f"## Statistics\n\nComputed from every pair of every split, the shards read once.{numbers}\n\n"
            + "\n\n".join((_extent_section(f), _shares_section(f), _noise_section(f), _strength_section(f),
                             _sizes_section(f))))


def _extent_section(f: CardFacts) -> str:
    e = f.stats.extent_summary()
    extent = (f"{e['count']:,} kernels: median {e['p50']} px, 10th percentile {e['p10']}, 90th {e['p90']}, "
              f"largest {e['max']}." if e["count"] else "The pairs have no kernels (real pairs or video).")
    return f"""### Blur size against recorded camera shake

{_picture(f, pics.KERNEL_EXTENT)}

The extent of a kernel is the side of the box around its values above {EXTENT_LEVEL:.0%} of its peak. {extent}
The triangles are the extents of kernels recorded from real camera shake (numbers that blurgen ships,
measured once on the published kernels):

{_percentiles(f.stats)}"""


def _shares_section(f: CardFacts) -> str:
    return f"""### Kernel families and exposure

{_picture(f, pics.FAMILIES)}

{_picture(f, pics.EXPOSURES)}

Exposure is the fraction of the camera's shake path a kernel integrates (synthetic blur), or the
number of frames averaged (video); "not recorded" where the pairs do not say."""


def _noise_section(f: CardFacts) -> str:
    said = {"parameters": "from parameters", "estimated": "estimated"}
    noise = "; ".join(f"{h.n:,} pairs {said.get(how, how)}, median {h.quantile(0.5):.2f} levels"
                      for how, h in f.stats.noise.items() if h.n)
    return f"""### Noise

{_picture(f, pics.NOISE)}

Standard deviation in 8-bit levels: at stored mid-grey (128) from the camera parameters stored with
each pair, else estimated from the blurred image (Immerkaer 1996; texture raises the estimate). {noise or "No values"}."""


def _strength_section(f: CardFacts) -> str:
    psnr = f.stats.psnr.summary()
    strength = (f"median {psnr['p50']:.1f} dB, 10th percentile {psnr['p10']:.1f}, 90th {psnr['p90']:.1f}"
                if psnr["count"] else "no pair whose images differ")
    return f"""### Blur strength

{_picture(f, pics.STRENGTH)}

PSNR of each blurred image against its sharp image (peak 255, all channels): {strength}; lower
means stronger blur. Pairs whose two images are identical: {f.stats.identical:,}."""


def _sizes_section(f: CardFacts) -> str:
    s = f.stats
    sizes = (f"Widths {min(s.widths)} to {max(s.widths)} px, heights {min(s.heights)} to {max(s.heights)} px, "
             f"{len(s.sizes):,} distinct sizes." if s.widths else "No pairs.")
    return f"### Image sizes\n\n{_picture(f, pics.SIZES)}\n\n{sizes}"


def _columns() -> str:
    rows = "\n".join(f"| `{c.name}` | {c.kind if c.kind != hubcolumns.KERNEL else 'list of float32 rows'} | {c.doc} |"
                     for c in hubcolumns.COLUMNS)
    return f"## Columns\n\n| column | type | what |\n|---|---|---|\n{rows}"


def _loading(f: CardFacts) -> str:
    return f"""## Loading

`blurgen export DIR --to parquet OUT` writes the pairs as Parquet files under `OUT/{cardmeta.DATA_DIR}/`
with this card beside them; that folder is what to upload to the Hub.

```python
from datasets import load_dataset

ds = load_dataset("parquet", data_dir="OUT")   # or load_dataset("OUT"), which reads this card's configs
pair = ds["train"][0]                          # pair["blurred"], pair["sharp"]: PIL images
```

The shards themselves (`{f.name}-SPLIT.tfrecord-NNNNN-of-NNNNN`, with `dataset_info.json` and
`features.json`) open with `tfds.builder_from_directory(DIR)`, blurgen's trainer, or
`blurgen.torchdata.PairDataset` for PyTorch."""
