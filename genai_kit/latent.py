"""Latents: drawing a fixed batch, checking a batch's shape, and paths between two codes.

Works for every generative model of the kit (autoencoder/VAE decoders, the DCGAN generator,
the diffusion model, plain Keras decoders): the latents are numpy arrays of shape
``(n, *latent_shape)``, standard normal for sampling; :mod:`genai_kit.sampling` turns them
into images.

Why two kinds of path? Standard normal latents in d dimensions have norms close to sqrt(d):
they live near a sphere. The straight line between two of them cuts through the inside of
that sphere (its midpoint has norm about sqrt(d / 2) for independent endpoints), where the
generator saw no training codes; the spherical path (slerp) stays near the sphere::

    start, end = latent.latent_batch(generator, 2, seed=0)
    images = sampling.interpolate(generator, start, end, num_steps=8, method="spherical")
"""
import numpy as np

from genai_kit import checks

METHODS = ("linear", "spherical")
# below this angle (radians) between the endpoints slerp and lerp agree; lerp avoids 0 / 0
PARALLEL_ANGLE = 1e-4


def latent_shape_of(generator_or_shape):
    """The latent shape of a generator, a plain Keras model, or a shape given directly.

    Args:
        generator_or_shape: an object with ``latent_shape`` (the sampling protocol), a built
            keras.Model with one fixed-size input (its input shape without the batch), a shape
            tuple such as (100,), or an int latent_dim.
    Returns:
        tuple of ints, without the batch axis.
    """
    if isinstance(generator_or_shape, (tuple, list)):
        return tuple(checks.integer("each size of latent_shape", size, minimum=1)
                     for size in generator_or_shape)
    if isinstance(generator_or_shape, (int, float, np.integer, np.floating)):
        return (checks.integer("latent_dim", generator_or_shape, minimum=1),)
    if hasattr(generator_or_shape, "latent_shape"):
        return tuple(generator_or_shape.latent_shape)
    input_shape = getattr(generator_or_shape, "input_shape", None)
    if not isinstance(input_shape, tuple) or input_shape[1:] == () or None in input_shape[1:]:
        raise ValueError(
            f"cannot read a latent shape from {type(generator_or_shape).__name__} with input "
            f"shape {input_shape}: pass a generative model of the kit, a built keras.Model with "
            "one fixed-size input, e.g. keras.Input(shape=(latent_dim,)), or the shape itself"
        )
    return tuple(input_shape[1:])


def latent_batch(generator_or_shape, num_samples, seed=0):
    """A fixed batch of standard normal latents: the same seed gives the same batch.

    Args:
        generator_or_shape: a generator (its ``latent_shape`` is used), a plain Keras
            model, a shape tuple such as (100,), or an int latent_dim (see
            :func:`latent_shape_of`).
        num_samples: n, number of latents.
        seed: int seed of numpy's generator.
    Returns:
        numpy float32 (n, *latent_shape).
    """
    shape = latent_shape_of(generator_or_shape)
    num_samples = checks.integer("num_samples", num_samples, minimum=1,
                                 hint=": draw at least one sample")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((num_samples,) + shape).astype(np.float32)


def check_latents(latents, latent_shape):
    """Checks a batch of latents before it reaches a generator.

    Args:
        latents: array-like (n, *latent_shape).
        latent_shape: tuple, the generator's ``latent_shape``.
    Returns:
        numpy float32 (n, *latent_shape).
    Raises:
        ValueError: any other shape, a wrong dtype, or NaN or inf, with how to fix it.
    """
    latents = checks.float_array("latents", latents)
    if latents.shape[1:] != tuple(latent_shape):
        raise ValueError(
            f"expected latents of shape (n, {', '.join(map(str, latent_shape))}), "
            f"got {latents.shape}: draw them with latent.latent_batch(generator, n)"
        )
    checks.check_finite("latents", latents, ": draw them with latent.latent_batch(generator, "
                        "n), or find where the NaN came from (an encoder fed NaN images?)")
    return latents


def interpolation_weights(num_steps):
    """The path's positions t: num_steps values from 0 to 1 inclusive, numpy float32 (num_steps,)."""
    num_steps = checks.integer("num_steps", num_steps, minimum=2,
                               hint=": the path needs its two endpoints")
    return np.linspace(0.0, 1.0, num_steps, dtype=np.float32)


def linear_interpolation(start, end, num_steps=8):
    """Points on the straight line from ``start`` to ``end``: (1 - t) * start + t * end.

    Args:
        start, end: latents of the same shape ``latent_shape`` (without batch axis).
        num_steps: number of points, endpoints included (>= 2).
    Returns:
        numpy float32 (num_steps, *latent_shape); the first row is ``start``, the last ``end``.
    """
    start, end = _check_endpoints(start, end)
    weights = interpolation_weights(num_steps).reshape((-1,) + (1,) * start.ndim)
    return ((1 - weights) * start + weights * end).astype(np.float32)


def spherical_interpolation(start, end, num_steps=8):
    """Points on the great-circle arc from ``start`` to ``end`` (slerp, Shoemake 1985).

    slerp(t) = sin((1 - t) * omega) / sin(omega) * start + sin(t * omega) / sin(omega) * end,
    with omega the angle between the two latents (flattened). For endpoints of equal norm
    every point keeps that norm; for (nearly) parallel endpoints it is the straight line.

    Args:
        start, end: latents of the same shape ``latent_shape`` (without batch axis), not zero.
        num_steps: number of points, endpoints included (>= 2).
    Returns:
        numpy float32 (num_steps, *latent_shape); the first row is ``start``, the last ``end``.
    """
    start, end = _check_endpoints(start, end)
    start_flat, end_flat = start.ravel().astype(np.float64), end.ravel().astype(np.float64)
    norms = np.linalg.norm(start_flat) * np.linalg.norm(end_flat)
    if norms == 0:
        raise ValueError("spherical interpolation needs non-zero endpoints (the angle to a zero "
                         "vector is undefined): use method='linear'")
    omega = np.arccos(np.clip(start_flat @ end_flat / norms, -1.0, 1.0))
    if omega < PARALLEL_ANGLE:
        return linear_interpolation(start, end, num_steps)
    weights = interpolation_weights(num_steps).astype(np.float64)[:, None]
    start_weights = np.sin((1 - weights) * omega) / np.sin(omega)
    end_weights = np.sin(weights * omega) / np.sin(omega)
    path = start_weights * start_flat + end_weights * end_flat
    return path.reshape((-1,) + start.shape).astype(np.float32)


def interpolate_latents(start, end, num_steps=8, method="linear"):
    """``linear_interpolation`` or ``spherical_interpolation`` by name (``method``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "spherical":
        return spherical_interpolation(start, end, num_steps)
    return linear_interpolation(start, end, num_steps)


def _check_endpoints(start, end):
    start, end = np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)
    if start.shape != end.shape:
        raise ValueError(f"start and end must have the same shape, got {start.shape} and "
                         f"{end.shape}: pass single latents (latent_shape), not batches")
    if start.ndim == 0:
        raise ValueError("start and end must be latent vectors or arrays, got scalars")
    return start, end
