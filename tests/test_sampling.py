import genai_kit  # noqa: F401  (sets TF defaults before keras)
import keras
import numpy as np
import pytest

from genai_kit import latent, sampling
from tolerances import assert_rounding_close, network_roundings


def tiny_decoder(latent_dim=3, activation="tanh"):
    inputs = keras.Input(shape=(latent_dim,))
    outputs = keras.layers.Dense(4 * 4 * 1, activation=activation)(inputs)
    outputs = keras.layers.Reshape((4, 4, 1))(outputs)
    return keras.Model(inputs, outputs)


def test_latent_batch_is_reproducible_standard_normal():
    first = latent.latent_batch((5,), 2000, seed=3)
    again = latent.latent_batch(5, 2000, seed=3)
    other = latent.latent_batch((5,), 2000, seed=4)
    assert first.shape == (2000, 5) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)  # the same seed draws the same numbers
    assert not np.allclose(first, other)
    assert abs(first.mean()) < 0.05 and abs(first.std() - 1) < 0.05


def test_as_generator_rescales_plain_model_output_to_unit_range():
    decoder = tiny_decoder(activation="tanh")
    generator = sampling.as_generator(decoder, value_range=(-1, 1))
    assert generator.latent_shape == (3,)
    latents = latent.latent_batch(generator, 7, seed=0)
    images = generator.generate(latents)
    raw = decoder.predict(latents, verbose=0)
    assert images.shape == (7, 4, 4, 1) and images.dtype == np.float32
    # generate() (direct calls) against predict() (a compiled function): the same network to
    # rounding, then (x + 1) / 2; tanh squashes, so the pre-activations (|x| < 10) set the scale
    assert_rounding_close(images, (raw + 1) / 2, roundings=network_roundings(decoder) + 2,
                          magnitude=10.0)


def test_as_generator_returns_protocol_models_unchanged():
    class Constant:
        latent_shape = (2,)

        def generate(self, latents):
            return np.zeros((len(latents), 2, 2, 1), np.float32)

    model = Constant()
    assert sampling.as_generator(model) is model


def test_generate_images_batches_the_latents_in_order():
    decoder = tiny_decoder(activation="sigmoid")
    whole = sampling.generate_images(decoder, 10, seed=1, batch_size=100)
    batched = sampling.generate_images(decoder, 10, seed=1, batch_size=3)
    # the same rows in batches of 100 and of 3: other kernels may run for other batch sizes
    assert_rounding_close(whole, batched, roundings=network_roundings(decoder), magnitude=10.0)


def test_wrong_latent_shape_is_a_clear_error():
    generator = sampling.as_generator(tiny_decoder())
    with pytest.raises(ValueError, match="latent_batch"):
        generator.generate(np.zeros((2, 4), np.float32))


def test_flat_decoder_output_needs_image_shape():
    inputs = keras.Input(shape=(2,))
    decoder = keras.Model(inputs, keras.layers.Dense(16, activation="sigmoid")(inputs))
    with pytest.raises(ValueError, match="image_shape"):
        sampling.as_generator(decoder).generate(np.zeros((1, 2)))
    images = sampling.as_generator(decoder, image_shape=(4, 4, 1)).generate(np.zeros((1, 2)))
    assert images.shape == (1, 4, 4, 1)
