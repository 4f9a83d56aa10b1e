"""blurgen's trainer: tf.data input, the DeblurGAN generator and critic, losses, the GAN model,
and the ``fit`` / ``score`` / ``deblur`` commands.

This package imports TensorFlow and must never import ``tfrecord`` or ``apache_beam`` (the two
register the same protobuf messages; see ARCHITECTURE.md). It reads shards with ``tf.data`` using
the field names of :mod:`blurgen.schema`.

Modules, one role each:
  * :mod:`training.config`: :class:`TrainConfig` (every setting and its default) and ``PRESETS``.
  * :mod:`training.data`: shard globs to batches of aligned crops, or to whole images for scoring.
  * :mod:`training.integrity`: the header pass before tf.data opens a shard; errors naming a damaged one.
  * :mod:`training.networks`: generator and critic factories (``GENERATORS``, ``CRITICS`` registries).
  * :mod:`training.losses`: adversarial and content losses (``ADVERSARIAL_LOSSES``, ``CONTENT_LOSSES``).
  * :mod:`training.gan`: the GAN as a ``keras.Model`` with its own ``train_step``.
  * :mod:`training.fit`, :mod:`training.score`, :mod:`training.deblur`: the commands.
  * :mod:`training.metrics`: PSNR and SSIM by the pinned protocol (numpy, equal to skimage).
  * :mod:`training.inference`: load an exported generator and run it on images of any size.
  * :mod:`training.backends`: the runtimes inference runs in (TensorFlow, OpenVINO, ONNX Runtime).
  * :mod:`training.onnx_export`: a Keras generator written as an ONNX graph, layer for layer.
  * :mod:`training.cpu`: the CPU's model and instruction-set flags (bfloat16 or not).
  * :mod:`training.checkpoint`: save and restore every weight and optimiser slot by step.
  * :mod:`training.tblog`: TensorBoard scalars and images without the tensorboard package.
  * :mod:`training.presets`: the published variants' parts joined to the registries by name.
"""
