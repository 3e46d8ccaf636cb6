"""Plotting helpers, one per idea, shared by every notebook and callback."""
import pathlib

import numpy as np

from genai_kit import checks, pixels


def image_grid(images, value_range=(0, 1), ncols=8, padding=2):
    """Tiles a batch of images into one picture.

    Args:
        images: array (n, height, width, channels) with channels 1 or 3, or (n, height, width).
        value_range: (low, high) of the input values, (0, 1) or (-1, 1) for a tanh output.
        ncols: images per row.
        padding: white pixels between images.
    Returns:
        uint8 array (grid_height, grid_width, 3).
    """
    ncols = checks.integer("ncols", ncols, minimum=1, hint=": images per row, e.g. 8")
    padding = checks.integer("padding", padding, minimum=0)
    images = checks.float_array("images", images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    images = pixels.to_unit_range(pixels.check_images(images), value_range)
    if len(images) == 0:
        raise ValueError("got 0 images: pass at least one image to tile")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    count, height, width, _ = images.shape
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    grid = np.ones((nrows * (height + padding) + padding,
                    ncols * (width + padding) + padding, 3), dtype=np.float32)
    for index, image in enumerate(images):
        row, col = divmod(index, ncols)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top:top + height, left:left + width] = image
    return (grid * 255).round().astype(np.uint8)


def show_images(images, value_range=(0, 1), ncols=8, titles=None, title=None):
    """Shows a batch of images in a grid, one subplot per image when ``titles`` are given.

    Args:
        images: array (n, height, width, channels), values in ``value_range``.
        titles: optional list of n short strings (labels, predictions).
        title: optional title of the whole figure.
    Returns:
        matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if titles is None:
        grid = image_grid(images, value_range, ncols)
        figure, axis = plt.subplots(figsize=(min(12, grid.shape[1] / 40 + 1),
                                             min(12, grid.shape[0] / 40 + 1)))
        axis.imshow(grid, interpolation="nearest")
        axis.axis("off")
    else:
        ncols = checks.integer("ncols", ncols, minimum=1, hint=": images per row, e.g. 8")
        count = len(images)
        if len(titles) != count:
            raise ValueError(f"got {len(titles)} titles for {count} images: pass one per image")
        ncols = min(ncols, count)
        nrows = -(-count // ncols)
        # constrained layout keeps each row's titles clear of the images above them, which
        # tight_layout does not do for square (fixed-aspect) image axes
        figure, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.7 * nrows + 0.4),
                                    squeeze=False, layout="constrained")
        for axis in axes.flat:
            axis.axis("off")
        for axis, image, image_title in zip(axes.flat, images, titles):
            axis.imshow(image_grid(image[np.newaxis], value_range, 1, padding=0))
            axis.set_title(str(image_title), fontsize=9)
    if title:
        figure.suptitle(title)
    if titles is None:
        figure.tight_layout()
    return figure


def save_image_grid(path, images, value_range=(0, 1), ncols=8):
    """Writes ``image_grid(images, value_range, ncols)`` as a PNG file; returns the path."""
    from PIL import Image

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image_grid(images, value_range, ncols)).save(path)
    return path


def plot_history(history, keys=None, title=None, log_scale=False):
    """Plots training curves, one line per metric, validation curves dashed.

    Args:
        history: a ``keras.callbacks.History`` or a dict {metric name: list of values per epoch}.
        keys: metric names to plot (default: every non-validation metric); "val_" twins are
            drawn alongside when present.
        log_scale: use a logarithmic y axis (losses spanning decades).
    Returns:
        matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    values = getattr(history, "history", history)
    if keys is None:
        keys = [key for key in values if not key.startswith("val_")]
    missing = [key for key in keys if key not in values]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(values)}")
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for key in keys:
        epochs = np.arange(1, len(values[key]) + 1)
        (line,) = axis.plot(epochs, values[key], label=key)
        if f"val_{key}" in values:
            axis.plot(epochs, values[f"val_{key}"], "--", color=line.get_color(), label=f"val_{key}")
    axis.set_xlabel("epoch")
    if log_scale:
        axis.set_yscale("log")
    axis.legend()
    axis.grid(alpha=0.3)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure
