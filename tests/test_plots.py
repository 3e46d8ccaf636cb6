"""The plotting helpers: a figure that hides its own labels teaches nothing."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from genai_kit import plots  # noqa: E402


def test_show_images_keeps_every_rows_titles_clear_of_the_images_above():
    images = np.random.default_rng(0).random((20, 28, 28, 1))
    figure = plots.show_images(images, ncols=10, titles=[f"{i} (0.99)" for i in range(20)],
                               title="two rows with a figure title")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes
    first_row_images = [axis.get_window_extent(renderer) for axis in axes[:10]]
    for axis in axes[10:]:
        title_box = axis.title.get_window_extent(renderer)
        for image_box in first_row_images:
            assert not title_box.overlaps(image_box), "a second-row title overlaps a first-row image"
    (suptitle,) = [text for text in figure.texts if text.get_text() == figure.get_suptitle()]
    suptitle_box = suptitle.get_window_extent(renderer)
    for axis in axes[:10]:
        assert not axis.title.get_window_extent(renderer).overlaps(suptitle_box)
    plt.close(figure)

