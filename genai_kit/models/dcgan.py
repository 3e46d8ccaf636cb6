"""The DCGAN of assignment 4: a 64x64 colour-image generator, its discriminator, and the game.

The generator is the forger: noise (n, 100) -> images (n, 64, 64, 3) in [-1, 1].
The discriminator is the detective: images -> one logit per image; sigmoid(logit) is the
probability it gives to "this image is real".

The widths are exactly the assignment's: a Dense layer of 16,384 = 8x8x256 units, transposed
convolutions of 128, 64 and 32 filters (each with batch normalization and LeakyReLU), and a
discriminator of 32, 128 and 256 convolution filters, Flatten and a Dense layer of one unit.

``DCGAN`` trains the two networks against each other with two ``GradientTape``s in one
``train_step``, the loop of the TensorFlow DCGAN tutorial:

    1. draw noise z and make fakes G(z);
    2. the discriminator scores the real batch and the fakes;
    3. d_loss = BCE(real -> 1, fake -> 0), g_loss = BCE(fake -> 1) (the non-saturating loss);
    4. each network takes one Adam step on its own loss.

Both gradients come from one forward pass (a simultaneous update). keras.io's DCGAN example
updates alternately: it makes a second batch of fakes after the discriminator's step, one
more generator pass per step (``benchmarks/dcgan_throughput.py`` measures the cost).

Speed on a CPU. Batch normalization runs in TensorFlow's fused kernel
(``FusedBatchNormalization``, the Keras layer's arithmetic in one pass). On a CPU with
bfloat16 instructions (AVX512-BF16 or AMX) and no GPU, both networks compute in mixed
bfloat16 by default (``dtype_policy="auto"``): activations in bfloat16, which oneDNN
multiplies natively there, while the weights, Adam's state, the batch statistics, the tanh
output, the logits and the losses stay float32. Pass ``dtype_policy="float32"`` for full
precision everywhere.

Example:
    >>> gan = dcgan.DCGAN(dcgan.build_dcgan_generator(), dcgan.build_dcgan_discriminator())
    >>> gan.compile(generator_optimizer=dcgan.default_optimizer(),
    ...             discriminator_optimizer=dcgan.default_optimizer())
    >>> gan.fit(images_dataset, epochs=400)      # batches of (n, 64, 64, 3) in [-1, 1]
    >>> samples = gan.generate(np.random.normal(size=(16, 100)))   # (16, 64, 64, 3) in [0, 1]
"""
import contextlib

import keras
import tensorflow as tf
from keras import layers, ops

from genai_kit import batches, checks, latent, pixels, replicas
from genai_kit.models import seed_state
from genai_kit.models.batch_normalization import FusedBatchNormalization
from genai_kit.precision import resolve_dtype_policy  # noqa: F401  (the DCGAN's policies)

# architecture of assignment 4
LATENT_DIM = 100
GENERATOR_BASE_CHANNELS = 256  # 8 x 8 x 256 = 16,384 units in the Dense layer
GENERATOR_FILTERS = (128, 64, 32)
IMAGE_SIZE = 8 * 2 ** len(GENERATOR_FILTERS)  # 64: each transposed convolution doubles 8
DISCRIMINATOR_FILTERS = (32, 128, 256)
KERNEL_SIZE = 4  # divisible by the stride 2: no checkerboard pattern from the transposed convs
LEAKY_SLOPE = 0.2
BATCH_NORM_MOMENTUM = 0.9

# optimization of assignment 4, plus the DCGAN paper's beta_1 = 0.5
LEARNING_RATE = 1e-4
BETA_1 = 0.5


