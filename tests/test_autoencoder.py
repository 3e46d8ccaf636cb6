"""The slides' autoencoder: architecture, training on real digits, errors, save/load."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import data, latent, sampling
from genai_kit.models import autoencoder
from tolerances import assert_rounding_close, network_roundings


@pytest.fixture(scope="module")
def digits():
    train, _ = data.load_mnist("train", source="bundled")
    test, _ = data.load_mnist("test", source="bundled")
    return train[:2000], test[:200]


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_default_autoencoder_has_the_slides_layer_widths_and_activations():
    model = autoencoder.build_autoencoder()
    encoder, decoder = dense_layers(model.encoder), dense_layers(model.decoder)
    assert [layer.units for layer in encoder] == [512, 256, 128]
    assert [layer.units for layer in decoder] == [256, 512, 784]
    activations = [layer.activation.__name__ for layer in encoder + decoder]
    assert activations == ["relu"] * 5 + ["sigmoid"]


def test_default_autoencoder_is_compiled_with_mse_and_adam_at_0_001():
    model = autoencoder.build_autoencoder()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    # a float32 variable holds 1e-3 to within half a float32 ulp (6e-8 relative)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3, rel=1e-7)
    assert model.loss == "mse"


def test_compression_ratio_of_the_slides_is_6_125():
    assert autoencoder.compression_ratio() == 6.125
    assert autoencoder.compression_ratio((28, 28, 1), 32) == 24.5


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_encoder_and_decoder_shapes_and_ranges(architecture):
    model = autoencoder.build_autoencoder(architecture=architecture, latent_dim=16)
    images = np.random.default_rng(0).uniform(size=(5, 28, 28, 1)).astype("float32")
    codes = model.encode(images)
    reconstructions = model.decode(codes)
    assert codes.shape == (5, 16)
    assert reconstructions.shape == (5, 28, 28, 1)
    assert reconstructions.min() >= 0 and reconstructions.max() <= 1
    assert model(images).shape == (5, 28, 28, 1)


def test_autoencoder_follows_the_sampling_protocol():
    model = autoencoder.build_autoencoder(latent_dim=8)
    assert sampling.is_generator(model)
    assert model.latent_shape == (8,)
    images = model.generate(latent.latent_batch(model, 3))
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32


def test_training_on_real_digits_lowers_held_out_mse(digits):
    train, test = digits
    keras.utils.set_random_seed(0)
    model = autoencoder.build_autoencoder()
    before = model.evaluate(test, test, verbose=0)
    history = model.fit(train, train, epochs=3, batch_size=128, verbose=0)
    after = model.evaluate(test, test, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert before > 0.1  # an untrained sigmoid decoder outputs about 0.5 everywhere
    assert after < 0.07


def test_fit_without_targets_reconstructs_the_input():
    dataset = data.mnist_dataset("train", batch_size=128, source="bundled", num_examples=1024)
    keras.utils.set_random_seed(0)
    model = autoencoder.build_autoencoder(latent_dim=32)
    history = model.fit(dataset, epochs=3, verbose=0, shuffle=False).history  # shuffled already
    assert history["loss"][-1] < 0.8 * history["loss"][0]


def test_denoising_noise_is_applied_only_in_training():
    model = autoencoder.build_autoencoder(noise_stddev=0.5, latent_dim=8)
    images = np.full((4, 28, 28, 1), 0.5, dtype="float32")
    inference = [keras.ops.convert_to_numpy(model(images)) for _ in range(2)]
    training = [keras.ops.convert_to_numpy(model(images, training=True)) for _ in range(2)]
    np.testing.assert_array_equal(inference[0], inference[1])  # one model, one input: same bits
    assert np.abs(training[0] - training[1]).max() > 1e-4


def test_add_noise_keeps_shape_and_range_and_is_seeded():
    images = np.full((2, 28, 28, 1), 0.5, dtype="float32")
    noisy = autoencoder.add_noise(images, 0.3, seed=1)
    assert noisy.shape == images.shape and noisy.min() >= 0 and noisy.max() <= 1
    # 1,568 noise draws: the sample std is within 0.03 of 0.3 over 5 standard errors (0.0054) of it
    assert noisy.std() == pytest.approx(0.3, abs=0.03)
    # the same seed draws the same noise along the same code path
    np.testing.assert_array_equal(noisy, autoencoder.add_noise(images, 0.3, seed=1))


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_saved_autoencoder_loads_with_identical_outputs(tmp_path, digits, architecture):
    model = autoencoder.build_autoencoder(architecture=architecture, latent_dim=16,
                                          noise_stddev=0.2)
    model.fit(digits[0][:256], digits[0][:256], epochs=1, verbose=0)
    path = tmp_path / "autoencoder.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, autoencoder.Autoencoder)
    assert loaded.noise_stddev == 0.2 and loaded.architecture == architecture
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(restored.numpy(), original.numpy())  # read back bit for bit
    # same weights, same code path, same batches: the same kernels give the same bits
    np.testing.assert_array_equal(loaded.reconstruct(digits[1]), model.reconstruct(digits[1]))
    # predict() (batches of 32, one compiled function) against encode() (direct calls in
    # batches of 256): the CPU may pick other kernels for each, so they agree to rounding
    assert_rounding_close(loaded.encoder.predict(digits[1], verbose=0), model.encode(digits[1]),
                          roundings=network_roundings(model.encoder))


def test_fit_rejects_0_255_images_with_a_hint(digits):
    model = autoencoder.build_autoencoder(latent_dim=8)
    images = digits[1] * 255
    with pytest.raises(ValueError, match="divide by 255"):
        model.fit(images, images, epochs=1, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((images, images)).batch(32)
    with pytest.raises(ValueError, match="divide by 255"):
        model.fit(dataset, epochs=1, verbose=0)


def test_wrong_image_shapes_raise_a_clear_error(digits):
    model = autoencoder.build_autoencoder(latent_dim=8)
    flat = digits[1].reshape(len(digits[1]), 784)
    with pytest.raises(ValueError, match="reshape"):
        model.fit(flat, flat, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="batch axis"):
        model.encode(digits[1][0])
    with pytest.raises(ValueError, match="latents of shape"):
        model.decode(np.zeros((2, 9)))


def test_bad_architecture_arguments_raise():
    with pytest.raises(ValueError, match="divisible by 8"):
        autoencoder.build_autoencoder(architecture="conv", filters=(8, 16, 32))
    with pytest.raises(ValueError, match="architecture"):
        autoencoder.build_autoencoder(architecture="transformer")
    with pytest.raises(ValueError, match="noise_stddev"):
        autoencoder.build_autoencoder(noise_stddev=-1)
