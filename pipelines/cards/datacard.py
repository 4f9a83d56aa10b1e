"""Make a dataset's card: gather its facts, draw its pictures, render it, write it.

``blurgen inspect DIR --card`` feeds every record it checks to a :class:`CardBuilder` (the shards
are read once, for the checks and the statistics together), then calls :meth:`CardBuilder.write`.
``blurgen export`` uses the same builder while it writes the Parquet files. The facts that are not
in the records come from the metadata beside them: the split sizes from the shard files, the
command and settings from ``manifest.json``, an example reason per reject kind from ``rejects.jsonl``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import shlex
from typing import Any

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from blurgen.images import encode_png
from pipelines.cards import cardfiles, cardpictures
from pipelines.cards.card import CardFacts, render
from pipelines.cards.cardmeta import SplitFacts
from pipelines.cards.stats import DatasetStats, pair_facts
from pipelines.shards import metadata

_PARSERS = {"synth": "pipelines.synth", "pairs": "pipelines.pairs", "video": "pipelines.video"}
_RENAMED = {"config": "degrade_config_file"}  # parser dest -> manifest parameter, where they differ


def gamma_of(manifest: dict[str, Any] | None) -> float:
    """The display gamma of a run's camera settings (for ``linear: gamma``); 2.2 when not recorded."""
    camera = (((manifest or {}).get("parameters") or {}).get("degrade") or {}).get("camera") or {}
    value = camera.get("gamma")
    return float(value) if isinstance(value, (int, float)) else 2.2


def _is_default(value: Any, action: argparse.Action) -> bool:
    default = action.default
    if value == default or str(value) == str(default):
        return True
    try:
        return isinstance(default, str) and action.type is not None and action.type(default) == value
    except (TypeError, ValueError):
        return False


def _flag_words(action: argparse.Action, value: Any) -> list[str]:
    flag = max(action.option_strings, key=len)
    if action.nargs == 0:  # store_true and the like
        return [flag] if value != action.default else []
    if value is None:  # a flag whose value was resolved to None from another default ('off')
        return [flag, "none"]
    values = value if isinstance(value, list) else [value]
    return [w for v in values for w in (flag, shlex.quote(str(v)))]


def command_of(manifest: dict[str, Any] | None) -> str | None:
    """``blurgen PIPELINE --flag value ...``: the flags of the recorded parameters that differ from
    the pipeline's defaults, in the parser's order; None for a pipeline this code does not know."""
    pipeline = str((manifest or {}).get("pipeline", "")).split("/")[0]  # "pairs/gopro": the pairs pipeline
    params = (manifest or {}).get("parameters") or {}
    if pipeline not in _PARSERS:
        return None
    parser = importlib.import_module(_PARSERS[pipeline]).build_parser()
    words = ["blurgen", pipeline]
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its actions there
        name = _RENAMED.get(action.dest, action.dest)
        if not action.option_strings or name not in params or name in ("verbose", "overwrite"):
            continue
        if not _is_default(params[name], action):
            words += _flag_words(action, params[name])
    return " ".join(words)


def reject_examples(out: str) -> dict[str, list[str]]:
    """The first reason of each reject kind in ``rejects.jsonl``, read line by line."""
    path = FileSystems.join(out, metadata.REJECTS)
    found: dict[str, list[str]] = {}
    if not FileSystems.exists(path):
        return found
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        for line in f:
            try:
                reject = json.loads(line)
                found.setdefault(reject["kind"], [reject["reason"]])
            except (ValueError, KeyError, TypeError):
                continue
    return found


def shard_bytes(paths: list[str]) -> int:
    """The bytes of the shard files at ``paths`` (as their file system reports them)."""
    return sum(m.size_in_bytes for r in FileSystems.match(paths) for m in r.metadata_list)


class CardBuilder:
    """Collects the statistics of a dataset's records, then writes its card.

    ``add(split, example)`` takes each record as :func:`pipelines.shards.examples.decode_example` gives
    it; only :class:`~pipelines.cards.stats.DatasetStats` is kept, so memory does not grow with the data.
    """

    def __init__(self, out: str, license: str):
        self.out, self.license = out, license
        self.manifest = None
        manifest_path = FileSystems.join(out, metadata.MANIFEST)
        if FileSystems.exists(manifest_path):
            self.manifest = metadata.read_json(manifest_path)
        self.gamma = gamma_of(self.manifest)
        self.stats = DatasetStats()

    def add(self, split: str, example: dict[str, Any]) -> None:
        self.stats.add(pair_facts(example, split, self.gamma))

    def render(self, name: str, splits: dict[str, tuple[int, list[str]]]) -> tuple[str, dict[str, bytes]]:
        """The card's text and its files (content-addressed names) for ``splits``: ``{split:
        (records, shard paths)}``."""
        files: dict[str, bytes] = {}
        named: dict[str, str] = {}
        for picture, image in cardpictures.pictures(self.stats).items():
            data = encode_png(image)
            named[picture] = cardfiles.content_name(picture.rsplit(".", 1)[0], ".png", data)
            files[named[picture]] = data
        numbers = (json.dumps(self.stats.summary(), indent=1, sort_keys=True) + "\n").encode("utf-8")
        statistics = cardfiles.content_name("statistics", ".json", numbers)
        files[statistics] = numbers
        facts = CardFacts(
            name=name, stats=self.stats, manifest=self.manifest, license=self.license,
            splits=tuple(SplitFacts(s, n, shard_bytes(paths), len(paths)) for s, (n, paths) in splits.items()),
            reject_examples=reject_examples(self.out), pictures=named, statistics_file=statistics,
            command=command_of(self.manifest), marker=cardfiles.marker(cardfiles.fingerprint(self.out)))
        return render(facts), files

    def write(self, name: str, splits: dict[str, tuple[int, list[str]]]) -> str:
        """Render the card and write it into the dataset folder; returns the README's path."""
        text, files = self.render(name, splits)
        cardfiles.write_card(self.out, text, files)
        return FileSystems.join(self.out, cardfiles.README)
