"""Linear and spherical latent interpolation, on vectors and through decoders."""
import keras
import numpy as np
import pytest

from genai_kit import latent, sampling
from genai_kit.models import autoencoder
from tolerances import assert_rounding_close, network_roundings


@pytest.fixture(scope="module")
def endpoints():
    return latent.latent_batch((16,), 2, seed=3)


@pytest.mark.parametrize("method", latent.METHODS)
def test_paths_start_and_end_at_the_endpoints(endpoints, method):
    start, end = endpoints
    path = latent.interpolate_latents(start, end, num_steps=7, method=method)
    assert path.shape == (7, 16) and path.dtype == np.float32
    # a path point is a weighted sum of the two endpoints (slerp: through sines of the angle
    # between them, itself from a dot product of 16 terms)
    assert_rounding_close(path[0], start, roundings=16 + 8, magnitude=np.abs(endpoints).max())
    assert_rounding_close(path[-1], end, roundings=16 + 8, magnitude=np.abs(endpoints).max())


def test_linear_path_has_equal_steps_on_a_line(endpoints):
    start, end = endpoints
    path = latent.linear_interpolation(start, end, num_steps=5)
    # each point is start + i/4 (end - start), then the difference of two: a few roundings
    assert_rounding_close(np.diff(path, axis=0), np.tile((end - start) / 4, (4, 1)), roundings=6,
                          magnitude=np.abs(endpoints).max())


def test_spherical_path_keeps_the_norm_where_the_line_shrinks_it():
    start = np.array([3.0, 0.0, 0.0])
    end = np.array([0.0, 3.0, 0.0])
    spherical = latent.spherical_interpolation(start, end, num_steps=5)
    linear = latent.linear_interpolation(start, end, num_steps=5)
    assert_rounding_close(np.linalg.norm(spherical, axis=1), 3.0, roundings=3 + 8)
    assert_rounding_close(np.linalg.norm(linear[2]), 3 / np.sqrt(2), roundings=3 + 4)
    # equal angles between consecutive points: 22.5 degrees for a quarter circle in 4 steps
    cosines = np.sum(spherical[:-1] * spherical[1:], axis=1) / 9.0
    # arccos near cos = 0.92 amplifies a rounding of the cosine by 1 / sin(22.5 deg) = 2.6
    assert_rounding_close(np.degrees(np.arccos(cosines)), 22.5, roundings=3 * (3 + 8),
                          magnitude=np.degrees(2.6))


def test_spherical_path_of_parallel_endpoints_is_the_line():
    start = np.array([1.0, 2.0])
    path = latent.spherical_interpolation(start, 2 * start, num_steps=3)
    assert_rounding_close(path, latent.linear_interpolation(start, 2 * start, 3), roundings=4 + 8)


def test_interpolation_works_for_image_shaped_latents():
    start, end = latent.latent_batch((28, 28, 1), 2, seed=0)
    path = latent.spherical_interpolation(start, end, num_steps=4)
    assert path.shape == (4, 28, 28, 1)
    assert_rounding_close(path[-1], end, roundings=784 + 8, magnitude=np.abs(end).max())


@pytest.mark.parametrize("method", latent.METHODS)
def test_interpolation_endpoints_equal_the_endpoints_decodings(method):
    model = autoencoder.build_autoencoder(latent_dim=8)
    start, end = latent.latent_batch(model, 2, seed=1)
    images = sampling.interpolate(model, start, end, num_steps=6, method=method)
    assert images.shape == (6, 28, 28, 1)
    # the path's endpoints are the latents to rounding, decoded in a batch of 6 instead of 1
    roundings = network_roundings(model.decoder) + 8 + 8
    assert_rounding_close(images[0], model.generate(start[None])[0], roundings=roundings,
                          magnitude=10.0)  # the sigmoid's inputs
    assert_rounding_close(images[-1], model.generate(end[None])[0], roundings=roundings,
                          magnitude=10.0)


def test_interpolate_wraps_a_plain_keras_decoder_with_its_value_range():
    latents = keras.Input(shape=(4,))
    images = keras.layers.Reshape((2, 2, 1))(keras.layers.Activation("tanh")(latents))
    decoder = keras.Model(latents, images)
    start, end = np.full(4, -10.0), np.full(4, 10.0)
    result = sampling.interpolate(decoder, start, end, num_steps=3, value_range=(-1, 1))
    # tanh(-10) = -1 + 4e-9 and tanh(10) = 1 - 4e-9: the ends are 0 and 1 to rounding
    assert_rounding_close(result[:, 0, 0, 0], [0.0, 0.5, 1.0], roundings=8, magnitude=10.0)


def test_bad_arguments_raise_clear_errors(endpoints):
    start, end = endpoints
    with pytest.raises(ValueError, match="same shape"):
        latent.linear_interpolation(start, end[:3])
    with pytest.raises(ValueError, match="num_steps"):
        latent.linear_interpolation(start, end, num_steps=1)
    with pytest.raises(ValueError, match="method"):
        latent.interpolate_latents(start, end, method="cubic")
    with pytest.raises(ValueError, match="non-zero"):
        latent.spherical_interpolation(np.zeros(16), end)
