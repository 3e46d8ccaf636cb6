"""Optimizer paths on the 2-D test functions, and a contour plot to compare them."""
import numpy as np

from genai_kit.optim import optimizers, surfaces


def optimizer_path(optimizer, surface, num_steps=200, start=None):
    """The points an optimizer visits on a 2-D surface.

    Args:
        optimizer: a ``genai_kit.optim`` optimizer or a fresh ``keras.optimizers`` one.
        surface: a ``LossSurface`` or its name in ``surfaces.SURFACES``.
        num_steps: int >= 0.
        start: (x, y), defaults to ``surface.start``.
    Returns:
        float32 array (num_steps + 1, 2), the start first.
    """
    if isinstance(surface, str):
        surface = surfaces.get_surface(surface)
    start = surface.start if start is None else start
    path = optimizers.trajectory(optimizer,
                                 lambda params: {"point": surface.gradient(params["point"])},
                                 {"point": start}, num_steps)
    return path["point"]


def plot_paths(surface, paths, ax=None, title=None, num_levels=30):
    """Draws optimizer paths over the contour lines of a surface.

    Contour levels are spaced logarithmically in ``f - minimum_value`` so that flat valley
    floors stay visible; minima are marked with stars, the start with a circle.

    Args:
        surface: a ``LossSurface`` or its name.
        paths: dict label -> array (num_points, 2), e.g. from ``optimizer_path``.
        ax: matplotlib Axes to draw on; a new figure when None.
        title: defaults to the surface's name.
        num_levels: number of contour levels.
    Returns:
        matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(surface, str):
        surface = surfaces.get_surface(surface)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    (x_min, x_max), (y_min, y_max) = surface.bounds
    grid = np.stack(np.meshgrid(np.linspace(x_min, x_max, 300), np.linspace(y_min, y_max, 300)),
                    axis=-1)
    height = surface.value(grid) - surface.minimum_value
    low = max(np.percentile(height, 0.5), 1e-4)
    levels = np.geomspace(low, height.max(), num_levels)
    ax.contour(grid[..., 0], grid[..., 1], height, levels=levels, cmap="Greys", linewidths=0.6,
               alpha=0.8)
    for label, path in paths.items():
        path = np.asarray(path)
        final_loss = surface.value(path[-1].astype(np.float64))
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1.2,
                label=f"{label} (f={final_loss:.3g})")
    ax.scatter(*np.asarray(surface.minima).T, marker="*", s=150, color="gold",
               edgecolor="black", zorder=5, label="minimum")
    first_path = next(iter(paths.values()), None)
    if first_path is not None:
        ax.scatter(*np.asarray(first_path)[0], s=40, color="black", zorder=5, label="start")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(surface.name if title is None else title)
    ax.legend(fontsize=7, loc="best")
    return ax.figure
