"""The files beside the shards: ``dataset_info.json`` and ``features.json`` (TFDS), ``manifest.json``
(what went in and what came out), ``rejects.jsonl`` (one line per rejected input) and
``inputs.jsonl`` (every input the launcher listed, written before the run).

The TFDS files are plain JSON in the form ``tfds.folder_dataset.write_metadata`` (TFDS 4.9) writes,
so that ``tfds.builder_from_directory(out)`` opens the dataset with its exact per-shard counts,
without TensorFlow in this process.
"""
from __future__ import annotations

import json
import platform
from fractions import Fraction
from importlib import metadata as importlib_metadata
from typing import Any, Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from blurgen.shards import schema
from pipelines.sources import inputs
from pipelines.sources.rejects import Reject, count_by_kind

DATASET_INFO = "dataset_info.json"
FEATURES = "features.json"
MANIFEST = "manifest.json"
REJECTS = "rejects.jsonl"
INPUTS = "inputs.jsonl"
_FILEPATH_TEMPLATE = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
_PACKAGES = ("blurgen", "apache-beam", "numpy", "scipy", "opencv-python-headless", "tfrecord",
             "google-crc32c", "protobuf")

_TFDS = "tensorflow_datasets.core.features."


def _tensor(dtype: str, dims: list[int] | None) -> dict[str, Any]:
    shape = {} if dims is None else {"dimensions": [str(d) for d in dims]}
    return {"dtype": dtype, "encoding": "none", "shape": shape}


def feature_json(field: schema.Field, kernel_shape: tuple[int, int] | None = None) -> dict[str, Any]:
    """The TFDS feature connector of one schema field, as TFDS serialises it; with ``kernel_shape``
    (every record's kernel has that shape), TFDS returns the kernel shaped instead of flat."""
    if field.name == schema.KERNEL and kernel_shape:
        return {"pythonClassName": _TFDS + "tensor_feature.Tensor", "tensor": _tensor("float32", list(kernel_shape))}
    if field.name in schema.IMAGE_FIELDS:
        return {"pythonClassName": _TFDS + "image_feature.Image",
                "image": {"dtype": "uint8", "shape": {"dimensions": ["-1", "-1", "3"]}}}
    if field.name in schema.TEXT_FIELDS:
        return {"pythonClassName": _TFDS + "text_feature.Text", "text": {}}
    dtype = {schema.INT64: "int64", schema.FLOAT: "float32", schema.BYTES: "string"}[field.kind]
    if field.length == schema.FIXED:
        return {"pythonClassName": _TFDS + "scalar.Scalar", "tensor": _tensor(dtype, None)}
    return {"pythonClassName": _TFDS + "tensor_feature.Tensor", "tensor": _tensor(dtype, [-1])}


def features_json(kernel_shape: tuple[int, int] | None = None) -> dict[str, Any]:
    return {"pythonClassName": _TFDS + "features_dict.FeaturesDict",
            "featuresDict": {"features": {f.name: feature_json(f, kernel_shape) for f in schema.FIELDS}}}


def fixed_kernel_shape(run: dict[str, Any]) -> tuple[int, int] | None:
    """The one shape of every kernel of a ``synth`` run that keeps whole kernel canvases
    (``crop_kernel`` false), else None: cropped kernels differ in shape, and real pairs and video
    have none, and TFDS can shape a tensor only when its shape is fixed."""
    degrade = (run.get("parameters") or {}).get("degrade")
    if run.get("pipeline") != "synth" or not degrade or degrade.get("crop_kernel", True):
        return None
    from blurgen.config import ROTATION, DegradeConfig
    kernel = DegradeConfig.from_dict(degrade).kernel
    if kernel.rotation.trajectory is not None or (len(kernel.weights) > ROTATION and kernel.weights[ROTATION] > 0):
        return None  # rotation pairs hold a grid of local kernels, of a size each shake sets
    size = kernel.trajectory.size
    return size, size


def dataset_info_json(name: str, shards: list[dict], description: str) -> dict[str, Any]:
    """TFDS's ``DatasetInfo`` as JSON; ``shards`` are :class:`~pipelines.shards.write.WriteShards` outputs."""
    splits = []
    for split in sorted({s["split"] for s in shards}):
        mine = sorted((s for s in shards if s["split"] == split), key=lambda s: s["index"])
        splits.append({"name": split, "filepathTemplate": _FILEPATH_TEMPLATE,
                       "shardLengths": [str(s["records"]) for s in mine],
                       "numBytes": str(sum(s["bytes"] for s in mine))})
    # as_supervised=True gives (blurred, sharp) pairs.
    supervised = {"tuple": {"items": [{"featureKey": schema.BLURRED}, {"featureKey": schema.SHARP}]}}
    return {"name": name, "description": description, "fileFormat": "tfrecord",
            "version": "1.0.0", "splits": splits, "supervisedKeys": supervised}


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions


