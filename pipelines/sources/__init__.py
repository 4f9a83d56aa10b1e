"""What goes in: finding and reading input files, the layouts real pairs ship in, and rejects.

* :mod:`~pipelines.sources.inputs` -- files, globs and folders through Beam's ``FileSystems``
  (local paths, ``gs://``), read whole; which split an input belongs to.
* :mod:`~pipelines.sources.layouts` -- real blurred/sharp pairs in the layouts datasets ship in.
* :mod:`~pipelines.sources.rejects` -- a rejected input: which one, what kind of problem, why.

This room imports nothing else of the pipelines; every other room may import it.
"""
