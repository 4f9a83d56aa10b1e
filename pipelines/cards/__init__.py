"""What a person reads about a dataset, and its Hugging Face form: the dataset card, its
statistics and pictures, the contact sheet, and the Parquet files of ``blurgen export``.

* :mod:`~pipelines.cards.datacard` -- make a card: gather the facts, draw, render, write.
* :mod:`~pipelines.cards.card`, :mod:`~pipelines.cards.cardmeta` -- the card's text and its YAML header.
* :mod:`~pipelines.cards.cardfiles` -- ``README.md`` and ``card/``, written whole or not at all.
* :mod:`~pipelines.cards.stats`, :mod:`~pipelines.cards.cardpictures` -- one streaming pass over the
  records, and its pictures.
* :mod:`~pipelines.cards.sheet` -- the contact sheet of ``blurgen inspect --sheet``.
* :mod:`~pipelines.cards.hubcolumns`, :mod:`~pipelines.cards.parquet` -- the Hub's columns, and the
  pairs as Parquet files.

Imports :mod:`pipelines.sources`, :mod:`pipelines.shards` and :mod:`pipelines.footage`.
"""
