"""Read a blurgen dataset with TensorFlow, in its own process (tfrecord and TensorFlow cannot share one).

    python tf_readback.py DATASET_DIR EXPECTED.npz

``EXPECTED.npz`` holds, for the i-th key of its ``keys`` array, ``blurred_i``, ``sharp_i`` and
``kernel_i`` as the test process decoded them. Prints one JSON object: what ``tf.data`` +
``tf.io.parse_single_example`` and ``tfds.builder_from_directory`` saw and every mismatch.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_datasets as tfds  # noqa: E402

from blurgen.shards import schema  # noqa: E402


def feature_spec():
    dtypes = {schema.BYTES: tf.string, schema.INT64: tf.int64, schema.FLOAT: tf.float32}
    return {f.name: (tf.io.FixedLenFeature([], dtypes[f.kind]) if f.length == schema.FIXED
                     else tf.io.VarLenFeature(dtypes[f.kind])) for f in schema.FIELDS}


def compare(expected, key, blurred, sharp, kernel, where, mismatches):
    i = expected["index"].get(key)
    if i is None:
        mismatches.append(f"{where}: unexpected key {key}")
        return
    for name, got in (("blurred", blurred), ("sharp", sharp)):
        want = expected["npz"][f"{name}_{i}"]
        if got.shape != want.shape or not np.array_equal(got, want):
            mismatches.append(f"{where}: {key} {name} pixels differ")
    want_k = expected["npz"][f"kernel_{i}"]
    if kernel is not None and (kernel.size != want_k.size or not np.array_equal(kernel.ravel(), want_k.ravel())):
        mismatches.append(f"{where}: {key} kernel differs")


def with_tf_data(root, info, expected):
    spec, seen, mismatches = feature_spec(), [], []
    for split in info["splits"]:
        n = len(split["shardLengths"])
        files = [os.path.join(root, schema.shard_name(info["name"], split["name"], i, n)) for i in range(n)]
        for raw in tf.data.TFRecordDataset(files):
            ex = tf.io.parse_single_example(raw, spec)
            key = ex[schema.KEY].numpy().decode()
            shape = tf.sparse.to_dense(ex[schema.KERNEL_SHAPE]).numpy()
            kernel = tf.sparse.to_dense(ex[schema.KERNEL]).numpy()
            kernel = kernel.reshape(shape) if shape.size else kernel
            blurred = tf.io.decode_image(ex[schema.BLURRED], channels=3).numpy()
            sharp = tf.io.decode_png(ex[schema.SHARP], channels=3).numpy()
            if (int(ex[schema.HEIGHT]), int(ex[schema.WIDTH])) != sharp.shape[:2]:
                mismatches.append(f"tf.data: {key} height/width differ from the image")
            compare(expected, key, blurred, sharp, kernel, "tf.data", mismatches)
            seen.append(key)
    return {"records": len(seen), "keys": sorted(seen), "mismatches": mismatches}


def with_tfds(root, expected):
    builder = tfds.builder_from_directory(root)
    splits = {name: s.num_examples for name, s in builder.info.splits.items()}
    seen, mismatches, kernel_shapes, supervised = [], [], set(), 0
    for name in splits:
        keyed = {}
        for ex in builder.as_dataset(split=name):
            key = ex[schema.KEY].numpy().decode()
            compare(expected, key, ex[schema.BLURRED].numpy(), ex[schema.SHARP].numpy(),
                    ex[schema.KERNEL].numpy(), "tfds", mismatches)
            kernel_shapes.add(tuple(ex[schema.KERNEL].shape))
            keyed[key] = (ex[schema.BLURRED].numpy(), ex[schema.SHARP].numpy())
            seen.append(key)
        # as_supervised=True: (blurred, sharp) in the same order as the examples
        for (blurred, sharp), key in zip(builder.as_dataset(split=name, as_supervised=True), keyed):
            want_b, want_s = keyed[key]
            if np.array_equal(blurred.numpy(), want_b) and np.array_equal(sharp.numpy(), want_s):
                supervised += 1
            else:
                mismatches.append(f"tfds as_supervised: {key} is not (blurred, sharp)")
    return {"splits": splits, "records": len(seen), "mismatches": mismatches, "supervised": supervised,
            "supervised_keys": list(builder.info.supervised_keys or ()),
            "kernel_shapes": sorted(kernel_shapes)}


def main():
    root, expected_path = sys.argv[1], sys.argv[2]
    with open(os.path.join(root, "dataset_info.json")) as f:
        info = json.load(f)
    npz = np.load(expected_path)
    expected = {"npz": npz, "index": {str(k): i for i, k in enumerate(npz["keys"])}}
    print(json.dumps({"tf_data": with_tf_data(root, info, expected), "tfds": with_tfds(root, expected)}))


if __name__ == "__main__":
    main()
