"""The per-item work: one input in, its pairs (or one reject) out, and the PTransform that runs it.

* :mod:`~pipelines.items.synthesize` -- one sharp photo to its synthetic pairs (``synth``).
* :mod:`~pipelines.items.realpairs` -- one real blurred/sharp pair to its examples (``pairs``).
* :mod:`~pipelines.items.crops` -- aligned patches and their size checks.
* :mod:`~pipelines.items.transforms` -- ``ProcessInputs``: every input into pairs or one reject,
  dead-lettered, counted.
* :mod:`~pipelines.items.progress` -- the counters a run reads while it runs.

The video command's per-item work lives with the rest of the video code, in :mod:`pipelines.footage`.
Imports :mod:`pipelines.sources` and :mod:`pipelines.shards`.
"""
