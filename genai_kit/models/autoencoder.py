"""The autoencoder of the slides: 784 -> 512 -> 256 -> 128 -> 256 -> 512 -> 784.

An encoder squeezes each 28x28 digit (784 pixels) through a 128-number bottleneck, a decoder
rebuilds the digit from those 128 numbers, and the mean squared error between the digit and
its rebuild is the loss (ReLU hidden layers, sigmoid output, Adam with learning rate 0.001:
the slides' recipe). Compression: 784 / 128 = 6.125x.

Variants for the exercises: ``architecture="conv"`` (strided convolutions instead of dense
layers) and ``noise_stddev > 0`` (a denoising autoencoder: Gaussian noise on the input while
training, the clean digit as the target).

The building blocks here (:func:`encoder_features`, :func:`build_decoder`,
:func:`check_images`, :class:`LatentImageModel`) are shared with the VAE in
:mod:`genai_kit.models.vae`.
"""
import math

import keras
import numpy as np

from genai_kit import sampling

# the slides' recipe
IMAGE_SHAPE = (28, 28, 1)
HIDDEN_UNITS = (512, 256)
LATENT_DIM = 128
LEARNING_RATE = 1e-3
# conv variant: filters of the strided convolutions, each halves the image side
CONV_FILTERS = (32, 64)
ARCHITECTURES = ("dense", "conv")
# pixel values a little outside [0, 1] (float round-off, augmentation) are still fine
RANGE_TOLERANCE = 1e-3


def compression_ratio(input_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM):
    """Numbers in an image over numbers in its code: 784 / 128 = 6.125 for the slides."""
    return math.prod(input_shape) / latent_dim


def build_autoencoder(input_shape=IMAGE_SHAPE, hidden_units=HIDDEN_UNITS, latent_dim=LATENT_DIM,
                      architecture="dense", filters=CONV_FILTERS, latent_activation="relu",
                      noise_stddev=0.0, learning_rate=LEARNING_RATE, seed=0):
    """The slides' autoencoder, compiled with the slides' loss and optimizer.

    Args:
        input_shape: (H, W, C) of the images, values in [0, 1].
        hidden_units: widths of the dense encoder's hidden layers; the decoder mirrors them.
            (512, 256) gives the slides' 784 -> 512 -> 256 -> 128 -> 256 -> 512 -> 784.
        latent_dim: size of the code (the bottleneck), 128 on the slides.
        architecture: "dense" (the slides) or "conv" (strided convolutions, ``filters``).
        filters: conv variant only: filters per stride-2 convolution; H and W must be
            divisible by 2 ** len(filters).
        latent_activation: activation of the code layer; "relu" treats it as one more hidden
            layer as the slides do, None gives an unbounded linear code.
        noise_stddev: > 0 makes a denoising autoencoder: Gaussian noise of this standard
            deviation is added to the inputs (then clipped to [0, 1]) during training only.
        learning_rate: Adam's learning rate, 0.001 on the slides.
        seed: seed of the training noise.
    Returns:
        :class:`Autoencoder`, compiled with MSE loss and Adam; ``.encoder`` maps images
        (n, H, W, C) to codes (n, latent_dim) and ``.decoder`` maps codes back to images in [0, 1].
    """
    autoencoder = Autoencoder(
        input_shape=input_shape, hidden_units=hidden_units, latent_dim=latent_dim,
        architecture=architecture, filters=filters, latent_activation=latent_activation,
        noise_stddev=noise_stddev, seed=seed,
    )
    autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return autoencoder


def encoder_features(inputs, architecture="dense", hidden_units=HIDDEN_UNITS, filters=CONV_FILTERS):
    """The encoder's body up to (not including) the code layer.

    Args:
        inputs: a keras.Input of images (n, H, W, C).
        architecture: "dense": Flatten, then one ReLU Dense layer per ``hidden_units``;
            "conv": one ReLU 3x3 stride-2 Conv2D per ``filters``, then Flatten.
    Returns:
        the symbolic feature tensor (n, features).
    """
    x = inputs
    if architecture == "conv":
        for index, count in enumerate(filters):
            x = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation="relu",
                                    name=f"conv_{index + 1}")(x)
        return keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{index + 1}")(x)
    return x


