"""Batches of images: checking them at a public boundary and converting their value range.

The kit's models and metrics take images as arrays ``(n, H, W, C)`` of floats in a declared
``value_range``: ``(0, 1)`` for sigmoid decoders and MNIST, ``(-1, 1)`` for tanh generators
and the diffusion model's inside. Every function that accepts images checks them once with
:func:`check_images`, and every conversion to ``[0, 1]`` (for plots, PNGs, metrics and the
sampling protocol) goes through :func:`to_unit_range`.
"""
import math

import numpy as np

UNIT_RANGE = (0.0, 1.0)
TANH_RANGE = (-1.0, 1.0)
# pixel values a little outside their range (float round-off, augmentation) are still fine:
# this fraction of the range's width
RANGE_TOLERANCE = 1e-3


def check_value_range(value_range):
    """Returns ``value_range`` as a pair of floats (low, high) after checking low < high."""
    low, high = (float(value) for value in value_range)
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with low < high, e.g. (0, 1) or "
                         f"(-1, 1), got {tuple(value_range)}")
    return low, high


def to_unit_range(images, value_range=TANH_RANGE):
    """Rescales images from ``value_range`` to [0, 1], clipping what lies outside.

    Args:
        images: array or eager tensor of any shape, values in ``value_range``.
        value_range: (low, high) of ``images``; (-1, 1) for a tanh output.
    Returns:
        numpy float32 of the same shape, in [0, 1].
    """
    low, high = check_value_range(value_range)
    images = np.asarray(images, dtype=np.float32)
    return np.clip((images - low) / (high - low), 0.0, 1.0).astype(np.float32)


def check_images(images, image_shape=None, value_range=None):
    """Checks a batch of images before it reaches a model or a metric.

    Args:
        images: array-like (n, H, W, C).
        image_shape: the (H, W, C) a model was built for; None accepts any (H, W) with 1 or
            3 channels.
        value_range: (low, high) the values must lie in (up to ``RANGE_TOLERANCE`` of the
            width); None skips the check (e.g. noisy diffusion inputs x_t).
    Returns:
        the images as numpy float32 (n, H, W, C), values unchanged.
    Raises:
        ValueError: a wrong shape, NaN or inf, or values outside ``value_range``, with the fix.
    """
    images = np.asarray(images, dtype=np.float32)
    if image_shape is not None:
        _check_shape(images, tuple(int(size) for size in image_shape))
    elif images.ndim == 3:
        raise ValueError(f"expected images (n, H, W, C), got shape {images.shape}: add the "
                         "channel axis, e.g. images[..., None]")
    elif images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"expected images (n, H, W, 1 or 3), got shape {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or inf: the model that made them has probably "
                         "diverged (lower the learning rate)")
    if value_range is not None and images.size:
        _check_values(images, check_value_range(value_range))
    return images


def _check_shape(images, image_shape):
    if images.shape[1:] == image_shape:
        return
    hint = ""
    if images.ndim == 2 and images.shape[1] == math.prod(image_shape):
        hint = (f": reshape flat images with images.reshape(-1, "
                f"{', '.join(map(str, image_shape))})")
    elif images.shape == image_shape:
        hint = ": a single image needs a batch axis, images[None]"
    elif images.shape[1:] == image_shape[:-1] and image_shape[-1] == 1:
        hint = ": add the channel axis, images[..., None]"
    raise ValueError(f"expected images of shape (n, {', '.join(map(str, image_shape))}), "
                     f"got {images.shape}; the model was built for {image_shape} images{hint}")


def _check_values(images, value_range):
    low, high = value_range
    tolerance = RANGE_TOLERANCE * (high - low)
    smallest, largest = float(images.min()), float(images.max())
    if low - tolerance <= smallest and largest <= high + tolerance:
        return
    if largest > 1.5 and high <= 1.0:
        hint = ": 0-255 pixels? divide by 255"
    elif smallest < 0.0 <= low:
        hint = ": a tanh output? pass the range they are in, value_range=(-1, 1)"
    else:
        hint = ": pass the range they are in as value_range=(low, high)"
    raise ValueError(f"expected pixel values in [{low:g}, {high:g}], got [{smallest:.3g}, "
                     f"{largest:.3g}]{hint}")
