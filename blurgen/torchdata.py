"""Read blurgen shards in PyTorch: :class:`PairDataset`, a ``torch.utils.data.IterableDataset``.

    from torch.utils.data import DataLoader
    from blurgen.torchdata import PairDataset

    train = PairDataset("shards/*-train.tfrecord-*", crop=256, seed=0, shuffle=True)
    for epoch in range(epochs):
        train.set_epoch(epoch)                  # fresh shuffles and crops each epoch
        for blurred, sharp in DataLoader(train, batch_size=16, num_workers=4):
            ...                                 # float32 (16, 3, 256, 256) in [0, 1]

    test = PairDataset("shards/*-test.tfrecord-*")  # whole images, in a fixed order
    loader = DataLoader(test, batch_size=None)      # images differ in size: no batching

Each record is read once per epoch across the ``DataLoader``'s workers (and across
``torch.distributed`` ranks): the shard files are split among them (records, where there are
fewer files than readers). Every record's checksums are verified, and no length is trusted
beyond the file's end or the ceiling for one record (``max_record``); a corrupt record raises an
error naming its shard, record and byte offset. The reading, splitting and cropping live in
:mod:`blurgen.shards.reader` (no torch); this module only turns its arrays into tensors.

torch is optional (``pip install 'blurgen[torch]'``) and imported here only: ``import blurgen``
does not import it. The reader parses records with the ``tfrecord`` package's protos, so do not
use it in a process that has imported TensorFlow (the two cannot share a process).
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ModuleNotFoundError as exc:  # pragma: no cover - exercised where torch is absent
    if exc.name != "torch":
        raise
    raise ModuleNotFoundError("blurgen.torchdata needs PyTorch: pip install 'blurgen[torch]' "
                              "(or pip install torch)", name="torch") from None

from blurgen.shards import framing
from blurgen.shards import reader


def to_tensor(img: np.ndarray) -> "torch.Tensor":
    """HxWx3 uint8 to a float32 ``(3, H, W)`` tensor in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255.0)


def _rank() -> tuple[int, int]:
    """``(rank, world size)`` of ``torch.distributed`` where it is initialised, else ``(0, 1)``."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class PairDataset(IterableDataset):
    """``(blurred, sharp)`` pairs of blurgen shards as float32 ``(3, H, W)`` tensors in [0, 1].

    Args:
      pattern: comma-separated shard globs, or a list of them (local paths or ``gs://``).
      crop: side in px of the aligned random crop (same window and horizontal flip for both
        images; smaller images are mirror-padded first); None yields whole images.
      seed: the seed of shuffles and crops; with :meth:`set_epoch`, epoch ``e`` of a run draws
        from ``(seed, e)``, so runs repeat exactly.
      shuffle: permute the shards each epoch and mix records through a buffer of
        ``shuffle_buffer``; False reads them in file order.
      with_key: yield ``(blurred, sharp, key)`` instead of ``(blurred, sharp)``.
      max_record: the most bytes one record may claim (None: ``$BLURGEN_MAX_RECORD_MIB`` MiB, or
        256 MiB); a larger length is refused as corrupt before anything is allocated for it.

    Raises:
      ValueError: a glob that matches no shard, or a ``max_record`` that is not a positive size.
      blurgen.shards.framing.CorruptRecordError: while iterating, a damaged record, naming its shard,
        index and byte offset.
    """

    def __init__(self, pattern: str | Sequence[str], crop: int | None = None, seed: int = 0,
                 shuffle: bool = False, shuffle_buffer: int = reader.DEFAULT_SHUFFLE_BUFFER,
                 with_key: bool = False, max_record: int | None = None):
        super().__init__()
        if crop is not None and crop < 1:
            raise ValueError(f"crop must be a positive number of pixels or None, got {crop}")
        self.files = reader.list_shards(pattern)
        self.max_record = framing.max_record_bytes(max_record)  # a bad setting fails here, not in a worker
        self.crop, self.seed, self.shuffle = crop, seed, shuffle
        self.shuffle_buffer, self.with_key = shuffle_buffer, with_key
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the shuffles and crops of epoch ``epoch`` (call it before each epoch's loop)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[tuple]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        rank, world = _rank()
        pairs = reader.iter_pairs(self.files, crop=self.crop, seed=self.seed, epoch=self.epoch,
                                  shuffle=self.shuffle, part=rank * workers + worker, parts=world * workers,
                                  shuffle_buffer=self.shuffle_buffer, max_record=self.max_record)
        for pair in pairs:
            item = (to_tensor(pair["blurred"]), to_tensor(pair["sharp"]))
            yield (*item, pair["key"]) if self.with_key else item
