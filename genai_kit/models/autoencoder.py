"""The autoencoder of the slides: 784 -> 512 -> 256 -> 128 -> 256 -> 512 -> 784.

An encoder squeezes each 28x28 digit (784 pixels) through a 128-number bottleneck, a decoder
rebuilds the digit from those 128 numbers, and the mean squared error between the digit and
its rebuild is the loss (ReLU hidden layers, sigmoid output, Adam with learning rate 0.001:
the slides' recipe). Compression: 784 / 128 = 6.125x.

Variants for the exercises: ``architecture="conv"`` (strided convolutions instead of dense
layers) and ``noise_stddev > 0`` (a denoising autoencoder: Gaussian noise on the input while
training, the clean digit as the target).

The encoder body, the decoder and the input checks are shared with the VAE
(:mod:`genai_kit.models.encoder_decoder`).
"""
import math

import keras
import numpy as np

from genai_kit import batches, checks, replicas
from genai_kit.models import encoder_decoder, seed_state

# the slides' recipe
IMAGE_SHAPE = (28, 28, 1)
HIDDEN_UNITS = (512, 256)
LATENT_DIM = 128
LEARNING_RATE = 1e-3
# conv variant: filters of the strided convolutions, each halves the image side
CONV_FILTERS = (32, 64)


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


@keras.saving.register_keras_serializable(package="genai_kit")
class Autoencoder(seed_state.SavesSeedState, encoder_decoder.EncoderDecoderModel):
    """Encoder + decoder trained to reproduce their input; build it with :func:`build_autoencoder`.

    Calling it maps images (n, H, W, C) in [0, 1] to reconstructions of the same shape.
    Train with ``fit(images)`` or ``fit(images, images)``: without targets the input is the
    target (the clean input, also when denoising), so a dataset of images alone such as
    ``data.mnist_dataset()`` works as it is.

    Args: as :func:`build_autoencoder`, without ``learning_rate``.
    """

    def __init__(self, input_shape=IMAGE_SHAPE, hidden_units=HIDDEN_UNITS, latent_dim=LATENT_DIM,
                 architecture="dense", filters=CONV_FILTERS, latent_activation="relu",
                 noise_stddev=0.0, seed=0, **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         architecture=architecture, hidden_units=hidden_units, filters=filters,
                         seed=seed, **kwargs)
        self.latent_activation = latent_activation
        self.noise_stddev = checks.number("noise_stddev", noise_stddev, low=0.0,
                                          hint=": 0 is no noise, 0.3 a denoising autoencoder")
        self.seed_generator = keras.random.SeedGenerator(seed)

        images = keras.Input(shape=self.image_shape, name="images")
        codes = keras.layers.Dense(self.latent_dim, activation=latent_activation,
                                   name="code")(self.encoder_body(images))
        self.encoder = keras.Model(images, codes, name="encoder")
        self.decoder = self.build_decoder()
        self.built = True  # the encoder and decoder are built; nothing waits for a first batch

    def call(self, images, training=False):
        if training and self.noise_stddev > 0:
            noise = replicas.draw(lambda shape: keras.random.normal(
                shape, stddev=self.noise_stddev, seed=self.seed_generator), keras.ops.shape(images))
            images = keras.ops.clip(images + noise, 0.0, 1.0)
        return self.decoder(self.encoder(images, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # an autoencoder's target is its own (clean) input
        return super().compute_loss(x, x if y is None else y, y_pred, sample_weight, training)

    def encode(self, images, batch_size=256):
        """Codes of images: (n, H, W, C) in [0, 1] -> numpy float32 (n, latent_dim)."""
        return batches.predict_in_batches(self.encoder, self.check_images(images), batch_size)

    def reconstruct(self, images, batch_size=256):
        """decode(encode(images)): numpy float32 (n, H, W, C) in [0, 1]."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def get_config(self):
        return {**super().get_config(), "latent_activation": self.latent_activation,
                "noise_stddev": self.noise_stddev}


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