def build_decoder(latent_dim, output_shape=IMAGE_SHAPE, architecture="dense",
                  hidden_units=HIDDEN_UNITS, filters=CONV_FILTERS, name="decoder"):
    """The decoder: the encoder's mirror image, from codes to images in [0, 1].

    Args:
        latent_dim: size of the codes.
        output_shape: (H, W, C) of the images.
        architecture, hidden_units, filters: as the encoder's (the decoder reverses them).
    Returns:
        keras.Model: float32 (n, latent_dim) -> sigmoid images (n, H, W, C) in [0, 1].
    """
    height, width, channels = output_shape
    latents = keras.Input(shape=(latent_dim,), name="latents")
    x = latents
    if architecture == "conv":
        scale = 2 ** len(filters)
        x = keras.layers.Dense(height // scale * width // scale * filters[-1], activation="relu",
                               name="dense_1")(x)
        x = keras.layers.Reshape((height // scale, width // scale, filters[-1]))(x)
        for index, count in enumerate(reversed(filters)):
            x = keras.layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu",
                                             name=f"conv_transpose_{index + 1}")(x)
        images = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid",
                                     name="pixels")(x)
    else:
        for index, units in enumerate(reversed(hidden_units)):
            x = keras.layers.Dense(units, activation="relu", name=f"dense_{index + 1}")(x)
        x = keras.layers.Dense(height * width * channels, activation="sigmoid", name="pixels")(x)
        images = keras.layers.Reshape(output_shape, name="images")(x)
    return keras.Model(latents, images, name=name)


def check_architecture(input_shape, hidden_units, latent_dim, architecture, filters):
    """Raises a ValueError that says how to fix a bad architecture argument."""
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), e.g. (28, 28, 1); "
                         f"got {input_shape}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if int(latent_dim) < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim}")
    if architecture == "dense" and any(int(units) < 1 for units in hidden_units):
        raise ValueError(f"hidden_units must be positive ints, got {hidden_units}")
    if architecture == "conv":
        scale = 2 ** len(filters)
        if input_shape[0] % scale or input_shape[1] % scale:
            raise ValueError(
                f"the conv architecture halves the image {len(filters)} times, so height and "
                f"width must be divisible by {scale}; got {input_shape[:2]}: "
                "use fewer filters, e.g. filters=(32, 64) for 28x28 images"
            )


