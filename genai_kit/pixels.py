"""Batches of images: checking them at a public boundary and converting their value range.

The kit's models and metrics take images as arrays ``(n, H, W, C)`` of floats in a declared
``value_range``: ``(0, 1)`` for sigmoid decoders and MNIST, ``(-1, 1)`` for tanh generators
and the diffusion model's inside. Every function that accepts images checks them once with
:func:`check_images`, and every conversion to ``[0, 1]`` (for plots, PNGs, metrics and the
sampling protocol) goes through :func:`to_unit_range`. Training sets are checked twice by the
models' ``fit``: the first batch in Python with :func:`check_images` (and
:func:`check_uses_range`), every batch in the input pipeline with :func:`graph_check_images`.
"""
import math

import numpy as np
import tensorflow as tf

from genai_kit import checks

UNIT_RANGE = (0.0, 1.0)
TANH_RANGE = (-1.0, 1.0)
# pixel values a little outside their range (float round-off, augmentation) are still fine:
# this fraction of the range's width
RANGE_TOLERANCE = 1e-3
NOT_FINITE_HINT = (": drop or repair those images (np.nan_to_num) if they are data, or lower "
                   "the learning rate if a diverged model made them")


def check_value_range(value_range):
    """Returns ``value_range`` as a pair of floats (low, high) after checking low < high."""
    try:
        low, high = (float(value) for value in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair of numbers (low, high), e.g. (0, 1) or "
                         f"(-1, 1), got {value_range!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
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
    images = checks.float_array("images", images)
    if image_shape is not None:
        _check_shape(images, tuple(int(size) for size in image_shape))
    elif images.ndim == 3:
        raise ValueError(f"expected images (n, H, W, C), got shape {images.shape}: add the "
                         "channel axis, e.g. images[..., None]")
    elif images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"expected images (n, H, W, 1 or 3), got shape {images.shape}")
    checks.check_finite("images", images, NOT_FINITE_HINT)
    if value_range is not None and images.size:
        _check_values(images, check_value_range(value_range))
    return images


def check_uses_range(images, value_range, hint=""):
    """Refuses training images in [0, 1] given to a model of a range with negative values.

    Every value of the batch >= 0 for a range such as (-1, 1) means the images were not
    rescaled: the model would learn that no pixel is ever darker than mid-grey. Checked on
    the first batch of a training set only (one dark pixel anywhere is enough to pass).

    Args:
        images: numpy array (n, H, W, C), already through :func:`check_images`.
        value_range: (low, high) the model trains on.
        hint: text appended to the message.
    """
    low, high = check_value_range(value_range)
    if low < 0.0 < high and images.size and float(images.min()) >= 0.0:
        raise ValueError(
            f"expected pixel values in [{low:g}, {high:g}], got only values in "
            f"[{float(images.min()):.3g}, {float(images.max()):.3g}]: images in [0, 1]? "
            f"rescale them with images * {high - low:g} - {-low:g}{hint}")


def graph_check_images(images, value_range):
    """:func:`check_images`' value check as TensorFlow ops, for batches inside a tf.data graph.

    One pass over the batch: NaN fails both comparisons, so it is caught with the range.

    Args:
        images: tensor (n, H, W, C), any real dtype.
        value_range: (low, high) the values must lie in (up to ``RANGE_TOLERANCE``).
    Returns:
        a boolean tensor to depend on; running it on a bad batch raises
        ``InvalidArgumentError`` with a message that starts with ``checks.IN_GRAPH_MARKER``.
    """
    low, high = check_value_range(value_range)
    tolerance = RANGE_TOLERANCE * (high - low)
    images = tf.cast(images, tf.float32)
    in_range = tf.reduce_all((images >= low - tolerance) & (images <= high + tolerance))

    def report():
        # only a failed check computes the message's numbers
        is_nan = tf.math.is_nan(images)
        assertion = tf.debugging.Assert(in_range, [
            f"{checks.IN_GRAPH_MARKER} expected finite pixel values in [{low:g}, {high:g}]: "
            "clean or rescale the whole dataset, not only its first batch (0-255 pixels? "
            "dataset.map(lambda x: x / 255)), and drop images with NaN or inf. This batch: "
            "smallest", tf.reduce_min(tf.where(is_nan, np.inf, images)),
            "largest", tf.reduce_max(tf.where(is_nan, -np.inf, images)),
            "NaN values", tf.reduce_sum(tf.cast(is_nan, tf.int32))])
        with tf.control_dependencies([assertion]):
            return tf.identity(in_range)

    return tf.cond(in_range, lambda: in_range, report)


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
    if largest > 1.5 and high <= 1.0 and low < 0.0:
        hint = f": 0-255 pixels? rescale them with images / 127.5 - 1 for [{low:g}, {high:g}]"
    elif largest > 1.5 and high <= 1.0:
        hint = ": 0-255 pixels? divide by 255"
    elif smallest < 0.0 <= low:
        hint = ": a tanh output? pass the range they are in, value_range=(-1, 1)"
    else:
        hint = ": pass the range they are in as value_range=(low, high)"
    raise ValueError(f"expected pixel values in [{low:g}, {high:g}], got [{smallest:.3g}, "
                     f"{largest:.3g}]{hint}")
