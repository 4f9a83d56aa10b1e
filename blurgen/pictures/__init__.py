"""Pictures for people, without matplotlib or TensorFlow (RGB uint8 arrays).

* ``preview.py``: kernel galleries, blurred/sharp panels, contact sheets, rows of titled images,
  and their titles and labels; every picture a person looks at is laid out here.
* ``charts.py``: histograms, bar charts and axis ticks (the dataset card's statistics, the
  trainer's curves).
"""
