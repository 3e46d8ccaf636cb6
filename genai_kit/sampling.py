"""How the kit samples from a generative model: one small protocol shared by every model.

Every generative model of the kit (the autoencoder/VAE decoders, the DCGAN generator, the
diffusion sampler) exposes two members:

- ``latent_shape``: tuple without the batch axis, e.g. ``(100,)`` for the DCGAN generator,
  ``(2,)`` or ``(16,)`` for a VAE, ``(28, 28, 1)`` for diffusion (its latent is the
  starting noise image);
- ``generate(latents) -> images``: numpy float32 ``(n, H, W, C)`` with values in ``[0, 1]``
  for latents of shape ``(n, *latent_shape)``; a model whose network outputs ``[-1, 1]``
  converts inside ``generate``.

The caller draws the latents as standard normal noise of shape ``(n, *latent_shape)``
(:func:`genai_kit.latent.latent_batch`), so a fixed seed gives the same images every time:
that is how :class:`genai_kit.callbacks.SampleGrid` shows one image evolving over training,
and how :mod:`genai_kit.evaluation` compares two models on the same noise.
:func:`generate_images` draws many images in batches, :func:`interpolate` the images along a
path between two latents.

A plain Keras model that maps latents to images (an autoencoder's decoder) follows the
protocol once wrapped::

    generator = sampling.as_generator(decoder, value_range=(0, 1))
    images = generator.generate(latent.latent_batch(generator, 16, seed=0))
"""
import numpy as np

from genai_kit import batches, checks, latent, pixels


class KerasGenerator:
    """A plain Keras model (latents -> images) seen through the sampling protocol.

    Build it with :func:`as_generator`.

    Args:
        model: keras.Model with one input ``(n, *latent_shape)`` and one image output
            ``(n, H, W, C)``, or ``(n, H * W)`` flat output with ``image_shape`` given.
        value_range: (low, high), the range of the model's output pixels, e.g. (0, 1)
            for a sigmoid decoder or (-1, 1) for a tanh generator.
        image_shape: optional (H, W, C) to reshape flat outputs, e.g. (28, 28, 1) for
            the 784-unit dense decoder of the slides.
        batch_size: latents per forward pass in ``generate``.
    """

    def __init__(self, model, value_range=(0, 1), image_shape=None, batch_size=256):
        self.model = model
        self.value_range = pixels.check_value_range(value_range)
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                         hint=": latents per forward pass, e.g. 256")
        self.latent_shape = latent.latent_shape_of(model)

    def generate(self, latents):
        """Images for ``latents`` (n, *latent_shape): numpy float32 (n, H, W, C) in [0, 1]."""
        latents = latent.check_latents(latents, self.latent_shape)
        images = batches.predict_in_batches(self.model, latents, self.batch_size)
        if self.image_shape is not None:
            images = images.reshape((len(images),) + self.image_shape)
        if images.ndim != 4:
            raise ValueError(
                f"the model outputs shape {images.shape}, not images (n, H, W, C): "
                "pass image_shape=(H, W, C) to as_generator to reshape flat outputs"
            )
        return pixels.to_unit_range(images, self.value_range)

    def sample(self, num_samples, seed=0):
        """``num_samples`` new images from seeded noise: numpy float32 (n, H, W, C) in [0, 1]."""
        return self.generate(latent.latent_batch(self, num_samples, seed=seed))

    def __repr__(self):
        return (
            f"KerasGenerator({self.model.name!r}, latent_shape={self.latent_shape}, "
            f"value_range={self.value_range})"
        )


def is_generator(obj):
    """True when ``obj`` follows the protocol (has ``latent_shape`` and ``generate``)."""
    return hasattr(obj, "latent_shape") and callable(getattr(obj, "generate", None))


def as_generator(model, value_range=(0, 1), image_shape=None):
    """Returns an object with ``latent_shape`` and ``generate(latents)`` for ``model``.

    Args:
        model: either an object that already follows the protocol (returned unchanged), or
            a plain keras.Model mapping latents ``(n, *latent_shape)`` to images.
        value_range: (low, high) of the plain model's output pixels; ``generate``
            rescales them to [0, 1]. Ignored for a model that follows the protocol.
        image_shape: optional (H, W, C) for plain models with flat outputs.
    Returns:
        the model itself, or a :class:`KerasGenerator` wrapping it.
    """
    if is_generator(model):
        return model
    if not hasattr(model, "predict"):
        raise ValueError(
            f"{type(model).__name__} is neither a generative model of the kit (with "
            "latent_shape and generate) nor a keras.Model: pass a decoder/generator model"
        )
    return KerasGenerator(model, value_range=value_range, image_shape=image_shape)


def generate_images(generator, num_samples, seed=0, batch_size=500, progress=False,
                    value_range=(0, 1)):
    """Draws ``num_samples`` images from a generator, ``batch_size`` latents at a time.

    Args:
        generator: a model following the protocol, or a plain Keras model (then wrapped
            with ``as_generator(model, value_range)``).
        num_samples: n.
        seed: seed of the latents (see :func:`genai_kit.latent.latent_batch`).
        batch_size: latents per ``generate`` call; keeps memory bounded for large n.
        progress: show a tqdm progress bar over the batches.
        value_range: output range of a plain Keras model (ignored otherwise).
    Returns:
        numpy float32 (n, H, W, C) in [0, 1].
    """
    generator = as_generator(generator, value_range=value_range)
    latents = latent.latent_batch(generator, num_samples, seed=seed)
    images = batches.map_in_batches(generator.generate, latents, batch_size, progress,
                                    description="generating")
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) != len(latents):
        raise ValueError(
            f"generate() returned shape {images.shape} for {len(latents)} latents: "
            "it must return images (n, H, W, C) in [0, 1]"
        )
    return images


def interpolate(generator, start, end, num_steps=8, method="linear", value_range=(0, 1)):
    """Images along a latent path from ``start`` to ``end`` (paths: :mod:`genai_kit.latent`).

    Args:
        generator: a model with ``latent_shape`` and ``generate`` (the kit's VAE, autoencoder,
            DCGAN), or a plain Keras decoder (wrapped with ``as_generator``).
        start, end: latents of shape ``latent_shape`` (e.g. two rows of ``latent_batch``, or
            the codes of two encoded digits).
        num_steps: number of images, endpoints included.
        method: "linear" or "spherical".
        value_range: output range of a plain Keras decoder (ignored for protocol models).
    Returns:
        numpy float32 (num_steps, H, W, C) in [0, 1]; the first image is the decoding of
        ``start``, the last the decoding of ``end``.
    """
    generator = as_generator(generator, value_range=value_range)
    path = latent.interpolate_latents(start, end, num_steps, method)
    return np.asarray(generator.generate(latent.check_latents(path, generator.latent_shape)),
                      dtype=np.float32)
