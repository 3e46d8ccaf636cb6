"""The 2-D loss surfaces and the optimizer-path helpers."""
import numpy as np
import pytest

from genai_kit import optim
from genai_kit.optim import paths, surfaces
from tolerances import FLOAT64_EPS, rounding_tolerance

NAMES = sorted(surfaces.SURFACES)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_finite_differences(name):
    surface = surfaces.get_surface(name)
    (x_min, x_max), (y_min, y_max) = surface.bounds
    rng = np.random.default_rng(0)
    points = np.stack([rng.uniform(x_min, x_max, 20), rng.uniform(y_min, y_max, 20)], axis=-1)
    step = 1e-6
    numeric = np.stack([(surface.value(points + step * unit) - surface.value(points - step * unit))
                        / (2 * step) for unit in np.eye(2)], axis=-1)
    # central differences: the float64 rounding of the two values (a few roundings at the
    # size of f) divided by 2 * step, plus the truncation error step^2 / 6 times the third
    # derivative (below 1e6 on the plotting windows)
    largest_value = np.abs(surface.value(points)).max()
    tolerance = (rounding_tolerance(largest_value, 8, FLOAT64_EPS) / (2 * step)
                 + step ** 2 / 6 * 1e6)
    np.testing.assert_allclose(surface.gradient(points), numeric, rtol=0, atol=tolerance)


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_flat_and_lowest_on_the_plotting_window(name):
    surface = surfaces.get_surface(name)
    minima = np.asarray(surface.minima)
    # not rounding: the minima are written to 6 decimals, so the value there is off by about
    # Hessian x (1e-6)^2 and the gradient by Hessian (< 100) x 1e-6
    np.testing.assert_allclose(surface.value(minima), surface.minimum_value, atol=1e-8)
    np.testing.assert_allclose(surface.gradient(minima), 0.0, atol=1e-4)
    (x_min, x_max), (y_min, y_max) = surface.bounds
    grid = np.stack(np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101)),
                    axis=-1)
    assert surface.value(grid).min() >= surface.minimum_value - 1e-8
    assert surface.value(np.asarray(surface.start)) > surface.minimum_value + 0.1


def test_unknown_surface_and_bad_points_raise_a_clear_error():
    with pytest.raises(ValueError, match="rosenbrock"):
        surfaces.get_surface("banana")
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        surfaces.get_surface("saddle").value(np.zeros(3))


def test_path_starts_at_the_start_and_has_one_row_per_step():
    path = paths.optimizer_path(optim.SGD(0.01), "himmelblau", num_steps=25)
    assert path.shape == (26, 2) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], surfaces.get_surface("himmelblau").start)


def test_momentum_gets_further_down_the_narrow_valley_than_plain_sgd():
    surface = surfaces.get_surface("narrow_valley")
    plain = paths.optimizer_path(optim.SGD(0.4), surface, num_steps=30)[-1]
    momentum = paths.optimizer_path(optim.SGD(0.4, momentum=0.8), surface, num_steps=30)[-1]
    assert surface.distance_to_minimum(momentum) < 0.1 < surface.distance_to_minimum(plain)


def test_gradient_descent_started_on_the_ridge_stops_at_the_saddle():
    surface = surfaces.get_surface("saddle")
    on_ridge = paths.optimizer_path(optim.SGD(0.1), surface, 300, start=(-2.0, 0.0))[-1]
    # not rounding: 300 steps contract x geometrically towards the saddle (y stays exactly 0)
    np.testing.assert_allclose(on_ridge, [0.0, 0.0], atol=1e-6)
    # a nudge of 1e-3 off the ridge is enough to slide down into a minimum
    nudged = paths.optimizer_path(optim.SGD(0.1), surface, 300, start=(-2.0, 1e-3))[-1]
    assert surface.distance_to_minimum(nudged) < 1e-3


def test_adam_and_momentum_reach_the_rosenbrock_minimum():
    surface = surfaces.get_surface("rosenbrock")
    momentum = paths.optimizer_path(optim.SGD(2e-3, momentum=0.9), surface, 3000)[-1]
    adam = paths.optimizer_path(optim.Adam(0.05), surface, 3000)[-1]
    assert surface.distance_to_minimum(momentum) < 1e-3
    assert surface.distance_to_minimum(adam) < 0.1


def test_plot_paths_draws_one_line_per_optimizer():
    surface = surfaces.get_surface("narrow_valley")
    path_a = paths.optimizer_path(optim.SGD(0.3), surface, 10)
    path_b = paths.optimizer_path(optim.Adam(0.3), surface, 10)
    figure = paths.plot_paths(surface, {"SGD": path_a, "Adam": path_b})
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert len(labels) == 2 and labels[0].startswith("SGD")