def build_dcgan_generator(
    latent_dim=LATENT_DIM,
    base_channels=GENERATOR_BASE_CHANNELS,
    filters=GENERATOR_FILTERS,
    channels=3,
    batch_norm_momentum=BATCH_NORM_MOMENTUM,
    dtype_policy="auto",
    name="generator",
):
    """The forger: noise -> images.

    Dense(8 * 8 * base_channels) reshaped to (8, 8, base_channels), then one stride-2
    transposed convolution per entry of ``filters`` (each doubles the size; batch
    normalization and LeakyReLU after each), then a 5x5 convolution to ``channels`` and tanh.

    Args:
        latent_dim: int, length of the noise vector (100 in the assignment).
        base_channels: int, channels of the 8x8 map the Dense layer is reshaped to (256).
        filters: tuple of ints, filters of the transposed convolutions ((128, 64, 32)).
        channels: int, 3 for colour images.
        batch_norm_momentum: momentum of the moving statistics that sampling
            (``training=False``) uses. 0.9 (PyTorch's default, the DCGAN paper's code)
            keeps up with a generator that changes fast; Keras' 0.99 lags hundreds of steps
            behind it, and early samples then look washed out.
        dtype_policy: "auto" (mixed bfloat16 on a CPU that computes it natively, see
            ``resolve_dtype_policy``), "float32" or another Keras dtype policy.
    Returns:
        keras.Model mapping (n, latent_dim) to float32 (n, S, S, channels) in [-1, 1],
        with S = 8 * 2 ** len(filters) (64 by default).
    """
    latent_dim = checks.integer("latent_dim", latent_dim, minimum=1,
                                hint=": the length of the noise vector, 100 in the assignment")
    base_channels = checks.integer("base_channels", base_channels, minimum=1)
    channels = checks.integer("channels", channels, minimum=1, hint=": 3 for colour images")
    if not filters:
        raise ValueError(f"expected at least one filter count, got filters={filters}: "
                         f"the assignment uses {GENERATOR_FILTERS}")
    filters = tuple(checks.integer("each of filters", width, minimum=1) for width in filters)
    policy = resolve_dtype_policy(dtype_policy)
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = layers.Dense(8 * 8 * base_channels, use_bias=False, dtype=policy, name="project")(noise)
    x = layers.Reshape((8, 8, base_channels), dtype=policy, name="reshape")(x)
    x = FusedBatchNormalization(momentum=batch_norm_momentum, dtype=policy, name="project_bn")(x)
    x = layers.LeakyReLU(LEAKY_SLOPE, dtype=policy, name="project_leaky_relu")(x)
    for index, width in enumerate(filters, start=1):
        # the batch normalization right after makes a bias redundant
        x = layers.Conv2DTranspose(
            width, KERNEL_SIZE, strides=2, padding="same", use_bias=False, dtype=policy,
            name=f"upsample_{index}",
        )(x)
        x = FusedBatchNormalization(
            momentum=batch_norm_momentum, dtype=policy, name=f"upsample_{index}_bn"
        )(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, dtype=policy, name=f"upsample_{index}_leaky_relu")(x)
    x = layers.Conv2D(channels, 5, padding="same", dtype=policy, name="to_image")(x)
    # the images leave in float32 whatever the policy: they are what students plot and save
    images = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(noise, images, name=name)


def build_dcgan_discriminator(
    image_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), filters=DISCRIMINATOR_FILTERS, dtype_policy="auto",
    name="discriminator",
):
    """The detective: images -> one logit each.

    One stride-2 convolution with LeakyReLU per entry of ``filters`` (each halves the size),
    Flatten, and Dense(1). The Dense layer gives a logit: sigmoid(logit) is the probability
    that the image is real. Logits keep the cross-entropy stable when the detective is sure.

    Args:
        image_shape: (height, width, channels) of the images, (64, 64, 3) by default.
        filters: tuple of ints, filters of the convolutions ((32, 128, 256)).
        dtype_policy: "auto", "float32" or another Keras dtype policy, as for the generator.
    Returns:
        keras.Model mapping (n, *image_shape) in [-1, 1] to float32 logits (n, 1).
    """
    if len(image_shape) != 3 or not filters:
        raise ValueError(
            f"expected image_shape=(height, width, channels) and at least one filter count, "
            f"got image_shape={image_shape}, filters={filters}"
        )
    policy = resolve_dtype_policy(dtype_policy)
    images = keras.Input(shape=tuple(image_shape), name="images")
    x = images
    for index, width in enumerate(filters, start=1):
        x = layers.Conv2D(
            width, KERNEL_SIZE, strides=2, padding="same", dtype=policy, name=f"downsample_{index}"
        )(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, dtype=policy, name=f"downsample_{index}_leaky_relu")(x)
    x = layers.Flatten(dtype=policy, name="flatten")(x)
    # the logit in float32: the cross-entropy of a sure detective needs its full range
    logits = layers.Dense(1, dtype="float32", name="real_logit")(x)
    return keras.Model(images, logits, name=name)


