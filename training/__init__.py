"""blurgen's trainer: tf.data input, the DeblurGAN generator and critic, losses, the GAN model,
metrics, and the ``fit`` / ``score`` / ``deblur`` / ``compare`` / ``describe`` / ``lpips`` commands.

This package imports TensorFlow and must never import ``tfrecord`` or ``apache_beam`` (the two
register the same protobuf messages; see ARCHITECTURE.md). It reads shards with ``tf.data`` using
the field names of :mod:`blurgen.shards.schema`.

Rooms, one role each; each registry fills itself when its package is imported:
  * :mod:`training.config`: :class:`TrainConfig`, every setting with its default and help text.
  * :mod:`training.presets`: the named presets, one file per family (``PRESETS``).
  * :mod:`training.data`: shard globs to batches of aligned crops or whole images; the header pass.
  * :mod:`training.networks`: generators and critics (``GENERATORS``, ``CRITICS``) and their layers.
  * :mod:`training.losses`: adversarial and content losses, LPIPS, DiffAugment (``ADVERSARIAL_LOSSES``,
    ``CONTENT_LOSSES``, ``CRITIC_AUGMENTS``).
  * :mod:`training.metrics`: PSNR, SSIM and the rest by a pinned protocol (``METRICS``), the report format.
  * :mod:`training.gan`: the GAN as a ``keras.Model``, its callbacks, checkpoints, curves, TensorBoard logs.
  * :mod:`training.inference`: an exported generator on images of any size, in TensorFlow, OpenVINO or
    ONNX Runtime.
  * :mod:`training.commands`: the commands, their parsers and flags, and the dispatcher.

``training/fit.py``, ``score.py``, ``deblur.py``, ``compare.py``, ``describe.py``, ``lpips.py`` and
``cli.py`` only let ``python -m training.NAME`` run :mod:`training.commands`.
"""
