"""Input: shard globs to tf.data batches of aligned crops (training) or whole images (scoring)
(:mod:`.shards`), after a header pass over every shard that refuses a damaged one by name
(:mod:`.integrity`)."""
