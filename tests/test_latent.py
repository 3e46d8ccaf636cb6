"""Linear and spherical latent interpolation, on vectors and through decoders."""
import keras
import numpy as np
import pytest

from genai_kit import latent, sampling
from genai_kit.models import autoencoder


@pytest.fixture(scope="module")
def endpoints():
    return latent.latent_batch((16,), 2, seed=3)


@pytest.mark.parametrize("method", latent.METHODS)
def test_paths_start_and_end_at_the_endpoints(endpoints, method):
    start, end = endpoints
    path = latent.interpolate_latents(start, end, num_steps=7, method=method)
    assert path.shape == (7, 16) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], start, atol=1e-5)
    np.testing.assert_allclose(path[-1], end, atol=1e-5)


def test_linear_path_has_equal_steps_on_a_line(endpoints):
    start, end = endpoints
    path = latent.linear_interpolation(start, end, num_steps=5)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((end - start) / 4, (4, 1)), atol=1e-5)


def test_spherical_path_keeps_the_norm_where_the_line_shrinks_it():
    start = np.array([3.0, 0.0, 0.0])
    end = np.array([0.0, 3.0, 0.0])
    spherical = latent.spherical_interpolation(start, end, num_steps=5)
    linear = latent.linear_interpolation(start, end, num_steps=5)
    np.testing.assert_allclose(np.linalg.norm(spherical, axis=1), 3.0, atol=1e-5)
    assert np.linalg.norm(linear[2]) == pytest.approx(3 / np.sqrt(2), abs=1e-5)
    # equal angles between consecutive points: 22.5 degrees for a quarter circle in 4 steps
    cosines = np.sum(spherical[:-1] * spherical[1:], axis=1) / 9.0
    np.testing.assert_allclose(np.degrees(np.arccos(cosines)), 22.5, atol=1e-3)


def test_spherical_path_of_parallel_endpoints_is_the_line():
    start = np.array([1.0, 2.0])
    path = latent.spherical_interpolation(start, 2 * start, num_steps=3)
    np.testing.assert_allclose(path, latent.linear_interpolation(start, 2 * start, 3), atol=1e-6)


def test_interpolation_works_for_image_shaped_latents():
    start, end = latent.latent_batch((28, 28, 1), 2, seed=0)
    path = latent.spherical_interpolation(start, end, num_steps=4)
    assert path.shape == (4, 28, 28, 1)
    np.testing.assert_allclose(path[-1], end, atol=1e-5)


@pytest.mark.parametrize("method", latent.METHODS)
def test_interpolation_endpoints_equal_the_endpoints_decodings(method):
    model = autoencoder.build_autoencoder(latent_dim=8)
    start, end = latent.latent_batch(model, 2, seed=1)
    images = sampling.interpolate(model, start, end, num_steps=6, method=method)
    assert images.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(images[0], model.generate(start[None])[0], atol=1e-6)
    np.testing.assert_allclose(images[-1], model.generate(end[None])[0], atol=1e-6)


def test_interpolate_wraps_a_plain_keras_decoder_with_its_value_range():
    latents = keras.Input(shape=(4,))
    images = keras.layers.Reshape((2, 2, 1))(keras.layers.Activation("tanh")(latents))
    decoder = keras.Model(latents, images)
    start, end = np.full(4, -10.0), np.full(4, 10.0)
    result = sampling.interpolate(decoder, start, end, num_steps=3, value_range=(-1, 1))
    np.testing.assert_allclose(result[:, 0, 0, 0], [0.0, 0.5, 1.0], atol=1e-4)


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
