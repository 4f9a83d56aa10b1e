"""Speed and memory of the dataset card (``blurgen inspect --card``) and the Parquet export.

    .venv/bin/python benchmarks/bench_card.py                  # 48 pairs of 1280x720 for the speed figures
    .venv/bin/python benchmarks/bench_card.py --memory 48,192  # peak memory, a fresh process per size

The datasets are written here directly (no Beam run): 8 distinct pairs, made by ``blurgen.degrade``
from the sample photos scaled to 1280x720 and PNG-encoded once, repeated under new keys into 2
shards, with ``dataset_info.json`` beside them. Figures printed, nothing asserted:

* per pair, the card's statistics pass (``inspect --card``) beside a floor that reads the same
  records and decodes both PNGs in a plain loop, and beside plain ``inspect`` (checksums only);
* per pair, ``export --to parquet`` with the card copied (no decoding) beside a floor that reads
  the records and writes their bytes to one file, and ``export`` making the card;
* ``--memory``: peak resident memory (``ru_maxrss``) of ``inspect --card`` and of ``export`` in a
  fresh process per dataset size: flat when memory does not grow with the data.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from blurgen import degrade_with_params  # noqa: E402
from blurgen.shards import schema
from blurgen.images import decode_image, encode_png, read_image  # noqa: E402
from pipelines import export, inspection  # noqa: E402
from pipelines.shards import metadata, records
from pipelines.shards.examples import Pair, decode_example, encode_example  # noqa: E402

from _timing import median_seconds, paired_ratio  # noqa: E402


def distinct_pairs() -> list[Pair]:
    photos = sorted((ROOT / "samples").glob("*.png")) + sorted((ROOT / "samples").glob("*.jpg"))
    pairs = []
    for i in range(8):
        sharp = cv2.resize(read_image(photos[i % len(photos)]), (1280, 720), interpolation=cv2.INTER_AREA)
        result = degrade_with_params(sharp, np.random.default_rng(i))
        pairs.append(Pair(key="", blurred=encode_png(result.blurred), sharp=encode_png(sharp), height=720, width=1280,
                          source=photos[i % len(photos)].name, variant=i, kernel=result.kernel,
                          params={"degrade": result.params}))
    return pairs


def write_dataset(out: pathlib.Path, count: int, pairs: list[Pair]) -> None:
    out.mkdir(parents=True)
    shards = []
    for index in range(2):
        file = schema.shard_name("bench", "train", index, 2)
        data = [encode_example(Pair(**{**pairs[i % len(pairs)].__dict__, "key": f"pair-{i:06d}"}))
                for i in range(index, count, 2)]
        with open(out / file, "wb") as f:
            n, size = records.write_records(f, data)
        shards.append({"split": "train", "index": index, "records": n, "bytes": size, "file": file})
    info = metadata.dataset_info_json("bench", shards, "benchmark")
    (out / metadata.DATASET_INFO).write_text(__import__("json").dumps(info))


def floor_decode(out: pathlib.Path) -> None:
    for path in sorted(out.glob("*.tfrecord-*")):
        for data in inspection.iter_examples(str(path)):
            ex = decode_example(data)
            decode_image(ex[schema.BLURRED]), decode_image(ex[schema.SHARP])


def floor_copy(out: pathlib.Path, target: pathlib.Path) -> None:
    with open(target, "wb") as f:
        for path in sorted(out.glob("*.tfrecord-*")):
            for data in inspection.iter_examples(str(path)):
                ex = decode_example(data)
                f.write(ex[schema.BLURRED])
                f.write(ex[schema.SHARP])


def speed(count: int, work: pathlib.Path, repeats: int) -> None:
    data = work / "data"
    write_dataset(data, count, distinct_pairs())
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the commands' own lines are not figures

    def run(main, argv):
        old, sys.stdout = sys.stdout, quiet
        try:
            assert main(argv) == 0
        finally:
            sys.stdout = old

    def card():
        shutil.rmtree(data / "card", ignore_errors=True)
        (data / "README.md").unlink(missing_ok=True)
        run(inspection.main, [str(data), "--card"])

    def exported(name):
        shutil.rmtree(work / name, ignore_errors=True)
        run(export.main, [str(data), "--to", "parquet", str(work / name)])

    def made():
        shutil.rmtree(data / "card", ignore_errors=True)
        (data / "README.md").unlink(missing_ok=True)
        exported("hf2")

    def copied():
        if not (data / "README.md").exists():  # a README to copy: the export then decodes nothing
            (data / "README.md").write_text("# notes of one's own\n")
        exported("hf")

    # Each step alternates with its floor, so a busy machine's slow spells land on both.
    pairs = [("inspect --card (checksums and statistics)", card, "read records, decode both PNGs",
              lambda: floor_decode(data)),
             ("export --to parquet, card made", made, "read records, decode both PNGs", lambda: floor_decode(data)),
             ("export --to parquet, card copied", copied, "read records, write their image bytes",
              lambda: floor_copy(data, work / "copy.bin"))]
    mb = sum(p.stat().st_size for p in data.glob("*.tfrecord-*")) / 2**20
    print(f"{count} pairs of 1280x720 ({mb:.0f} MiB of shards), median of {repeats} alternated runs\n")
    print("| step | ms per pair | floor | floor ms per pair | ratio |\n|---|---:|---|---:|---:|")
    for name, fn, floor_name, floor in pairs:
        t, base, ratio = paired_ratio(fn, floor, repeats)
        print(f"| {name} | {1000 * t / count:.0f} | {floor_name} | {1000 * base / count:.0f} | {ratio:.2f} |")
    plain = median_seconds(lambda: run(inspection.main, [str(data)]), repeats)
    print(f"\nplain inspect (checksums only): {1000 * plain / count:.1f} ms per pair")


def peak_mib(argv: list[str]) -> float:
    proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, argv
    return usage.ru_maxrss / 1024  # KiB on Linux


def memory(sizes: list[int], work: pathlib.Path) -> None:
    # Linux keeps ru_maxrss across exec, so a child forked from a large parent would report the
    # parent's size: the datasets are written by a child too, and this process stays small.
    print("| pairs | shards (MiB) | inspect --card peak RSS (MiB) | export peak RSS (MiB) |\n|---:|---:|---:|---:|")
    for n in sizes:
        data = work / f"data{n}"
        subprocess.run([sys.executable, __file__, "--write", str(data), "--pairs", str(n)], check=True)
        mb = sum(p.stat().st_size for p in data.glob("*.tfrecord-*")) / 2**20
        card = peak_mib(["-m", "pipelines.inspection", str(data), "--card"])
        out = peak_mib(["-m", "pipelines.export", str(data), "--to", "parquet", str(work / f"hf{n}")])
        print(f"| {n} | {mb:.0f} | {card:.0f} | {out:.0f} |")
        shutil.rmtree(data)
        shutil.rmtree(work / f"hf{n}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=48)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--memory", default=None, help="comma-separated dataset sizes for the memory table")
    p.add_argument("--write", default=None, help=argparse.SUPPRESS)  # the child that writes a dataset
    args = p.parse_args(argv)
    if args.write:
        write_dataset(pathlib.Path(args.write), args.pairs, distinct_pairs())
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-card-") as tmp:
        if args.memory:
            memory([int(n) for n in args.memory.split(",")], pathlib.Path(tmp))
        else:
            speed(args.pairs, pathlib.Path(tmp), args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
