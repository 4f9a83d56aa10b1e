"""Input: shard globs to tf.data batches of aligned crops (training) or whole images (scoring)
(:mod:`.shards`), after a header pass over every shard that refuses a damaged one by name
(:mod:`.integrity`)."""


def __getattr__(name: str):
    """``from training.data import train_dataset, eval_dataset`` (the public paths) without
    importing TensorFlow until one of :mod:`.shards`' names is asked for."""
    if name.startswith("__") or name in ("shards", "integrity"):
        raise AttributeError(name)
    import importlib

    try:
        return getattr(importlib.import_module("training.data.shards"), name)
    except AttributeError:
        raise AttributeError(f"module 'training.data' has no attribute {name!r}") from None
