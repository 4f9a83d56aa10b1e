"""What the header pass costs: ``blurgen.shards.framing.check_shards`` on a 1 GiB shard, against reading it.

    python benchmarks/bench_framing.py [--gib 1] [--record-kib 2048,256,16] [--dir /tmp] [--tf]

Before ``tf.data`` opens a shard, the trainer checks its framing (every length against its
checksum, the end of the file and the ceiling for one record) by seeking from header to header
and reading 12 bytes each: its cost grows with the number of records, not with the bytes. For
each record size this writes one shard of ``--gib`` GiB, then times, median of ``--repeat`` runs:

- the header pass, and reading every byte of the file (1 MiB reads): the ratio is the pass's cost
  against the least any reader pays;
- both again with the file dropped from the page cache first (``posix_fadvise(DONTNEED)``, this
  file only): a cold shard, as on first use;
- with ``--tf``, ``tf.data.TFRecordDataset`` reading the whole shard in a TensorFlow process
  (what ``fit`` and ``score`` then do, before any decoding), warm, and the pass's time against it.

blurgen's records are a pair of encoded images: about 2 MiB for a 1280x720 pair, about 256 KiB
for 256-pixel patches; 16 KiB records are a worst case for the pass (65,536 headers per GiB).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from blurgen.shards import framing  # noqa: E402

_TF_READ = """import sys, time
import tensorflow as tf
ds = tf.data.TFRecordDataset(sys.argv[1], buffer_size=1 << 20)
for _ in ds: pass  # warm-up: the file in the page cache and the pipeline built
t = time.perf_counter()
for _ in ds: pass
print(time.perf_counter() - t)
"""


def write_shard(path: Path, gib: float, record_bytes: int) -> int:
    """A shard of about ``gib`` GiB of ``record_bytes``-byte records (random bytes); its record count."""
    framed = framing.frame(os.urandom(record_bytes))
    count = max(1, int(gib * 2**30) // len(framed))
    chunk = framed * max(1, (8 << 20) // len(framed))
    per_chunk = len(chunk) // len(framed)
    with open(path, "wb") as f:
        left = count
        while left >= per_chunk:
            f.write(chunk)
            left -= per_chunk
        f.write(framed * left)
    return count


def drop_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_all(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def header_pass(path: Path) -> None:
    (found,) = framing.check_shards([str(path)])
    assert found.ok, found.error


def timed(fn, path: Path, repeat: int, cold: bool) -> float:
    runs = []
    for _ in range(repeat):
        if cold:
            drop_cache(path)
        else:
            fn(path)  # warm: the file is in the page cache
        t = time.perf_counter()
        fn(path)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def tf_read(path: Path) -> float | None:
    proc = subprocess.run([sys.executable, "-c", _TF_READ, str(path)], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return float(proc.stdout.split()[-1]) if proc.returncode == 0 else None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gib", type=float, default=1.0)
    p.add_argument("--record-kib", default="2048,256,16")
    p.add_argument("--dir", default=tempfile.gettempdir())
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tf", action="store_true", help="also time tf.data reading the shard (TensorFlow needed)")
    args = p.parse_args(argv)
    tf_columns = f" | {'tf.data warm':>12} {'ratio':>7}" if args.tf else ""
    print(f"{'record':>9} {'records':>9} | {'pass warm':>10} {'read warm':>10} {'ratio':>7} | "
          f"{'pass cold':>10} {'read cold':>10} {'ratio':>7}" + tf_columns)
    for kib in (int(k) for k in args.record_kib.split(",")):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            path = Path(tmp) / "bench-train.tfrecord-00000-of-00001"
            count = write_shard(path, args.gib, kib << 10)
            warm = [timed(fn, path, args.repeat, cold=False) for fn in (header_pass, read_all)]
            cold = [timed(fn, path, args.repeat, cold=True) for fn in (header_pass, read_all)]
            line = (f"{kib:>5} KiB {count:>9,} | {warm[0] * 1e3:>7.1f} ms {warm[1] * 1e3:>7.1f} ms "
                    f"{warm[0] / warm[1]:>7.3f} | {cold[0] * 1e3:>7.1f} ms {cold[1] * 1e3:>7.1f} ms "
                    f"{cold[0] / cold[1]:>7.3f}")
            if args.tf:
                t = tf_read(path)
                line += f" | {t * 1e3:>9.1f} ms {warm[0] / t:>7.4f}" if t is not None else " |   (failed)"
            print(line, flush=True)
    print(f"shard of {args.gib:g} GiB in {args.dir}; medians of {args.repeat}; ratio = the pass's time / reading "
          "every byte" + (", and / tf.data reading the shard, warm" if args.tf else ""))


if __name__ == "__main__":
    main()
