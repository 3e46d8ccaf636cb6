"""Two-dimensional loss surfaces with known minima, for watching optimizers move.

Each surface is a ``LossSurface`` with its value, its exact gradient, its minima and a
start point that shows the surface's difficulty:

- ``rosenbrock``: a curved, flat-bottomed banana valley; easy to find, slow to follow.
- ``narrow_valley``: a quadratic 20 times steeper across than along (condition number 20):
  plain gradient descent zig-zags across and crawls along it.
- ``saddle``: a saddle point at the origin between two minima; gradient descent started on
  the ridge barely moves until it slides off.
- ``himmelblau``: four minima of equal depth; where you end up depends on the path.

Points are arrays ``(..., 2)`` holding ``(x, y)``, so one call evaluates a whole grid.
"""
import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class LossSurface:
    """A 2-D test function.

    Attributes:
        name: short name, the key in ``SURFACES``.
        value_fn: callable(x, y) -> f, elementwise on arrays.
        gradient_fn: callable(x, y) -> (df/dx, df/dy), elementwise on arrays.
        minima: tuple of (x, y) points where the global minimum is reached.
        minimum_value: float, f at the minima.
        start: (x, y), a start point that shows the surface's difficulty.
        bounds: ((x_min, x_max), (y_min, y_max)), the window to plot.
    """

    name: str
    value_fn: Callable
    gradient_fn: Callable
    minima: tuple
    minimum_value: float
    start: tuple
    bounds: tuple

    def value(self, point):
        """f at ``point``, array (..., 2) -> array (...)."""
        point = _as_points(point)
        return self.value_fn(point[..., 0], point[..., 1])

    def gradient(self, point):
        """Gradient at ``point``, array (..., 2) -> array (..., 2) of the same dtype."""
        point = _as_points(point)
        grad_x, grad_y = self.gradient_fn(point[..., 0], point[..., 1])
        return np.stack([grad_x, grad_y], axis=-1).astype(point.dtype)

    def distance_to_minimum(self, point):
        """Euclidean distance from ``point`` (..., 2) to the nearest minimum, array (...)."""
        point = _as_points(point)
        minima = np.asarray(self.minima, dtype=np.float64)
        distances = np.linalg.norm(point[..., np.newaxis, :] - minima, axis=-1)
        return distances.min(axis=-1)


def _as_points(point):
    point = np.asarray(point)
    if point.shape[-1:] != (2,):
        raise ValueError(f"expected points with shape (..., 2) holding (x, y), got shape {point.shape}")
    if not np.issubdtype(point.dtype, np.floating):
        point = point.astype(np.float64)
    return point


def _rosenbrock(x, y, a=1.0, b=100.0):
    return (a - x) ** 2 + b * (y - x ** 2) ** 2


def _rosenbrock_gradient(x, y, a=1.0, b=100.0):
    return -2 * (a - x) - 4 * b * x * (y - x ** 2), 2 * b * (y - x ** 2)


# along x the curvature is 0.2, across (y) it is 4: a valley 20 times steeper across
def _narrow_valley(x, y):
    return 0.1 * x ** 2 + 2.0 * y ** 2


def _narrow_valley_gradient(x, y):
    return 0.2 * x, 4.0 * y


# a ridge along y = 0 (f curves down in y) between minima at y = -1 and y = +1
def _saddle(x, y):
    return 0.5 * x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2


def _saddle_gradient(x, y):
    return x, y ** 3 - y


def _himmelblau(x, y):
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def _himmelblau_gradient(x, y):
    first, second = x ** 2 + y - 11, x + y ** 2 - 7
    return 4 * x * first + 2 * second, 2 * first + 4 * y * second


SURFACES = {
    "rosenbrock": LossSurface("rosenbrock", _rosenbrock, _rosenbrock_gradient,
                              minima=((1.0, 1.0),), minimum_value=0.0,
                              start=(-1.5, 2.0), bounds=((-2.0, 2.0), (-1.0, 3.0))),
    "narrow_valley": LossSurface("narrow_valley", _narrow_valley, _narrow_valley_gradient,
                                 minima=((0.0, 0.0),), minimum_value=0.0,
                                 start=(-4.5, 1.0), bounds=((-5.0, 5.0), (-1.5, 1.5))),
    "saddle": LossSurface("saddle", _saddle, _saddle_gradient,
                          minima=((0.0, -1.0), (0.0, 1.0)), minimum_value=-0.25,
                          start=(-2.0, 0.001), bounds=((-2.5, 2.5), (-1.6, 1.6))),
    "himmelblau": LossSurface("himmelblau", _himmelblau, _himmelblau_gradient,
                              minima=((3.0, 2.0), (-2.805118, 3.131312),
                                      (-3.779310, -3.283186), (3.584428, -1.848126)),
                              minimum_value=0.0,
                              start=(0.0, -0.5), bounds=((-5.0, 5.0), (-5.0, 5.0))),
}


def get_surface(name):
    """The ``LossSurface`` called ``name`` (one of ``SURFACES``)."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}: choose one of {sorted(SURFACES)}")
    return SURFACES[name]
