"""The GAN and what runs around it in ``fit``: the ``keras.Model`` with its own ``train_step``
(:mod:`.model`), the callbacks (:mod:`.callbacks`: checkpoints, samples, health, the best
generator, collapse), checkpoints by step (:mod:`.checkpoint`), ``metrics.csv`` and ``curves.png``
(:mod:`.curves`), TensorBoard logs (:mod:`.tblog`) and sample pictures (:mod:`.pictures`)."""