def check_images(images, image_shape):
    """Checks a batch of images before it reaches a model.

    Args:
        images: array-like (n, H, W, C) with values in [0, 1].
        image_shape: the (H, W, C) the model was built for.
    Returns:
        the images as numpy float32.
    Raises:
        ValueError: wrong shape or values outside [0, 1] (e.g. 0-255 pixels), with the fix.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.shape[1:] != tuple(image_shape):
        hint = ""
        if images.ndim == 2 and images.shape[1] == math.prod(image_shape):
            hint = f": reshape flat images with images.reshape(-1, {', '.join(map(str, image_shape))})"
        elif images.ndim == len(image_shape):
            hint = ": a single image needs a batch axis, images[None]"
        raise ValueError(f"expected images of shape (n, {', '.join(map(str, image_shape))}), "
                         f"got {images.shape}{hint}")
    if images.size and (images.min() < -RANGE_TOLERANCE or images.max() > 1 + RANGE_TOLERANCE):
        hint = " (0-255 pixels? divide by 255)" if images.max() > 1.5 else ""
        raise ValueError(f"expected pixel values in [0, 1], got [{images.min():.3g}, "
                         f"{images.max():.3g}]{hint}")
    return images


def predict_in_batches(model, inputs, batch_size=256):
    """``model(inputs, training=False)`` batch by batch, as numpy.

    Calls the model directly (no ``predict``): no tf.function is traced for each new model,
    which keeps many small calls in a notebook fast and quiet.

    Args:
        model: a Keras model or layer.
        inputs: numpy array (n, ...), n >= 1.
        batch_size: rows per call.
    Returns:
        the model's output structure (array, list or dict) with numpy arrays of n rows.
    """
    if len(inputs) == 0:
        raise ValueError("got 0 inputs: pass at least one image or latent")
    outputs = [model(inputs[start:start + batch_size], training=False)
               for start in range(0, len(inputs), batch_size)]
    return keras.tree.map_structure(
        lambda *batches: np.concatenate([keras.ops.convert_to_numpy(batch) for batch in batches]),
        *outputs)


def _check_fit_input(x, image_shape):
    """Checks the images given to fit/evaluate: an array, or a tf.data.Dataset's first batch.

    Other inputs (a keras.utils.PyDataset, a Python generator) are passed through unchecked.
    """
    if hasattr(x, "take") and hasattr(x, "element_spec"):  # a tf.data.Dataset
        x = next(iter(x.take(1)))
    if isinstance(x, (tuple, list)):  # (images, targets) or (images, labels)
        x = x[0]
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        check_images(x, image_shape)


class LatentImageModel(keras.Model):
    """Base of the kit's image autoencoders: input checks and the sampling protocol.

    Subclasses set ``self.image_shape`` and ``self.decoder`` (latents -> images in [0, 1]).
    """

    @property
    def latent_shape(self):
        """Shape of one latent code, without the batch axis, e.g. (128,)."""
        return tuple(self.decoder.input_shape[1:])

    def decode(self, latents, batch_size=256):
        """Images for latent codes: numpy float32 (n, *latent_shape) -> (n, H, W, C) in [0, 1]."""
        latents = sampling.check_latents(latents, self.latent_shape)
        return predict_in_batches(self.decoder, latents, batch_size)

    def generate(self, latents):
        """The sampling protocol: ``decode`` clipped to [0, 1] (see genai_kit.sampling)."""
        return np.clip(self.decode(latents), 0.0, 1.0)

    def fit(self, x=None, y=None, *args, **kwargs):
        _check_fit_input(x, self.image_shape)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        _check_fit_input(x, self.image_shape)
        return super().evaluate(x, y, *args, **kwargs)


@keras.saving.register_keras_serializable(package="genai_kit")
class Autoencoder(LatentImageModel):
    """Encoder + decoder trained to reproduce their input; build it with :func:`build_autoencoder`.

    Calling it maps images (n, H, W, C) in [0, 1] to reconstructions of the same shape.
    Train with ``fit(images)`` or ``fit(images, images)``: without targets the input is the
    target (the clean input, also when denoising), so a dataset of images alone such as
    ``data.mnist_dataset()`` works as it is.
    """

    def __init__(self, input_shape=IMAGE_SHAPE, hidden_units=HIDDEN_UNITS, latent_dim=LATENT_DIM,
                 architecture="dense", filters=CONV_FILTERS, latent_activation="relu",
                 noise_stddev=0.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        input_shape = tuple(int(size) for size in input_shape)
        hidden_units = tuple(int(units) for units in hidden_units)
        filters = tuple(int(count) for count in filters)
        check_architecture(input_shape, hidden_units, latent_dim, architecture, filters)
        if noise_stddev < 0:
            raise ValueError(f"noise_stddev must be >= 0 (0: no noise), got {noise_stddev}")
        self.image_shape = input_shape
        self.hidden_units = hidden_units
        self.latent_dim = int(latent_dim)
        self.architecture = architecture
        self.filters = filters
        self.latent_activation = latent_activation
        self.noise_stddev = float(noise_stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

        images = keras.Input(shape=input_shape, name="images")
        features = encoder_features(images, architecture, hidden_units, filters)
        codes = keras.layers.Dense(self.latent_dim, activation=latent_activation, name="code")(features)
        self.encoder = keras.Model(images, codes, name="encoder")
        self.decoder = build_decoder(self.latent_dim, input_shape, architecture, hidden_units,
                                     filters)

    def call(self, images, training=False):
        if training and self.noise_stddev > 0:
            noise = keras.random.normal(keras.ops.shape(images), stddev=self.noise_stddev,
                                        seed=self.seed_generator)
            images = keras.ops.clip(images + noise, 0.0, 1.0)
        return self.decoder(self.encoder(images, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # an autoencoder's target is its own (clean) input
        return super().compute_loss(x, x if y is None else y, y_pred, sample_weight, training)

    def encode(self, images, batch_size=256):
        """Codes of images: (n, H, W, C) in [0, 1] -> numpy float32 (n, latent_dim)."""
        images = check_images(images, self.image_shape)
        return predict_in_batches(self.encoder, images, batch_size)

    def reconstruct(self, images, batch_size=256):
        """decode(encode(images)): numpy float32 (n, H, W, C) in [0, 1]."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_shape=self.image_shape, hidden_units=self.hidden_units,
            latent_dim=self.latent_dim, architecture=self.architecture, filters=self.filters,
            latent_activation=self.latent_activation, noise_stddev=self.noise_stddev,
            seed=self.seed,
        )
        return config


def add_noise(images, noise_stddev, seed=0):
    """Noisy copies of images for the denoising experiment.

    Args:
        images: float (n, H, W, C) in [0, 1].
        noise_stddev: standard deviation of the Gaussian noise.
        seed: numpy seed.
    Returns:
        numpy float32, same shape, clipped to [0, 1] (as the denoising autoencoder's training noise).
    """
    images = np.asarray(images, dtype=np.float32)
    noise = np.random.default_rng(seed).normal(0.0, noise_stddev, images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)
