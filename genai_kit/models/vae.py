"""The variational autoencoder: encode each image to a distribution, not a point.

The encoder outputs the mean and log-variance of a Gaussian q(z|x) over codes; a code is
drawn with the reparameterization trick (z = mean + exp(log_var / 2) * eps, eps ~ N(0, I)),
so the gradient flows through mean and log-variance; the decoder gives Bernoulli pixel
probabilities p(x|z). The loss is the slides' negative ELBO, in nats per image:

    loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I))
         = reconstruction_loss + beta * kl_loss

beta = 1 is the VAE; beta > 1 trades sharper reconstructions for a smoother latent space
closer to the prior (beta-VAE, Higgins et al. 2017). Keras logs the three numbers apart
(``loss``, ``reconstruction_loss``, ``kl_loss``) in ``History``.

MNIST pixels are grey levels in [0, 1], not 0/1, and the Bernoulli likelihood is used for
them as in keras.io's VAE example: the ELBO is a fair yardstick between models here, but
not comparable with published numbers on binarized MNIST (about -85 nats).
"""
import keras
import numpy as np

from genai_kit import batches, checks, replicas
from genai_kit.models import autoencoder, encoder_decoder, seed_state

LATENT_DIM = 16
BETA = 1.0
LEARNING_RATE = 1e-3