def manifest_json(run: dict[str, Any], shards: list[dict], rejects: list[Reject], written: int,
                  summary: dict[str, dict] | None = None) -> dict[str, Any]:
    """What went in and what came out. ``run`` holds what the launcher knows: ``pipeline``,
    ``name``, ``out``, ``inputs`` (the number of inputs listed), ``parameters``, ``versions``;
    ``summary``: figures of the written units (:class:`Summary`), recorded when there are any."""
    pairs = {}
    files = {}
    for s in sorted(shards, key=lambda s: (s["split"], s["index"])):
        pairs[s["split"]] = pairs.get(s["split"], 0) + s["records"]
        files.setdefault(s["split"], []).append({"file": s["file"], "records": s["records"], "bytes": s["bytes"]})
    manifest = dict(run)
    manifest.update({
        "written": written,
        "rejected": len(rejects),
        "balanced": run["inputs"] == written + len(rejects),
        "rejects_by_kind": count_by_kind(rejects),
        "pairs": pairs,
        "pairs_total": sum(pairs.values()),
        "bytes": sum(s["bytes"] for s in shards),
        "shards": files,
    })
    if summary:
        manifest["summary"] = summary
    return manifest


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_all(out: str, run: dict[str, Any], shards: list[dict], rejects: list[Reject], written: int,
              summary: dict[str, dict] | None = None) -> dict:
    """Write the four metadata files into ``out``; returns the manifest."""
    rejects = sorted(rejects)
    manifest = manifest_json(run, shards, rejects, written, summary)
    description = f"blurgen {run['pipeline']} pairs; see {MANIFEST} for how they were made"
    inputs.write_bytes(FileSystems.join(out, DATASET_INFO), _dump(dataset_info_json(run["name"], shards, description)))
    inputs.write_bytes(FileSystems.join(out, FEATURES), _dump(features_json(fixed_kernel_shape(run))))
    inputs.write_bytes(FileSystems.join(out, REJECTS), "".join(r.to_json() + "\n" for r in rejects).encode("utf-8"))
    inputs.write_bytes(FileSystems.join(out, MANIFEST), _dump(manifest))
    return manifest


def read_json(path: str) -> Any:
    return json.loads(inputs.read_bytes(path).decode("utf-8"))


class Summary(beam.CombineFn):
    """Count, least, largest and mean of each figure that written units carry (``done`` elements
    ``(name, ((figure, value), ...))``; plain names carry none). The mean is summed exactly
    (fractions), so it does not depend on the order in which a runner combines."""

    def create_accumulator(self) -> dict:
        return {}

    def add_input(self, acc: dict, element: Any) -> dict:
        if isinstance(element, (tuple, list)):
            for figure, value in element[1]:
                if value is None:
                    continue
                count, low, high, total = acc.get(figure, (0, value, value, Fraction(0)))
                acc[figure] = (count + 1, min(low, value), max(high, value), total + Fraction(value))
        return acc

    def merge_accumulators(self, accumulators: Any) -> dict:
        merged: dict = {}
        for acc in accumulators:
            for figure, (count, low, high, total) in acc.items():
                c, lo, hi, t = merged.get(figure, (0, low, high, Fraction(0)))
                merged[figure] = (c + count, min(lo, low), max(hi, high), t + total)
        return merged

    def extract_output(self, acc: dict) -> dict[str, dict]:
        return {figure: {"count": count, "min": low, "max": high, "mean": float(total / count)}
                for figure, (count, low, high, total) in sorted(acc.items())}


class WriteMetadata(beam.PTransform):
    """Waits for every shard, reject and written-input marker, then writes the metadata files once."""

    def __init__(self, out: str, run: dict[str, Any]):
        super().__init__()
        self.out = out
        self.run = run

    def expand(self, pcolls):
        shards, rejects, done = pcolls
        as_list = beam.combiners.ToList
        shard_list = beam.pvalue.AsSingleton(shards | "ShardList" >> as_list())
        reject_list = beam.pvalue.AsSingleton(rejects | "RejectList" >> as_list())
        written = beam.pvalue.AsSingleton(done | "CountWritten" >> beam.combiners.Count.Globally())
        summary = beam.pvalue.AsSingleton(done | "Summary" >> beam.CombineGlobally(Summary()))
        out, run = self.out, self.run
        return (done.pipeline
                | "Once" >> beam.Create([None])
                | "WriteMetadataFiles" >> beam.Map(
                    lambda _, s, r, w, m: write_all(out, run, s, r, w, m), shard_list, reject_list, written, summary))


def shard_paths(out: str, info: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """``(split, path, expected_records)`` of every shard ``dataset_info.json`` lists."""
    for split in info["splits"]:
        lengths = [int(n) for n in split["shardLengths"]]
        for index, expected in enumerate(lengths):
            file = schema.shard_name(info["name"], split["name"], index, len(lengths))
            yield split["name"], FileSystems.join(out, file), expected
