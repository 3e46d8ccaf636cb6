"""DiffusionModel: trains a noise-prediction network (DDPM) and samples it with DDPM or DDIM.

Training is the DDPM paper's Algorithm 1 (``compute_loss``): take a clean image x0, a
timestep t and noise eps, make x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, and regress
eps_theta(x_t, t) on eps. Sampling runs the reverse process from pure noise; the whole loop
over the timesteps runs inside one compiled TensorFlow function (``sample``), and an eager
step-by-step path with a progress bar runs the same loop body one step at a time.

A conditional network (``build_unet(num_classes=10)``) is trained with the labels dropped to
a null class now and then, so it also predicts unconditionally; sampling can then mix the two
predictions, eps_u + s (eps_c - eps_u), with guidance scale s (classifier-free guidance).
"""
import dataclasses
import typing

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genai_kit import checks, latent, pixels, replicas, tensorflow_messages
from genai_kit.diffusion.schedule import SAMPLERS, NoiseSchedule
from genai_kit.models import seed_state
from genai_kit.progress import progress_bar

CLASS_EMBEDDING_LAYER = "class_embedding"
NEEDS_LABELS = ("a conditional model trains on (images, labels) batches: use "
                "mnist_dataset(..., with_labels=True), or fit(images, labels)")


@dataclasses.dataclass(frozen=True)
class SamplingMode:
    """What a sampling run fixes in Python: one compiled loop per value.

    Attributes:
        sampler: "ddpm" or "ddim", the step ``NoiseSchedule.step`` takes.
        guided: whether the noise is the classifier-free guided mix (two network passes).
    """
    sampler: str
    guided: bool


class SamplingInputs(typing.NamedTuple):
    """The tensors of a sampling run, named (a NamedTuple, so tf.function reads it as is).

    Attributes:
        labels: int32 (n,), class labels (the null class, or a placeholder if unconditional).
        timesteps: int32 (num_steps,), descending, from ``NoiseSchedule.timesteps``.
        previous_timesteps: int32 (num_steps,), the timestep each step goes to (-1: clean).
        guidance_scale: float32 scalar s (used when guided).
        eta: float32 scalar, DDIM's noise level in [0, 1] (ignored by DDPM).
        seed: int32 scalar, seed of every step's noise.
    """
    labels: tf.Tensor
    timesteps: tf.Tensor
    previous_timesteps: tf.Tensor
    guidance_scale: tf.Tensor
    eta: tf.Tensor
    seed: tf.Tensor

    @classmethod
    def spec(cls):
        """The TensorSpec of each field: any n and any number of steps."""
        vector, scalar = tf.TensorSpec((None,), tf.int32), tf.TensorSpec((), tf.int32)
        return cls(labels=vector, timesteps=vector, previous_timesteps=vector,
                   guidance_scale=tf.TensorSpec((), tf.float32),
                   eta=tf.TensorSpec((), tf.float32), seed=scalar)