def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, exp(z_log_var)) || N(0, I)) per image, in nats.

    Args:
        z_mean, z_log_var: tensors (n, latent_dim).
    Returns:
        tensor (n,), >= 0; 0 exactly when z_mean = 0 and z_log_var = 0.
    """
    per_dimension = 1 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var)
    return -0.5 * keras.ops.sum(per_dimension, axis=-1)


def reconstruction_loss(images, reconstructions):
    """-log p(x|z) per image for Bernoulli pixels: binary cross-entropy summed over pixels.

    Args:
        images: targets (n, H, W, C) in [0, 1].
        reconstructions: the decoder's pixel probabilities, same shape, in [0, 1].
    Returns:
        tensor (n,) in nats.
    """
    per_pixel = keras.ops.binary_crossentropy(images, reconstructions)
    return keras.ops.sum(keras.ops.reshape(per_pixel, (keras.ops.shape(images)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="genai_kit")
class Reparameterization(seed_state.SavesSeedState, keras.layers.Layer):
    """The reparameterization trick: [z_mean, z_log_var] -> z = z_mean + exp(z_log_var / 2) * eps.

    eps ~ N(0, I) is drawn from a ``keras.random.SeedGenerator``, so a seeded layer repeats
    its sequence of draws, also across a save and a load (its position is saved with the
    model). Inputs and output: float32 (n, latent_dim).
    """

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        # (each replica of a tf.distribute run draws its slice of the global batch's noise)
        epsilon = replicas.draw(
            lambda shape: keras.random.normal(shape, seed=self.seed_generator),
            keras.ops.shape(z_mean))
        return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config


def build_vae(input_shape=autoencoder.IMAGE_SHAPE, latent_dim=LATENT_DIM,
              hidden_units=autoencoder.HIDDEN_UNITS, architecture="dense",
              filters=autoencoder.CONV_FILTERS, beta=BETA, learning_rate=LEARNING_RATE, seed=0):
    """A :class:`VAE` compiled with Adam, ready for ``fit(images)`` (no targets needed).

    Args: as :class:`VAE`, plus ``learning_rate`` of Adam.
    """
    vae = VAE(input_shape=input_shape, latent_dim=latent_dim, hidden_units=hidden_units,
              architecture=architecture, filters=filters, beta=beta, seed=seed)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return vae


@keras.saving.register_keras_serializable(package="genai_kit")
class VAE(encoder_decoder.EncoderDecoderModel):
    """Variational autoencoder for images in [0, 1].

    Args:
        input_shape: (H, W, C) of the images.
        latent_dim: size of z: 2 to draw the latent plane, 16 or more for better samples.
        hidden_units, architecture, filters: the encoder/decoder body, as
            :func:`genai_kit.models.autoencoder.build_autoencoder` (same dense 512-256 default).
        beta: weight of the KL term (1: the VAE's ELBO).
        seed: seed of the reparameterization noise.

    Members: ``encoder`` (images -> [z_mean, z_log_var], each (n, latent_dim)),
    ``reparameterization`` (:class:`Reparameterization`), ``decoder`` (z -> images in [0, 1]). Calling the model returns a dict
    {"reconstruction", "z_mean", "z_log_var"}; z is sampled in training and inference alike,
    so ``evaluate`` estimates the held-out ELBO.
    """

    def __init__(self, input_shape=autoencoder.IMAGE_SHAPE, latent_dim=LATENT_DIM,
                 hidden_units=autoencoder.HIDDEN_UNITS, architecture="dense",
                 filters=autoencoder.CONV_FILTERS, beta=BETA, seed=0, **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         architecture=architecture, hidden_units=hidden_units, filters=filters,
                         seed=seed, **kwargs)
        # a variable, not a Python float, so that a callback can change it between epochs
        # (KL annealing) after the training step has been traced
        self.beta_variable = self.add_weight(name="beta", shape=(), initializer="zeros",
                                             trainable=False)
        self.beta = beta  # checked by the setter

        images = keras.Input(shape=self.image_shape, name="images")
        features = self.encoder_body(images)
        z_mean = keras.layers.Dense(self.latent_dim, name="z_mean")(features)
        z_log_var = keras.layers.Dense(self.latent_dim, name="z_log_var")(features)
        self.encoder = keras.Model(images, [z_mean, z_log_var], name="encoder")
        self.reparameterization = Reparameterization(seed=seed, name="reparameterization")
        self.decoder = self.build_decoder()

        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True  # the encoder and decoder are built; nothing waits for a first batch

    @property
    def beta(self):
        """Weight of the KL term, a float; assign to change it, also between epochs."""
        return float(keras.ops.convert_to_numpy(self.beta_variable))

    @beta.setter
    def beta(self, value):
        value = checks.number("beta", value, low=0.0,
                              hint=": 1 is the plain VAE, 4 a beta-VAE")
        self.beta_variable.assign(value)

    @property
    def metrics(self):
        # listed here so that Keras resets them every epoch and logs them in History
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, images, training=False):
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.reparameterization([z_mean, z_log_var])
        reconstruction = self.decoder(z, training=training)
        return {"reconstruction": reconstruction, "z_mean": z_mean, "z_log_var": z_log_var}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # 1. -log p(x|z) for the sampled z, 2. KL(q(z|x) || p(z)), both averaged over the batch
        reconstruction = keras.ops.mean(reconstruction_loss(x, y_pred["reconstruction"]))
        kl = keras.ops.mean(kl_divergence(y_pred["z_mean"], y_pred["z_log_var"]))
        # 3. the negative ELBO, with the KL term weighted by beta
        total = reconstruction + self.beta_variable * kl
        self.total_loss_tracker.update_state(total)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        # the replicas' gradients are added up: each contributes its share of the mean
        return total / replicas.count()

    def encode(self, images, batch_size=256):
        """q(z|x) of images (n, H, W, C) in [0, 1]: numpy (z_mean, z_log_var), each (n, latent_dim)."""
        z_mean, z_log_var = batches.predict_in_batches(self.encoder, self.check_images(images),
                                                       batch_size)
        return z_mean, z_log_var

    def reconstruct(self, images, batch_size=256):
        """Decodings of the codes' means (no sampling noise): numpy (n, H, W, C) in [0, 1]."""
        z_mean, _ = self.encode(images, batch_size)
        return self.decode(z_mean, batch_size)

    def elbo(self, images, batch_size=256):
        """Held-out ELBO per image in nats (one z sample per image), with its two parts.

        Independent of ``beta``: the ELBO always weighs the KL term by 1.

        Args:
            images: (n, H, W, C) in [0, 1].
        Returns:
            dict of floats: "elbo" (= -reconstruction - kl, <= 0 for binary images),
            "reconstruction" (-E log p(x|z), >= 0) and "kl" (>= 0), averages over the images.
        """
        images = self.check_images(images)
        outputs = batches.predict_in_batches(self, images, batch_size)
        reconstruction = float(keras.ops.mean(
            reconstruction_loss(images, outputs["reconstruction"])))
        kl = float(keras.ops.mean(kl_divergence(outputs["z_mean"], outputs["z_log_var"])))
        return {"elbo": -reconstruction - kl, "reconstruction": reconstruction, "kl": kl}

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}