def default_optimizer(learning_rate=LEARNING_RATE, beta_1=BETA_1):
    """Adam with the assignment's learning rate 1e-4 and the DCGAN paper's beta_1 = 0.5.

    The default beta_1 = 0.9 remembers gradients over ~10 steps; the game moves faster
    than that, and a long memory makes the two players overshoot each other.

    Args:
        learning_rate: float > 0.
        beta_1: float in [0, 1), the share of the gradient's running average kept per step.
    """
    learning_rate = checks.number("learning_rate", learning_rate, low=0.0, low_inclusive=False,
                                  hint=f": the step goes against the gradient only for a "
                                       f"positive rate; the assignment uses {LEARNING_RATE}")
    beta_1 = checks.number("beta_1", beta_1, 0.0, 1.0, high_inclusive=False,
                           hint=f": the DCGAN paper uses {BETA_1}, Adam's default is 0.9")
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1)


@contextlib.contextmanager
def _remapper_off():
    """Grappler's remapper is off for graphs optimized inside the block, on again after it."""
    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    tf.config.optimizer.set_experimental_options({"remapping": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"remapping": before})


@keras.saving.register_keras_serializable(package="genai_kit")
class DCGAN(seed_state.SavesSeedState, keras.Model):
    """The generator and the discriminator trained against each other.

    Args:
        generator: keras.Model, noise (n, latent_dim) -> images in [-1, 1]
            (default: ``build_dcgan_generator()``).
        discriminator: keras.Model, images -> logits (n, 1)
            (default: ``build_dcgan_discriminator()`` for the generator's image shape).
        label_smoothing: float in [0, 1), one-sided: the discriminator's target for real
            images is ``1 - label_smoothing`` (0.1 is common); fakes stay at 0.
        instance_noise: float >= 0, standard deviation of Gaussian noise added to real and
            fake images before the discriminator sees them, so that their distributions
            overlap and the detective cannot win outright.
        seed: int, seed of the noise the model draws in ``train_step``; its position is
            saved with the weights, so that a resumed run draws the noise the uninterrupted
            run would have drawn.

    Trains on batches of images (n, H, W, C) in [-1, 1], or (images, labels) pairs (labels
    ignored). Tracks ``d_loss``, ``g_loss``, ``real_score`` (mean D(x), the detective's
    probability for real images) and ``fake_score`` (mean D(G(z))).
    """

    def __init__(
        self,
        generator=None,
        discriminator=None,
        label_smoothing=0.0,
        instance_noise=0.0,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        label_smoothing = checks.number("label_smoothing", label_smoothing, 0.0, 1.0,
                                        high_inclusive=False, hint=": 0.1 is common")
        instance_noise = checks.number("instance_noise", instance_noise, low=0.0,
                                       hint=": 0 is no noise, 0.1 a common start")
        self.generator = generator if generator is not None else build_dcgan_generator()
        image_shape = tuple(self.generator.output_shape[1:])
        self.discriminator = (
            discriminator if discriminator is not None else build_dcgan_discriminator(image_shape)
        )
        if tuple(self.discriminator.input_shape[1:]) != image_shape:
            raise ValueError(
                f"the generator makes images of shape {image_shape} but the discriminator "
                f"expects {tuple(self.discriminator.input_shape[1:])}: build the discriminator "
                f"with build_dcgan_discriminator(image_shape={image_shape})"
            )
        self.label_smoothing = float(label_smoothing)
        self.instance_noise = float(instance_noise)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_score_tracker = keras.metrics.Mean(name="real_score")
        self.fake_score_tracker = keras.metrics.Mean(name="fake_score")
        # both networks are built functional models: the game has all its weights already
        self.built = True

    # the sampling protocol shared by the kit's generative models
    @property
    def latent_shape(self):
        """Shape of one noise vector, without the batch: (latent_dim,)."""
        return tuple(self.generator.input_shape[1:])

    @property
    def image_shape(self):
        """Shape of one image, without the batch: (64, 64, 3) by default."""
        return tuple(self.generator.output_shape[1:])

    def generate(self, latents, batch_size=256):
        """Images for the given noise.

        Args:
            latents: array (n, *latent_shape), standard normal noise, n >= 1.
            batch_size: latents per forward pass of the generator.
        Returns:
            numpy float32 (n, H, W, C) in [0, 1].
        """
        latents = latent.check_latents(latents, self.latent_shape)
        images = batches.predict_in_batches(self.generator, latents, batch_size)
        return pixels.to_unit_range(images, pixels.TANH_RANGE)

    def sample(self, num_samples, seed=0):
        """New images from noise drawn with ``seed``: numpy float32 (n, H, W, C) in [0, 1]."""
        return self.generate(latent.latent_batch(self, num_samples, seed=seed))

    def call(self, latents, training=False):
        """Fakes G(latents), (n, H, W, C) in [-1, 1]."""
        return self.generator(latents, training=training)

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """Sets one optimizer per network (default: ``default_optimizer()`` for each).

        Other keyword arguments (``jit_compile``, ``steps_per_execution``, ...) go to
        ``keras.Model.compile``. The losses are fixed by the game and each network has its own
        optimizer, so ``loss`` and ``optimizer`` are refused.
        """
        for refused in ("loss", "optimizer"):
            if refused in kwargs:
                raise ValueError(
                    f"DCGAN.compile takes no {refused}=: pass generator_optimizer= and "
                    "discriminator_optimizer=, and change the game's losses with DCGAN("
                    "label_smoothing=..., instance_noise=...)"
                )
        super().compile(optimizer=None, **kwargs)
        self.generator_optimizer = keras.optimizers.get(generator_optimizer or default_optimizer())
        self.discriminator_optimizer = keras.optimizers.get(
            discriminator_optimizer or default_optimizer()
        )
        # built now, so that load_weights and BackupAndRestore find their slots to restore
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {
            "generator_optimizer": keras.saving.serialize_keras_object(self.generator_optimizer),
            "discriminator_optimizer": keras.saving.serialize_keras_object(
                self.discriminator_optimizer
            ),
        }

    def compile_from_config(self, compile_config):
        self.compile(
            generator_optimizer=keras.saving.deserialize_keras_object(
                compile_config["generator_optimizer"]
            ),
            discriminator_optimizer=keras.saving.deserialize_keras_object(
                compile_config["discriminator_optimizer"]
            ),
        )

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.real_score_tracker,
            self.fake_score_tracker,
        ]

    def _with_instance_noise(self, images):
        if self.instance_noise == 0.0:
            return images
        noise = self._replica_normal(ops.shape(images))
        return images + self.instance_noise * ops.cast(noise, images.dtype)

    # under tf.distribute each replica runs train_step on its slice of the global batch:
    # see genai_kit.replicas
    def _replica_mean(self, per_example_loss):
        return replicas.mean(per_example_loss)

    def _replica_normal(self, shape):
        return replicas.draw(lambda size: keras.random.normal(size, seed=self.seed_generator),
                             shape)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` on images in [-1, 1], checked, with Grappler's remapper off.

        The images (or (images, labels) pairs, labels ignored) must be (n, *image_shape),
        finite and in [-1, 1]: an array is checked whole, a tf.data.Dataset's first batch
        now and every batch in its input pipeline (a bad later batch stops ``fit`` with a
        ValueError). Other inputs (a PyDataset, a Python generator) are not checked.

        The remapper tries to fuse the discriminator's Conv2D + BiasAdd + LeakyReLU although
        the gradient still needs the BiasAdd output; it fails, prints an error line
        ("remapper failed: ... missing node ... BiasAdd") and leaves the graph as it was, a
        TensorFlow bug. Without the remapper the step loses only that failed fusion: it runs
        as fast and prints nothing.
        """
        x = checks.checked_fit_data(
            x, y, lambda images, _: self.check_images(images),
            lambda images, _: pixels.graph_check_images(images, pixels.TANH_RANGE))
        kwargs = checks.without_ignored_shuffle(x, args, kwargs)
        with _remapper_off(), checks.bad_batches_as_value_errors():
            return super().fit(x, y, *args, **kwargs)

    def check_images(self, images):
        """Training images as numpy float32, after checking (n, *image_shape) in [-1, 1]."""
        images = pixels.check_images(images, self.image_shape, pixels.TANH_RANGE)
        pixels.check_uses_range(images, pixels.TANH_RANGE,
                                hint="; data.image_dataset gives [-1, 1]")
        return images

    def train_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = ops.shape(real_images)[0]
        # 1. noise z ~ N(0, I)
        latents = self._replica_normal((batch_size, *self.latent_shape))
        real_targets = ops.full((batch_size, 1), 1.0 - self.label_smoothing)
        fake_targets = ops.zeros((batch_size, 1))
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            # 2. the forger makes fakes, the detective scores real and fake images
            fake_images = self.generator(latents, training=True)
            real_logits = self.discriminator(self._with_instance_noise(real_images), training=True)
            fake_logits = self.discriminator(self._with_instance_noise(fake_images), training=True)
            # losses in float32 also under a mixed-precision policy (bfloat16 layers)
            real_logits = ops.cast(real_logits, "float32")
            fake_logits = ops.cast(fake_logits, "float32")
            # 3. the detective wants real -> 1 and fake -> 0; the forger wants fake -> 1
            real_loss = keras.losses.binary_crossentropy(real_targets, real_logits, from_logits=True)
            fake_loss = keras.losses.binary_crossentropy(fake_targets, fake_logits, from_logits=True)
            d_loss = self._replica_mean(real_loss + fake_loss)
            fooled_loss = keras.losses.binary_crossentropy(
                ops.ones_like(fake_targets), fake_logits, from_logits=True
            )
            g_loss = self._replica_mean(fooled_loss)
        # 4. one step for each network on its own loss
        discriminator_weights = self.discriminator.trainable_weights
        generator_weights = self.generator.trainable_weights
        discriminator_grads = discriminator_tape.gradient(d_loss, discriminator_weights)
        generator_grads = generator_tape.gradient(g_loss, generator_weights)
        self.discriminator_optimizer.apply_gradients(zip(discriminator_grads, discriminator_weights))
        self.generator_optimizer.apply_gradients(zip(generator_grads, generator_weights))

        self.d_loss_tracker.update_state(d_loss * replicas.count())
        self.g_loss_tracker.update_state(g_loss * replicas.count())
        self.real_score_tracker.update_state(ops.sigmoid(real_logits))
        self.fake_score_tracker.update_state(ops.sigmoid(fake_logits))
        return {metric.name: metric.result() for metric in self.metrics}

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "label_smoothing": self.label_smoothing,
            "instance_noise": self.instance_noise,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, model_config):
        model_config = dict(model_config)
        for network in ("generator", "discriminator"):
            model_config[network] = keras.saving.deserialize_keras_object(model_config[network])
        return cls(**model_config)