@keras.saving.register_keras_serializable(package="genai_kit")
class DiffusionModel(seed_state.SavesSeedState, keras.Model):
    """A denoising diffusion model: network + noise schedule + EMA copy for sampling.

    Train it with ``fit`` on images in ``value_range`` (a dataset of images, or of
    (images, labels) for a conditional network); sample with ``sample`` or, through the kit's
    sampling protocol, ``generate(latents)`` where the latents are the starting noise.

    Args:
        network: noise-prediction keras.Model from ``unet.build_unet``: inputs
            [x_t (n, H, W, C), t (n,) int32 (, labels (n,) int32)] -> eps (n, H, W, C).
        schedule: a NoiseSchedule (default: linear, T = 1000, betas 1e-4 .. 0.02).
        ema_decay: decay of the exponential moving average of the weights that sampling
            uses (warmed up as min(decay, (1 + step) / (10 + step)) so short runs work).
        class_dropout: probability of replacing a label by the null class in training.
        value_range: (low, high) of the training images, e.g. (0, 1) for ``load_mnist``
            or (-1, 1) for ``image_dataset``; the model works in [-1, 1] internally.
        sampler: default sampler of ``generate``: "ddim" or "ddpm".
        num_sampling_steps: default number of steps of ``generate``.
        eta: default DDIM noise level of ``generate`` and ``sample``, in [0, 1]: 0 is the
            deterministic DDIM, 1 adds the noise of DDPM's posterior at every step, which
            corrects part of the network's error on the way (a better FID when the network
            is imperfect).
        seed: seed of the training randomness (timesteps, noise, label dropout); its
            position is saved with the weights, so training continues after a load as it
            would have without one.

    Attributes:
        network: the trained network; ema_network: its moving average (used to sample).
        image_shape: (H, W, C); num_classes: None (unconditional) or the number of classes.
    """

    def __init__(self, network, schedule=None, ema_decay=0.999, class_dropout=0.1,
                 value_range=(0, 1), sampler="ddim", num_sampling_steps=50, seed=None,
                 eta=0.0, **kwargs):
        super().__init__(**kwargs)
        # its integer timesteps would print oneDNN's data-type notice on CPUs without AVX-512
        tensorflow_messages.use_up_onednn_data_type_notice()
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        if len(network.inputs) not in (2, 3):
            raise ValueError(
                "network must take [noisy_images, timesteps] or [noisy_images, timesteps, "
                f"class_labels], got {len(network.inputs)} inputs: build it with unet.build_unet"
            )
        self.network = network
        self.schedule = NoiseSchedule() if schedule is None else schedule
        self.ema_decay = checks.number(
            "ema_decay", ema_decay, 0.0, 1.0, high_inclusive=False,
            hint=": the share of the average kept per step, 0.999 is usual")
        self.class_dropout = checks.fraction(
            "class_dropout", class_dropout,
            hint=": the probability of dropping a label to the null class, 0.1 is usual")
        self.value_range = pixels.check_value_range(value_range)
        self.sampler = sampler
        self.num_sampling_steps = checks.integer("num_sampling_steps", num_sampling_steps,
                                                 minimum=1, hint=": 50 is usual for DDIM")
        self.seed = seed
        self.eta = checks.number("eta", eta, 0.0, 1.0,
                                 hint=" (0: deterministic DDIM, 1: DDPM's noise)")
        self.image_shape = tuple(int(size) for size in network.inputs[0].shape[1:])
        self.num_classes = None
        if len(network.inputs) == 3:
            # the embedding has one row per class plus the null class
            self.num_classes = network.get_layer(CLASS_EMBEDDING_LAYER).input_dim - 1

        self.ema_network = keras.models.clone_model(network)
        self.ema_network.set_weights(network.get_weights())
        self.ema_network.trainable = False
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self._compiled_loops = {}
        self.built = True  # the network is built already; nothing waits for a first batch

    # ------------------------------------------------------------------ protocol
    @property
    def latent_shape(self):
        """(H, W, C): a diffusion model's latent is its starting noise image."""
        return self.image_shape

    @property
    def conditional(self):
        return self.num_classes is not None

    @property
    def null_class(self):
        """The label meaning "no class" (classifier-free guidance's unconditional input)."""
        return self.num_classes

    def generate(self, latents):
        """Images from starting noise, with the default sampler and step count.

        A conditional model draws the classes 0, 1, ..., num_classes - 1, 0, ... in turn.

        Args:
            latents: standard normal noise (n, H, W, C).
        Returns:
            numpy float32 (n, H, W, C) in [0, 1].
        """
        latents = latent.check_latents(latents, self.latent_shape)
        labels = None
        if self.conditional:
            labels = np.arange(len(latents)) % self.num_classes
        return self.sample(latents=latents, class_labels=labels)

    # ------------------------------------------------------------------ training
    @property
    def metrics(self):
        return [self.loss_tracker]

    def compile(self, optimizer="adam", **kwargs):
        """``keras.Model.compile``, with the optimizer's slots built for the network now.

        Built up front, not in the first traced step: a ``fit`` that fails while tracing
        then leaves nothing half-made, the next ``fit`` works, and ``load_weights`` and
        ``BackupAndRestore`` find the slots to restore.
        """
        super().compile(optimizer=optimizer, **kwargs)
        self.optimizer.build(self.network.trainable_variables)

    def compile_from_config(self, compile_config):
        # what keras.Model does, through our compile (Keras warns about a custom compile)
        self.compile(**keras.saving.deserialize_keras_object(compile_config))

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` on images in ``value_range`` (with labels if conditional), checked.

        An array is checked whole, a tf.data.Dataset's first batch now and every batch in its
        input pipeline (a bad later batch stops ``fit`` with a ValueError): images of shape
        (n, *image_shape), finite, in ``value_range``; labels whole numbers in
        [0, num_classes). Other inputs (a PyDataset, a Python generator) are not checked.
        """
        x = checks.checked_fit_data(x, y, self._check_training_batch, self._graph_check_batch)
        kwargs = checks.without_ignored_shuffle(x, args, kwargs)
        with checks.bad_batches_as_value_errors():
            return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = checks.checked_fit_data(x, y, self._check_training_batch, self._graph_check_batch)
        with checks.bad_batches_as_value_errors():
            return super().evaluate(x, y, *args, **kwargs)

    def call(self, inputs, training=False):
        """The network's noise prediction: [x_t, t (, labels)] -> eps (n, H, W, C)."""
        return self.network(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The DDPM paper's Algorithm 1 on a batch of clean images.

        Args:
            x: clean images (n, H, W, C) in ``value_range``.
            y: class labels (n,) in [0, num_classes) for a conditional network, else None.
        Returns:
            scalar: mean squared error between the true and the predicted noise.
        """
        # 1. x0 ~ q(x0): the batch, moved to [-1, 1]
        low, high = self.value_range
        images = (ops.cast(x, "float32") - low) / (high - low) * 2.0 - 1.0
        batch_size = ops.shape(images)[0]
        # (each replica of a tf.distribute run draws its slice of the global batch's numbers)
        seed = self.seed_generator
        # 2. t ~ Uniform({0, ..., T-1})
        timesteps = replicas.draw(lambda shape: keras.random.randint(
            shape, 0, self.schedule.num_timesteps, dtype="int32", seed=seed), (batch_size,))
        # 3. eps ~ N(0, I)
        noise = replicas.draw(lambda shape: keras.random.normal(shape, seed=seed),
                              ops.shape(images))
        noisy_images = self.schedule.add_noise(images, noise, timesteps)
        inputs = [noisy_images, timesteps]
        if self.conditional:
            if y is None:
                raise ValueError(NEEDS_LABELS)
            dropped = replicas.draw(lambda shape: keras.random.uniform(shape, seed=seed),
                                    (batch_size,))
            keep = dropped >= self.class_dropout
            inputs.append(ops.where(keep, ops.cast(y, "int32"), self.null_class))
        # 4. gradient step on || eps - eps_theta(x_t, t) ||^2
        predicted_noise = ops.cast(self.network(inputs, training=training), "float32")
        return ops.mean(ops.square(noise - predicted_noise))

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, training=True)
            # the replicas' gradients are added up: each contributes its share of the mean
            replica_loss = loss / replicas.count()
        weights = self.network.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(replica_loss, weights), weights))
        self._update_ema()
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        self.loss_tracker.update_state(self.compute_loss(x=x, y=y, training=False))
        return {"loss": self.loss_tracker.result()}

    def _update_ema(self):
        step = ops.cast(self.optimizer.iterations, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for ema_weight, weight in zip(self.ema_network.weights, self.network.weights):
            ema_weight.assign(decay * ema_weight + (1.0 - decay) * weight)

    # ------------------------------------------------------------------ sampling
    def predict_noise(self, noisy_images, timesteps, class_labels=None, guidance_scale=None,
                      use_ema=True):
        """The (guided) noise prediction, for looking inside one step.

        Args:
            noisy_images: x_t (n, H, W, C) in [-1, 1] scale.
            timesteps: int (n,) or one int, in [0, T-1].
            class_labels: int (n,) for a conditional model; None = the null class.
            guidance_scale: None: one pass with ``class_labels``; s: eps_u + s (eps_c - eps_u),
                so 0 gives the unconditional and 1 the conditional prediction.
            use_ema: use the EMA weights (as sampling does) or the trained ones.
        Returns:
            numpy float32 (n, H, W, C).
        """
        noisy_images = self._check_images(noisy_images)
        labels = self._check_labels(class_labels, len(noisy_images), guidance_scale)
        timesteps = self._check_timesteps(timesteps, len(noisy_images))
        network = self.ema_network if use_ema else self.network
        scale = 1.0 if guidance_scale is None else float(guidance_scale)
        noise = self._guided_noise(network, tf.constant(noisy_images), tf.constant(timesteps),
                                   tf.constant(labels), scale, guided=guidance_scale is not None)
        return ops.convert_to_numpy(noise)

    def sample(self, num_samples=None, num_steps=None, sampler=None, eta=None,
               guidance_scale=None, class_labels=None, seed=0, latents=None,
               compiled=True, return_intermediates=False, num_intermediates=10):
        """Runs the reverse process from pure noise to images.

        Args:
            num_samples: n (or give ``latents``).
            num_steps: number of reverse steps, at most T (default: ``num_sampling_steps``).
            sampler: "ddpm" (stochastic, the paper's Algorithm 2) or "ddim" (default:
                ``self.sampler``).
            eta: DDIM noise in [0, 1], 0 = deterministic (ignored by DDPM); default: the
                model's ``eta``.
            guidance_scale: classifier-free guidance scale s (conditional models with
                ``class_labels`` only); None = plain conditional/unconditional sampling.
            class_labels: int (n,) in [0, num_classes) for a conditional model; None samples
                unconditionally.
            seed: int seed of the starting noise and of every step's noise.
            latents: starting noise (n, H, W, C); default: drawn from ``seed``.
            compiled: True runs the loop in one compiled function; False runs it eagerly,
                one step at a time, with a progress bar (the teaching path). Both run the
                same step and give the same images.
            return_intermediates: also return the images along the way.
            num_intermediates: how many intermediate images to keep (including the noise).
        Returns:
            numpy float32 (n, H, W, C) in [0, 1]; with ``return_intermediates`` also a dict
            {paper timestep t: images (n, H, W, C) in [0, 1]}, from t = T (the noise) down to
            t = 0 (the result), in that order.
        """
        sampler = self.sampler if sampler is None else sampler
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        eta = self.eta if eta is None else eta
        if not 0.0 <= float(eta) <= 1.0:
            raise ValueError(f"eta must be in [0, 1] (0: deterministic DDIM, 1: DDPM noise), got {eta}")
        num_steps = self.num_sampling_steps if num_steps is None else checks.integer(
            "num_steps", num_steps, minimum=1, maximum=self.schedule.num_timesteps,
            hint=": a trained model cannot take more steps than T")
        num_intermediates = checks.integer("num_intermediates", num_intermediates, minimum=1)
        if guidance_scale is not None:
            guidance_scale = checks.number("guidance_scale", guidance_scale,
                                           hint=": 0 is unconditional, 1 conditional, 3 usual")
        timesteps = self.schedule.timesteps(num_steps)
        previous_timesteps = self.schedule.previous_timesteps(timesteps)
        if latents is None:
            if num_samples is None:
                raise ValueError("pass num_samples or latents (the starting noise)")
            latents = latent.latent_batch(self.latent_shape, num_samples, seed=seed)
        latents = latent.check_latents(latents, self.latent_shape)
        labels = self._check_labels(class_labels, len(latents), guidance_scale)
        mode = SamplingMode(sampler=sampler, guided=guidance_scale is not None)
        inputs = SamplingInputs(
            labels=tf.constant(labels, tf.int32),
            timesteps=tf.constant(timesteps, tf.int32),
            previous_timesteps=tf.constant(previous_timesteps, tf.int32),
            guidance_scale=tf.constant(1.0 if guidance_scale is None else guidance_scale,
                                       tf.float32),
            eta=tf.constant(eta, tf.float32),
            seed=tf.constant(seed, tf.int32),
        )

        # recording is on top of the loop: run it in segments, keep the images between them
        stops = [num_steps]
        if return_intermediates:
            kept = np.round(np.linspace(0, num_steps - 1, max(num_intermediates - 1, 1)))
            stops = [int(index) + 1 for index in np.unique(kept)]
        run_steps = self._compiled_steps(mode) if compiled else self._eager_steps(mode, num_steps)
        images = tf.constant(latents, tf.float32)
        frames = {self.schedule.num_timesteps: _to_unit_range(latents)}
        start = 0
        for stop in stops:
            images = run_steps(inputs, images, tf.constant(start, tf.int32),
                               tf.constant(stop, tf.int32))
            # after step stop - 1 the images are at previous_timesteps[stop - 1]; the paper
            # counts timesteps one higher
            frames[int(previous_timesteps[stop - 1]) + 1] = _to_unit_range(images)
            start = stop
        if return_intermediates:
            return frames[0], frames
        return frames[0]

    def _reverse_step(self, mode, inputs, images, index):
        """The loop body, eager and traced alike: x_t -> x_prev at ``timesteps[index]``.

        Args:
            mode: SamplingMode, fixed while tracing.
            inputs: SamplingInputs.
            images: x_t (n, H, W, C), float32 in [-1, 1] scale.
            index: scalar int32 tensor, the step number in [0, num_steps).
        Returns:
            x_prev, float32 (n, H, W, C).
        """
        t = inputs.timesteps[index]
        predicted_noise = self._guided_noise(
            self.ema_network, images, tf.fill(tf.shape(images)[:1], t), inputs.labels,
            inputs.guidance_scale, mode.guided)
        # drawn from (seed, step) every step, also when DDIM's eta = 0 multiplies it by 0:
        # any split of the loop and both paths see the same noise
        noise = tf.random.stateless_normal(tf.shape(images), seed=tf.stack([inputs.seed, index]))
        return self.schedule.step(predicted_noise, t, images,
                                  prev_t=inputs.previous_timesteps[index], noise=noise,
                                  sampler=mode.sampler, eta=inputs.eta)

    def _eager_steps(self, mode, num_steps):
        """Steps start .. stop - 1 in a Python loop, with one progress bar for all num_steps.

        Returns:
            run(inputs, images, start, stop) -> images, called like ``_compiled_steps(mode)``.
        """
        progress = progress_bar(total=num_steps, desc=f"{mode.sampler} sampling", unit="step")

        def run(inputs, images, start, stop):
            for index in range(int(start), int(stop)):
                images = self._reverse_step(mode, inputs, images, tf.constant(index, tf.int32))
                progress.update()
            if progress.n == num_steps:
                progress.close()
            return images

        return run

    def _compiled_steps(self, mode):
        """Steps start .. stop - 1 in a tf.while_loop, one tf.function per mode.

        Traced once for any n, number of steps, guidance scale, eta, seed and segment, so a
        warm-up call serves every later call of its mode, with or without intermediates.
        """
        if mode not in self._compiled_loops:
            def run(inputs, images, start, stop):
                def body(index, images):
                    return index + 1, self._reverse_step(mode, inputs, images, index)

                _, images = tf.while_loop(lambda index, _: index < stop, body, (start, images))
                return images

            image_spec = tf.TensorSpec((None,) + self.image_shape, tf.float32)
            step_spec = tf.TensorSpec((), tf.int32)
            self._compiled_loops[mode] = tf.function(
                run, input_signature=(SamplingInputs.spec(), image_spec, step_spec, step_spec))
        return self._compiled_loops[mode]

    def _guided_noise(self, network, images, timesteps, labels, guidance_scale, guided):
        """eps(x_t, t, labels), or eps_u + s (eps_c - eps_u) in one doubled batch when guided."""
        if not self.conditional:
            return network([images, timesteps], training=False)
        if not guided:
            return network([images, timesteps, labels], training=False)
        null_labels = tf.fill(tf.shape(labels), tf.constant(self.null_class, tf.int32))
        both = network([tf.concat([images, images], 0), tf.concat([timesteps, timesteps], 0),
                        tf.concat([labels, null_labels], 0)], training=False)
        conditional_noise, unconditional_noise = tf.split(both, 2)
        return unconditional_noise + guidance_scale * (conditional_noise - unconditional_noise)

    # ------------------------------------------------------------------ checks
    def _check_images(self, images):
        # noisy images x_t: any finite values, so only the shape is checked
        return pixels.check_images(images, self.image_shape)

    def _check_timesteps(self, timesteps, num_samples):
        """int32 (n,) timesteps in [0, T-1]: one int for all images, or one per image."""
        steps = checks.float_array("timesteps", timesteps, dtype=np.float64)
        last = self.schedule.num_timesteps - 1
        if steps.size and (not np.all(np.isfinite(steps)) or np.any(steps != np.round(steps))
                           or steps.min() < 0 or steps.max() > last):
            raise ValueError(f"timesteps must be whole numbers in [0, {last}] (T = {last + 1}), "
                             f"got {np.unique(steps)[:5]}: pass t as 0-based ints, e.g. "
                             f"{last} for the noisiest step")
        if steps.ndim > 1 or steps.size not in (1, num_samples):
            raise ValueError(f"got {steps.size} timesteps for {num_samples} images: pass one "
                             "int, or one per image")
        return np.broadcast_to(steps.astype(np.int32).reshape(-1), (num_samples,))

    def _check_labels(self, class_labels, num_samples, guidance_scale):
        """int32 (n,) labels for the network: the given ones, or the null class."""
        if not self.conditional:
            if class_labels is not None or guidance_scale is not None:
                raise ValueError(
                    "this model is unconditional: class_labels and guidance_scale need a "
                    "network built with build_unet(num_classes=...)"
                )
            return np.zeros(num_samples, dtype=np.int32)  # unused placeholder
        if class_labels is None:
            if guidance_scale is not None:
                raise ValueError("guidance_scale needs class_labels: the classes to steer toward")
            return np.full(num_samples, self.null_class, dtype=np.int32)
        labels = check_class_labels(class_labels, self.num_classes)
        if len(labels) != num_samples:
            raise ValueError(f"got {len(labels)} class_labels for {num_samples} samples")
        return labels

    def _check_training_batch(self, images, labels):
        """The first training batch: images in ``value_range``, labels if conditional."""
        images = pixels.check_images(images, self.image_shape, self.value_range)
        pixels.check_uses_range(images, self.value_range,
                                hint=", or pass value_range=(0, 1) to DiffusionModel")
        if self.conditional:
            if labels is None:
                raise ValueError(NEEDS_LABELS)
            labels = check_class_labels(labels, self.num_classes)
            if len(labels) != len(images):
                raise ValueError(f"got {len(labels)} labels for {len(images)} images: pass "
                                 "one label per image")

    def _graph_check_batch(self, images, labels):
        """Every training batch, in the input pipeline: the values of images and labels."""
        image_check = pixels.graph_check_images(images, self.value_range)
        if not self.conditional or labels is None:
            return image_check
        labels = tf.cast(labels, tf.float32)
        whole_in_range = tf.reduce_all((labels >= 0) & (labels < self.num_classes)
                                       & (labels == tf.round(labels)))
        label_check = tf.debugging.Assert(whole_in_range, [
            f"{checks.IN_GRAPH_MARKER} expected class labels that are whole numbers in "
            f"[0, {self.num_classes}): check the labels of the whole dataset (0-based, one "
            "per image). This batch: smallest", tf.reduce_min(labels),
            "largest", tf.reduce_max(labels)])
        return [image_check, label_check]

    # ------------------------------------------------------------------ saving
    def get_config(self):
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
            "schedule": self.schedule.get_config(),
            "ema_decay": self.ema_decay,
            "class_dropout": self.class_dropout,
            "value_range": list(self.value_range),
            "sampler": self.sampler,
            "num_sampling_steps": self.num_sampling_steps,
            "seed": self.seed,
            "eta": self.eta,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        network = keras.saving.deserialize_keras_object(config.pop("network"))
        schedule = NoiseSchedule.from_config(config.pop("schedule"))
        return cls(network, schedule=schedule, **config)


def check_class_labels(class_labels, num_classes):
    """Class labels as int32 (n,), after checking they are whole numbers in [0, num_classes).

    Refuses -1 (which the embedding would wrap round to the null class), labels >= the
    number of classes, and fractional labels such as 2.7 (not silently truncated to 2).
    """
    labels = checks.float_array("class_labels", class_labels, dtype=np.float64).reshape(-1)
    if labels.size and (not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels))
                        or labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[~(np.isfinite(labels) & (labels == np.round(labels)) & (labels >= 0)
                       & (labels < num_classes))]
        raise ValueError(f"class_labels must lie in [0, {num_classes}) and be whole numbers, "
                         f"got {bad[:5].tolist()}: pass 0-based class indices, e.g. the digit")
    return labels.astype(np.int32)


def _to_unit_range(images):
    """Images in [-1, 1] (tensor or array) -> numpy float32 in [0, 1]."""
    return pixels.to_unit_range(ops.convert_to_numpy(images), pixels.TANH_RANGE)
