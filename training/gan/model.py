"""The GAN as one ``keras.Model``: ``fit`` drives it, ``train_step`` holds one generator update
and its critic updates, ``test_step`` scores the generator, losses are tracked as metrics.

Works under ``tf.distribute.MirroredStrategy`` (build and compile inside ``strategy.scope()``):
each replica's losses are divided by the number of replicas because the optimiser sums the
replicas' gradients. Under mixed precision the optimisers are ``LossScaleOptimizer``s and
``scale_loss`` keeps small float16 gradients from vanishing; on full precision it is a no-op.
"""
from __future__ import annotations


import keras
import tensorflow as tf

from training import losses as losses_mod
from training import networks
from training.losses import adversarial
from training.config import TrainConfig


@keras.saving.register_keras_serializable(package="blurgen")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``lr`` until generator step ``start``, then linearly down to 0 over ``length`` steps
    (DeblurGAN's schedule; ``length`` 0 keeps ``lr``). The optimiser passes its own update count,
    which is ``updates_per_step`` times the generator's step for a critic updated that many times
    per generator step, so both optimisers follow one schedule. The count lives in the
    optimiser's state, which checkpoints save, so a resumed run continues the schedule."""

    def __init__(self, lr: float, start: int, length: int, updates_per_step: int = 1):
        self.lr, self.start, self.length = float(lr), int(start), int(length)
        self.updates_per_step = int(updates_per_step)

    def __call__(self, iterations):
        if self.length == 0:
            return tf.constant(self.lr, tf.float32)
        step = tf.math.floordiv(tf.cast(iterations, tf.int64), self.updates_per_step)
        done = tf.cast(step - self.start, tf.float32) / float(self.length)
        return self.lr * (1.0 - tf.clip_by_value(done, 0.0, 1.0))

    def get_config(self):
        return {"lr": self.lr, "start": self.start, "length": self.length, "updates_per_step": self.updates_per_step}


def make_optimizer(cfg: TrainConfig, updates_per_step: int = 1) -> keras.optimizers.Optimizer:
    """Adam with ``cfg``'s betas and learning-rate schedule (:class:`LinearDecay`);
    ``updates_per_step``: this optimiser's updates per generator step (the critic's: ``critic_steps``)."""
    start, length = cfg.lr_schedule()
    schedule = LinearDecay(cfg.lr, start, length, updates_per_step)
    opt = keras.optimizers.Adam(learning_rate=schedule, beta_1=cfg.beta1, beta_2=cfg.beta2)
    return keras.optimizers.LossScaleOptimizer(opt) if cfg.mixed_precision else opt


class DeblurGAN(keras.Model):
    """Generator + critic + losses of one :class:`TrainConfig`.

    ``call(blurred)`` is the generator (float [-1, 1], ``[batch, H, W, 3]``, H and W multiples of 4).
    Data for ``fit``/``evaluate``: ``(blurred, sharp)`` batches as :func:`training.data.shards.train_dataset` gives.
    The critic is trained only when ``cfg.adversarial_weight > 0``.
    """

    def __init__(self, cfg: TrainConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.generator = networks.build_generator(cfg)
        self.adversarial = cfg.adversarial_weight > 0
        self.critic = networks.build_critic(cfg) if self.adversarial else None
        self.adv_loss = losses_mod.build_adversarial_loss(cfg)
        self.content_loss = losses_mod.build_content_loss(cfg)
        self.critic_augment = losses_mod.build_critic_augment(cfg) if self.adversarial else None
        names = ["g_loss", "content", *cfg.content_losses, "psnr"] + (["clipped"] if cfg.grad_clip else [])
        # The running mean of the generator's gradient norm (0 until the first step), for grad_clip.
        self.grad_norm = self.add_weight(name="grad_norm", shape=(), initializer="zeros", trainable=False,
                                         dtype="float32") if cfg.grad_clip else None
        if self.adversarial:
            names += ["g_adv", "d_loss"] + (["gp"] if self.adv_loss.gradient_penalty else [])
        self.trackers = {n: keras.metrics.Mean(name=n) for n in dict.fromkeys(names)}

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam by ``cfg`` unless optimisers are given; both are built here, so their state
        exists before a checkpoint is restored into it."""
        self.g_optimizer = g_optimizer or make_optimizer(self.cfg)
        self.d_optimizer = ((d_optimizer or make_optimizer(self.cfg, self.cfg.critic_steps))
                            if self.adversarial else None)
        self.g_optimizer.build(self.generator.trainable_variables)
        if self.d_optimizer is not None:
            self.d_optimizer.build(self.critic.trainable_variables)
        # Keras' own optimizer slot is the generator's: model.optimizer.iterations is the step count.
        super().compile(optimizer=self.g_optimizer, **kwargs)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def step(self) -> int:
        return int(self.g_optimizer.iterations.numpy())

    def call(self, blurred, training=False):
        return self.generator(blurred, training=training)

    def _critic_input(self, images):
        return self.critic_augment(images) if self.critic_augment is not None else images

    def _critic_update(self, blurred, sharp, fake, replicas):
        sharp, fake = self._critic_input(sharp), self._critic_input(fake)
        with tf.GradientTape() as tape:
            real_s = self.critic(sharp, training=True)
            fake_s = self.critic(fake, training=True)
            d_loss = self.adv_loss.critic(real_s, fake_s)
            gp = tf.constant(0.0)
            if self.adv_loss.gradient_penalty:
                gp = adversarial.gradient_penalty(self.critic, sharp, fake)
                d_loss = d_loss + self.cfg.gp_weight * gp
            scaled = self.d_optimizer.scale_loss(d_loss / replicas)
        grads = tape.gradient(scaled, self.critic.trainable_variables)
        self.d_optimizer.apply(grads, self.critic.trainable_variables)
        return d_loss, gp

    def train_step(self, data):
        blurred, sharp = data[0], data[1]  # fit gives (x, y); train_on_batch adds a sample weight
        replicas = tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, tf.float32)
        with tf.GradientTape() as tape:
            fake = self.generator(blurred, training=True)
            if self.adversarial:
                # The critic's updates use this same restoration (DeblurGAN computes it once per
                # iteration too) and must not be recorded on the generator's tape.
                with tape.stop_recording():
                    fixed = tf.stop_gradient(tf.cast(fake, tf.float32))
                    for _ in range(self.cfg.critic_steps):
                        d_loss, gp = self._critic_update(blurred, sharp, fixed, replicas)
            terms = self.content_loss(sharp, fake)
            g_loss = terms["content"]
            if self.adversarial:
                g_adv = self.adv_loss.generator(self.critic(self._critic_input(fake), training=True))
                g_loss = g_loss + self.cfg.adversarial_weight * g_adv
            scaled = self.g_optimizer.scale_loss(g_loss / replicas)
        grads = tape.gradient(scaled, self.generator.trainable_variables)
        values = {"g_loss": g_loss, **terms, "psnr": batch_psnr(sharp, fake)}
        if self.grad_norm is not None:
            grads, values["clipped"] = self._clip(grads)
        self.g_optimizer.apply(grads, self.generator.trainable_variables)

        if self.adversarial:
            values.update(g_adv=g_adv, d_loss=d_loss)
            if self.adv_loss.gradient_penalty:
                values["gp"] = gp
        return self._update(values)

    def _clip(self, grads):
        """The gradients scaled down to at most ``grad_clip`` times the running mean of their global
        norm, and 1.0 where they were scaled (else 0.0).

        Adam divides each step by a running root mean square of past gradients, so gradients many
        times the usual move every weight by several learning rates at once, and a network without
        normalisation can run its outputs off the image range and stay there (seen on the ``cpu``
        preset: training PSNR 34.9 dB at step 1,200, 13.7 at 1,300; with the clip, which scaled 41 of
        those 100 steps, 28.2 dB and back to 33.9 by step 1,400). Scaling such gradients down to a
        few times the usual norm keeps their direction and bounds the step; the mean follows the
        (clipped) norms with a factor of 0.99 per step. A non-finite norm (a mixed precision
        overflow, which the optimiser then skips) leaves the mean as it was.
        """
        norm = tf.linalg.global_norm(grads)
        mean = self.grad_norm
        limit = tf.where(mean > 0, self.cfg.grad_clip * mean, norm)
        factor = tf.minimum(1.0, limit / tf.maximum(norm, 1e-30))
        kept = tf.minimum(norm, limit)
        mean.assign(tf.where(tf.math.is_finite(norm), tf.where(mean > 0, 0.99 * mean + 0.01 * kept, kept), mean))
        clipped = tf.cast(factor < 1.0, tf.float32)
        return [None if g is None else g * tf.cast(factor, g.dtype) for g in grads], clipped

    def test_step(self, data):
        blurred, sharp = data[0], data[1]  # fit gives (x, y); train_on_batch adds a sample weight
        fake = self.generator(blurred, training=False)
        terms = self.content_loss(sharp, fake)
        return self._update({"g_loss": terms["content"], **terms, "psnr": batch_psnr(sharp, fake)})

    def _update(self, values):
        for name, value in values.items():
            if name in self.trackers:
                self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items() if name in values}


def batch_psnr(sharp: tf.Tensor, restored: tf.Tensor) -> tf.Tensor:
    """Mean PSNR (dB, peak 255) of a batch of float [-1, 1] images, quantised to uint8 as saved
    images would be. For monitoring; scores come from :mod:`training.metrics.protocol`."""
    a = tf.round((tf.clip_by_value(tf.cast(sharp, tf.float32), -1, 1) + 1) * 127.5)
    b = tf.round((tf.clip_by_value(tf.cast(restored, tf.float32), -1, 1) + 1) * 127.5)
    mse = tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])
    return tf.reduce_mean(10.0 * tf.math.log(255.0 ** 2 / tf.maximum(mse, 1e-10)) / tf.math.log(10.0))
