"""Walking through a latent space: linear and spherical interpolation between two codes.

Works for every generative model of the kit (autoencoder/VAE decoders, the DCGAN generator,
plain Keras decoders wrapped by :func:`genai_kit.sampling.as_generator`): the latents are
numpy arrays of any shape ``latent_shape``, the images come back from ``generate``.

Why two kinds of path? Standard normal latents in d dimensions have norms close to sqrt(d):
they live near a sphere. The straight line between two of them cuts through the inside of
that sphere (its midpoint has norm about sqrt(d / 2) for independent endpoints), where the
generator saw no training codes; the spherical path (slerp) stays near the sphere::

    start, end = sampling.latent_batch(generator, 2, seed=0)
    images = latent.interpolate(generator, start, end, num_steps=8, method="spherical")
"""
import numpy as np

from genai_kit import sampling

METHODS = ("linear", "spherical")
# below this angle (radians) between the endpoints slerp and lerp agree; lerp avoids 0 / 0
PARALLEL_ANGLE = 1e-4


def interpolation_weights(num_steps):
    """The path's positions t: num_steps values from 0 to 1 inclusive, numpy float32 (num_steps,)."""
    if int(num_steps) < 2:
        raise ValueError(f"num_steps must be >= 2 (the two endpoints), got {num_steps}")
    return np.linspace(0.0, 1.0, int(num_steps), dtype=np.float32)


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


def interpolate(generator, start, end, num_steps=8, method="linear", value_range=(0, 1)):
    """Images along a latent path from ``start`` to ``end``.

    Args:
        generator: a model with ``latent_shape`` and ``generate`` (the kit's VAE, autoencoder,
            DCGAN generator), or a plain Keras decoder (wrapped with ``as_generator``).
        start, end: latents of shape ``latent_shape`` (e.g. two rows of ``latent_batch``, or
            the codes of two encoded digits).
        num_steps: number of images, endpoints included.
        method: "linear" or "spherical".
        value_range: output range of a plain Keras decoder (ignored for protocol models).
    Returns:
        numpy float32 (num_steps, H, W, C) in [0, 1]; the first image is the decoding of
        ``start``, the last the decoding of ``end``.
    """
    generator = sampling.as_generator(generator, value_range=value_range)
    path = interpolate_latents(start, end, num_steps, method)
    return np.asarray(generator.generate(sampling.check_latents(path, generator.latent_shape)),
                      dtype=np.float32)


def _check_endpoints(start, end):
    start, end = np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)
    if start.shape != end.shape:
        raise ValueError(f"start and end must have the same shape, got {start.shape} and "
                         f"{end.shape}: pass single latents (latent_shape), not batches")
    if start.ndim == 0:
        raise ValueError("start and end must be latent vectors or arrays, got scalars")
    return start, end
