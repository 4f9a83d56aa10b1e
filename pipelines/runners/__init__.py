"""Running a pipeline: the launcher every command shares and what Flink and Spark need.

* :mod:`~pipelines.runners.launch` -- split flags, prepare ``--out``, run, report, decide the exit code.
* :mod:`~pipelines.runners.engines` -- Beam's Flink and Spark runners and the engines, fetched with
  Maven from the pinned poms in ``maven/`` (``python -m pipelines.engines fetch``, ``make engines``).
* :mod:`~pipelines.runners.worker` -- ``blurgen-worker``, the SDK worker of a PROCESS environment.
* :mod:`~pipelines.runners.localcluster` -- local Flink and Spark clusters of separate processes.

Imports :mod:`pipelines.sources`, :mod:`pipelines.shards` and :mod:`pipelines.items`.
"""
