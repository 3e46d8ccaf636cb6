"""The VAE: its loss terms, the reparameterization trick, training, save/load, errors."""
import keras
import numpy as np
import pytest

from genai_kit import data, sampling
from genai_kit.models import vae as vae_module
from tolerances import assert_rounding_close


@pytest.fixture(scope="module")
def digits():
    train, _ = data.load_mnist("train", source="bundled")
    test, _ = data.load_mnist("test", source="bundled")
    return train[:2000], test[:200]


def test_kl_is_zero_for_the_standard_normal_posterior_and_positive_otherwise():
    zeros = np.zeros((3, 4), dtype="float32")
    # -0.5 * sum(1 + log_var - mean^2 - exp(log_var)) over 4 dimensions: exact in float32 at
    # zero (1 + 0 - 0 - 1), and a sum of four terms of size 1 otherwise
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(vae_module.kl_divergence(zeros, zeros)), 0.0)
    shifted = keras.ops.convert_to_numpy(vae_module.kl_divergence(zeros + 1.0, zeros))
    # KL = |mean|^2 / 2 for unit variance
    assert_rounding_close(shifted, 0.5 * 4, roundings=4 + 4, magnitude=2.0)
    narrow = keras.ops.convert_to_numpy(vae_module.kl_divergence(zeros, zeros - 1.0))
    assert np.all(narrow > 0)


def test_reconstruction_loss_is_binary_cross_entropy_summed_over_pixels():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(2, 4, 4, 1)).astype("float32")
    probabilities = rng.uniform(0.05, 0.95, size=(2, 4, 4, 1)).astype("float32")
    expected = -np.sum(images * np.log(probabilities) + (1 - images) * np.log(1 - probabilities),
                       axis=(1, 2, 3))
    result = keras.ops.convert_to_numpy(vae_module.reconstruction_loss(images, probabilities))
    # float32 logs against float64 ones, summed over 16 pixels
    assert_rounding_close(result, expected, roundings=16 + 6,
                          magnitude=16 * float(-np.log(0.05)))


def test_reparameterized_samples_have_the_requested_mean_and_variance():
    layer = vae_module.Reparameterization(seed=1)
    z_mean = np.tile(np.array([[2.0, -1.0]], dtype="float32"), (20000, 1))
    z_log_var = np.tile(np.log(np.array([[0.25, 4.0]], dtype="float32")), (20000, 1))
    z = keras.ops.convert_to_numpy(layer([z_mean, z_log_var]))
    # statistics of 20,000 draws: standard errors 0.004 and 0.014 for the means, 0.25 * 0.01
    # and 4 * 0.01 for the variances; the tolerances are over 3.5 of them
    np.testing.assert_allclose(z.mean(axis=0), [2.0, -1.0], atol=0.05)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.05)


def test_seeded_reparameterization_layers_repeat_their_draws():
    inputs = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
    first, second = vae_module.Reparameterization(seed=5), vae_module.Reparameterization(seed=5)
    # the same seed draws the same noise along the same code path
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(first(inputs)),
                                  keras.ops.convert_to_numpy(second(inputs)))


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_vae_shapes_and_the_sampling_protocol(architecture):
    model = vae_module.build_vae(latent_dim=2, architecture=architecture)
    images = np.random.default_rng(0).uniform(size=(5, 28, 28, 1)).astype("float32")
    z_mean, z_log_var = model.encode(images)
    assert z_mean.shape == z_log_var.shape == (5, 2)
    assert model.reconstruct(images).shape == (5, 28, 28, 1)
    assert sampling.is_generator(model) and model.latent_shape == (2,)
    samples = model.sample(6, seed=3)
    assert samples.shape == (6, 28, 28, 1) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, model.sample(6, seed=3))  # same seed, same path


def test_history_logs_total_reconstruction_and_kl_with_total_weighted_by_beta(digits):
    model = vae_module.build_vae(beta=2.0)
    history = model.fit(digits[0][:512], epochs=2, batch_size=128,
                        validation_data=(digits[1],), verbose=0).history
    for key in ("loss", "reconstruction_loss", "kl_loss"):
        assert len(history[key]) == 2 and len(history[f"val_{key}"]) == 2
    # the loss is a float32 mean over a batch of 128 of (reconstruction + beta KL), the parts
    # are means of their own; each logged value is then a mean over the epoch's 4 batches
    assert_rounding_close(
        history["loss"], np.add(history["reconstruction_loss"], np.multiply(2.0, history["kl_loss"])),
        roundings=128 + 2 * 4 + 4)
    assert all(kl >= 0 for kl in history["kl_loss"])


def test_changing_beta_between_fits_changes_the_loss_weight(digits):
    model = vae_module.build_vae(latent_dim=4, beta=1.0)
    model.fit(digits[0][:256], epochs=1, verbose=0)
    model.beta = 5.0
    history = model.fit(digits[0][:256], epochs=1, verbose=0).history
    assert model.beta == 5.0
    # float32 means over batches of 32, then over the epoch's 8 batches
    assert_rounding_close(history["loss"][0],
                          history["reconstruction_loss"][0] + 5.0 * history["kl_loss"][0],
                          roundings=32 + 2 * 8 + 4)
    with pytest.raises(ValueError, match="beta"):
        model.beta = -0.5


def test_training_on_real_digits_raises_the_held_out_elbo(digits):
    train, test = digits
    keras.utils.set_random_seed(0)
    model = vae_module.build_vae()
    before = model.elbo(test)
    model.fit(train, epochs=3, batch_size=128, verbose=0)
    after = model.elbo(test)
    # elbo() returns -reconstruction - kl of the same two Python floats: the same bits
    assert after["elbo"] == -after["reconstruction"] - after["kl"]
    assert after["kl"] > 0
    assert before["elbo"] < -500  # untrained: about 0.69 nats for each of the 784 pixels
    assert after["elbo"] > -230


def test_saved_vae_loads_with_identical_outputs_and_keeps_training(tmp_path, digits):
    model = vae_module.build_vae(latent_dim=4, beta=3.0, seed=7)
    model.fit(digits[0][:256], epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, vae_module.VAE) and loaded.beta == 3.0 and loaded.latent_dim == 4
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(restored.numpy(), original.numpy())  # read back bit for bit
    # the same weights along the same code path (and the same seed): the same bits
    np.testing.assert_array_equal(loaded.reconstruct(digits[1]), model.reconstruct(digits[1]))
    np.testing.assert_array_equal(loaded.sample(8, seed=1), model.sample(8, seed=1))
    history = loaded.fit(digits[0][:256], epochs=1, verbose=0).history
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss"}


def test_vae_rejects_bad_images_and_arguments(digits):
    model = vae_module.build_vae(latent_dim=2)
    with pytest.raises(ValueError, match="divide by 255"):
        model.fit(digits[1] * 255, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\(n, 28, 28, 1\)"):
        model.encode(np.zeros((2, 32, 32, 3)))
    with pytest.raises(ValueError, match="beta"):
        vae_module.VAE(beta=-1)
