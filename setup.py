"""Kept for Apache Beam's ``--setup_file`` (it runs ``python setup.py sdist`` to ship the
package to Dataflow, Flink or Spark workers); all metadata lives in ``setup.cfg``."""
from setuptools import setup

setup()
