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
(:func:`latent_batch`), so a fixed seed gives the same images every time: that is how
:class:`genai_kit.callbacks.SampleGrid` shows one image evolving over training, and how
:mod:`genai_kit.evaluation` compares two models on the same noise.

A plain Keras model that maps latents to images (an autoencoder's decoder) follows the
protocol once wrapped::

    generator = sampling.as_generator(decoder, value_range=(0, 1))
    images = generator.generate(sampling.latent_batch(generator, 16, seed=0))
"""
import numpy as np

from genai_kit.progress import progress_bar


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
        low, high = (float(value) for value in value_range)
        if not high > low:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
        input_shape = getattr(model, "input_shape", None)
        if not isinstance(input_shape, tuple) or input_shape[1:] == () or None in input_shape[1:]:
            raise ValueError(
                f"cannot read a latent shape from the model's input shape {input_shape}: "
                "as_generator needs a built keras.Model with one fixed-size input, e.g. "
                "keras.Input(shape=(latent_dim,))"
            )
        self.model = model
        self.value_range = (low, high)
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.batch_size = int(batch_size)
        self.latent_shape = tuple(input_shape[1:])

    def generate(self, latents):
        """Images for ``latents`` (n, *latent_shape): numpy float32 (n, H, W, C) in [0, 1]."""
        latents = check_latents(latents, self.latent_shape)
        images = np.asarray(self.model.predict(latents, batch_size=self.batch_size, verbose=0))
        if self.image_shape is not None:
            images = images.reshape((len(images),) + self.image_shape)
        if images.ndim != 4:
            raise ValueError(
                f"the model outputs shape {images.shape}, not images (n, H, W, C): "
                "pass image_shape=(H, W, C) to as_generator to reshape flat outputs"
            )
        low, high = self.value_range
        images = (images.astype(np.float32) - low) / (high - low)
        return np.clip(images, 0.0, 1.0)

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


def check_latents(latents, latent_shape):
    """Returns ``latents`` as float32 after checking it is (n, *latent_shape)."""
    latents = np.asarray(latents, dtype=np.float32)
    if latents.shape[1:] != tuple(latent_shape):
        raise ValueError(
            f"expected latents of shape (n, {', '.join(map(str, latent_shape))}), "
            f"got {latents.shape}: draw them with sampling.latent_batch(generator, n)"
        )
    return latents


def latent_shape_of(generator_or_shape):
    """The latent shape tuple of a generator (protocol or plain model) or of a shape itself."""
    if isinstance(generator_or_shape, (tuple, list)):
        return tuple(int(size) for size in generator_or_shape)
    if isinstance(generator_or_shape, int):
        return (generator_or_shape,)
    return tuple(as_generator(generator_or_shape).latent_shape)


def latent_batch(generator_or_shape, num_samples, seed=0):
    """A fixed batch of standard normal latents: the same seed gives the same batch.

    Args:
        generator_or_shape: a generator (its ``latent_shape`` is used), a plain Keras
            model, a shape tuple such as (100,), or an int latent_dim.
        num_samples: n, number of latents.
        seed: int seed of numpy's generator.
    Returns:
        numpy float32 (n, *latent_shape).
    """
    shape = latent_shape_of(generator_or_shape)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((int(num_samples),) + shape).astype(np.float32)


def generate_images(generator, num_samples, seed=0, batch_size=500, progress=False,
                    value_range=(0, 1)):
    """Draws ``num_samples`` images from a generator, ``batch_size`` latents at a time.

    Args:
        generator: a model following the protocol, or a plain Keras model (then wrapped
            with ``as_generator(model, value_range)``).
        num_samples: n.
        seed: seed of the latents (see :func:`latent_batch`).
        batch_size: latents per ``generate`` call; keeps memory bounded for large n.
        progress: show a tqdm progress bar over the batches.
        value_range: output range of a plain Keras model (ignored otherwise).
    Returns:
        numpy float32 (n, H, W, C) in [0, 1].
    """
    generator = as_generator(generator, value_range=value_range)
    latents = latent_batch(generator, num_samples, seed=seed)
    starts = range(0, len(latents), int(batch_size))
    batches = [
        np.asarray(generator.generate(latents[start:start + batch_size]), dtype=np.float32)
        for start in progress_bar(starts, desc="generating", unit="batch", disable=not progress)
    ]
    images = np.concatenate(batches)
    if images.ndim != 4 or len(images) != len(latents):
        raise ValueError(
            f"generate() returned shape {images.shape} for {len(latents)} latents: "
            "it must return images (n, H, W, C) in [0, 1]"
        )
    return images
