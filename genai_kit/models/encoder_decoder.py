"""What the autoencoder and the VAE share: the architecture, the decoder, input checks, sampling.

Both models take the same five architecture arguments (``input_shape``, ``latent_dim``,
``architecture``, ``hidden_units``, ``filters``). :class:`EncoderDecoderModel` normalises and
checks them once, keeps them as attributes, writes them into ``get_config``, and builds from
them the encoder's body (:meth:`~EncoderDecoderModel.encoder_body`) and its mirror image, the
decoder (:meth:`~EncoderDecoderModel.build_decoder`). The models add their own code layer:
one Dense layer for the autoencoder, a mean and a log-variance for the VAE.
"""
import keras

from genai_kit import batches, checks, latent, pixels

ARCHITECTURES = ("dense", "conv")


class EncoderDecoderModel(keras.Model):
    """Base of the kit's image autoencoders, for images (n, H, W, C) in [0, 1].

    Args:
        input_shape: (H, W, C) of the images.
        latent_dim: size of the code, a positive int.
        architecture: "dense" (Flatten, then one ReLU Dense layer per ``hidden_units``) or
            "conv" (one ReLU 3x3 stride-2 Conv2D per ``filters``, then Flatten).
        hidden_units: dense only: widths of the encoder's hidden layers; the decoder
            mirrors them.
        filters: conv only: filters per stride-2 convolution; H and W must be divisible by
            2 ** len(filters).
        seed: seed of the model's randomness (training noise, reparameterization).

    Subclasses build ``self.encoder`` on :meth:`encoder_body` and set ``self.decoder`` to
    :meth:`build_decoder`; they get ``encode``-side checks, ``decode`` and the sampling
    protocol (``latent_shape``, ``generate``).
    """

    def __init__(self, input_shape, latent_dim, architecture, hidden_units, filters, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(checks.integer("each size of input_shape", size, minimum=1)
                                 for size in input_shape)
        self.hidden_units = tuple(checks.integer("each of hidden_units", units, minimum=1)
                                  for units in hidden_units)
        self.filters = tuple(checks.integer("each of filters", count, minimum=1)
                             for count in filters)
        latent_dim = checks.integer("latent_dim", latent_dim, minimum=1,
                                    hint=": the size of the code, e.g. 2 or 16")
        _check_architecture(self.image_shape, self.hidden_units, latent_dim, architecture,
                            self.filters)
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.seed = seed

    # ------------------------------------------------------------------ building
    def encoder_body(self, images):
        """The encoder up to (not including) the code layer.

        Args:
            images: a keras.Input of images (n, H, W, C).
        Returns:
            the symbolic feature tensor (n, features).
        """
        x = images
        if self.architecture == "conv":
            for index, count in enumerate(self.filters):
                x = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation="relu",
                                        name=f"conv_{index + 1}")(x)
            return keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        for index, units in enumerate(self.hidden_units):
            x = keras.layers.Dense(units, activation="relu", name=f"dense_{index + 1}")(x)
        return x

    def build_decoder(self, name="decoder"):
        """The decoder: the encoder's mirror image, from codes to images in [0, 1].

        Returns:
            keras.Model: float32 (n, latent_dim) -> sigmoid images (n, H, W, C) in [0, 1].
        """
        height, width, channels = self.image_shape
        latents = keras.Input(shape=(self.latent_dim,), name="latents")
        x = latents
        if self.architecture == "conv":
            scale = 2 ** len(self.filters)
            x = keras.layers.Dense(height // scale * width // scale * self.filters[-1],
                                   activation="relu", name="dense_1")(x)
            x = keras.layers.Reshape((height // scale, width // scale, self.filters[-1]))(x)
            for index, count in enumerate(reversed(self.filters)):
                x = keras.layers.Conv2DTranspose(count, 3, strides=2, padding="same",
                                                 activation="relu",
                                                 name=f"conv_transpose_{index + 1}")(x)
            images = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid",
                                         name="pixels")(x)
        else:
            for index, units in enumerate(reversed(self.hidden_units)):
                x = keras.layers.Dense(units, activation="relu", name=f"dense_{index + 1}")(x)
            x = keras.layers.Dense(height * width * channels, activation="sigmoid",
                                   name="pixels")(x)
            images = keras.layers.Reshape(self.image_shape, name="images")(x)
        return keras.Model(latents, images, name=name)

    # ------------------------------------------------------------------ checks
    def check_images(self, images):
        """The images as numpy float32 after checking they are (n, H, W, C) in [0, 1]."""
        return pixels.check_images(images, self.image_shape, pixels.UNIT_RANGE)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``, after checking the images (see ``_checked_data``)."""
        x = self._checked_data(x, y)
        kwargs = checks.without_ignored_shuffle(x, args, kwargs)
        with checks.bad_batches_as_value_errors():
            return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = self._checked_data(x, y)
        with checks.bad_batches_as_value_errors():
            return super().evaluate(x, y, *args, **kwargs)

    def _checked_data(self, x, y=None):
        """The images given to fit/evaluate, checked: (n, H, W, C) in [0, 1], finite.

        An array is checked whole; a tf.data.Dataset's first batch now, and every batch in
        its input pipeline (a bad later batch stops ``fit`` with a ValueError). Other inputs
        (a keras.utils.PyDataset, a Python generator) are passed through unchecked.
        """
        return checks.checked_fit_data(
            x, y, lambda images, _: self.check_images(images),
            lambda images, _: pixels.graph_check_images(images, pixels.UNIT_RANGE))

    # ------------------------------------------------------------------ sampling protocol
    @property
    def latent_shape(self):
        """Shape of one latent code, without the batch axis, e.g. (128,)."""
        return tuple(self.decoder.input_shape[1:])

    def decode(self, latents, batch_size=256):
        """Images for latent codes: numpy float32 (n, *latent_shape) -> (n, H, W, C) in [0, 1]."""
        latents = latent.check_latents(latents, self.latent_shape)
        return batches.predict_in_batches(self.decoder, latents, batch_size)

    def generate(self, latents):
        """The sampling protocol: ``decode`` clipped to [0, 1] (see genai_kit.sampling)."""
        return pixels.to_unit_range(self.decode(latents), pixels.UNIT_RANGE)

    def sample(self, num_samples, seed=0):
        """Decodings of ``num_samples`` codes z ~ N(0, I) (seeded): numpy (n, H, W, C) in [0, 1].

        For a VAE these are new images from its prior; an autoencoder's codes follow no such
        distribution, so its decodings of random codes show why it is no generator.
        """
        return self.generate(latent.latent_batch(self, num_samples, seed=seed))

    # ------------------------------------------------------------------ saving

    def get_config(self):
        return {
            **super().get_config(),
            "input_shape": self.image_shape,
            "latent_dim": self.latent_dim,
            "architecture": self.architecture,
            "hidden_units": self.hidden_units,
            "filters": self.filters,
            "seed": self.seed,
        }


def _check_architecture(input_shape, hidden_units, latent_dim, architecture, filters):
    """Raises a ValueError that says how to fix a bad architecture argument."""
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), e.g. (28, 28, 1); "
                         f"got {input_shape}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if architecture == "conv":
        scale = 2 ** len(filters)
        if input_shape[0] % scale or input_shape[1] % scale:
            raise ValueError(
                f"the conv architecture halves the image {len(filters)} times, so height and "
                f"width must be divisible by {scale}; got {input_shape[:2]}: "
                "use fewer filters, e.g. filters=(32, 64) for 28x28 images"
            )
