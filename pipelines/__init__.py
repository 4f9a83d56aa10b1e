"""Apache Beam pipelines that turn photos and real blurred/sharp pairs into TFRecord shards.

* :mod:`pipelines.synth` -- sharp photos in, synthetic blurred/sharp pairs out (``blurgen synth``).
* :mod:`pipelines.pairs` -- real pairs (GoPro, two folders, RealBlur lists, side-by-side A|B).
* :mod:`pipelines.video` -- sharp video (files or frame folders) in, frame-averaged pairs out (``blurgen video``).
* :mod:`pipelines.inspection` -- check a written dataset and draw a contact sheet (``blurgen inspect``).

This package never imports TensorFlow: Examples are built with the ``tfrecord`` package's protos
(see ARCHITECTURE.md, "the process boundary").
"""
