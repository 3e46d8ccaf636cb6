"""Bad input to every public training and sampling entry point gives a ValueError with the fix.

The sweep feeds NaN, +inf, -inf, values outside the range and a wrong dtype to the fit of the
four models (as an array, and in a later batch of a tf.data.Dataset, which only the in-graph
check sees), to generate/sample/decode/encode/reconstruct, predict_noise, the metrics and the
numpy optimizers. Then one test per case of bad input found when the kit was tried.
"""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import checks, evaluation, latent, metrics, optim, plots, sampling
from genai_kit.diffusion import DiffusionModel, NoiseSchedule, unet
from genai_kit.models import autoencoder, dcgan, vae

KINDS = ("nan", "inf", "-inf", "range", "dtype")
# what the message must say for each kind: the problem and how to fix it
MESSAGES = {
    "nan": r"NaN or inf.*(drop|draw|lower|recompute|clip|clean|check)",
    "inf": r"NaN or inf.*(drop|draw|lower|recompute|clip|clean|check)",
    "-inf": r"NaN or inf.*(drop|draw|lower|recompute|clip|clean|check)",
    "range": r"expected (finite )?pixel values in .*(divide by 255|rescale|images / 127.5)",
    "dtype": r"must be an array of numbers, got dtype .*np\.asarray",
}
# a later batch is checked in the input pipeline: the message names the fix for the dataset
LATER_BATCH_MESSAGE = r"a training batch after the first: expected finite pixel values.*rescale"
NUM_TIMESTEPS = 50


def spoil(values, kind):
    """A copy of ``values`` with one bad entry (or all of them out of range, or as text)."""
    values = np.array(values, dtype=np.float32)
    if kind == "dtype":
        return values.astype(str)
    if kind == "range":
        return (values + 1.0) * 255.0  # 0-255 pixels whatever range they were in
    values.flat[values.size // 2] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[kind]
    return values


# ---------------------------------------------------------------------- tiny models
def tiny_autoencoder():
    return autoencoder.build_autoencoder(latent_dim=4, hidden_units=(16,), noise_stddev=0.2)


def tiny_vae():
    return vae.build_vae(latent_dim=2, hidden_units=(16,))


def tiny_gan():
    gan = dcgan.DCGAN(dcgan.build_dcgan_generator(latent_dim=8, base_channels=8, filters=(4,)),
                      dcgan.build_dcgan_discriminator((16, 16, 3), filters=(4,)))
    gan.compile()
    return gan


def tiny_diffusion(num_classes=None, seed=0):
    keras.utils.set_random_seed(seed)
    network = unet.build_unet((28, 28, 1), num_classes=num_classes, widths=(8, 16),
                              embedding_dim=16)
    model = DiffusionModel(network, schedule=NoiseSchedule(NUM_TIMESTEPS), seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def digits(num_images=16, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (num_images, 28, 28, 1)).astype("float32")


def colour_images(num_images=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num_images, 16, 16, 3)).astype("float32")


@pytest.fixture(scope="module")
def models():
    return {"autoencoder": tiny_autoencoder(), "vae": tiny_vae(), "dcgan": tiny_gan(),
            "diffusion": tiny_diffusion()}


TRAINING_IMAGES = {"autoencoder": digits, "vae": digits, "dcgan": colour_images,
                   "diffusion": digits}


# ---------------------------------------------------------------------- the sweep
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(TRAINING_IMAGES))
def test_fit_refuses_bad_training_images_with_the_fix(models, name, kind):
    images = spoil(TRAINING_IMAGES[name](), kind)
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        models[name].fit(images, epochs=1, batch_size=8, verbose=0)


@pytest.mark.parametrize("kind", ("nan", "inf", "-inf", "range"))
@pytest.mark.parametrize("name", list(TRAINING_IMAGES))
def test_fit_stops_at_a_bad_later_batch_of_a_dataset(models, name, kind):
    images = TRAINING_IMAGES[name](24)
    images[16:] = spoil(images[16:], kind)  # the third batch of 8: the first one is clean
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8)
    with pytest.raises(ValueError, match=LATER_BATCH_MESSAGE):
        models[name].fit(dataset, epochs=1, verbose=0)


def _keras_decoder():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4)(inputs)))


LATENT_ENTRY_POINTS = {
    "autoencoder.generate": lambda m, z: m["autoencoder"].generate(z),
    "autoencoder.decode": lambda m, z: m["autoencoder"].decode(z),
    "vae.generate": lambda m, z: m["vae"].generate(z),
    "vae.decode": lambda m, z: m["vae"].decode(z),
    "dcgan.generate": lambda m, z: m["dcgan"].generate(z),
    "diffusion.generate": lambda m, z: m["diffusion"].generate(z),
    "diffusion.sample": lambda m, z: m["diffusion"].sample(latents=z, num_steps=2),
    "keras_generator.generate": lambda m, z: sampling.as_generator(_keras_decoder()).generate(z),
}


@pytest.mark.parametrize("kind", ("nan", "inf", "-inf", "dtype"))
@pytest.mark.parametrize("entry_point", list(LATENT_ENTRY_POINTS))
def test_sampling_refuses_bad_latents_with_the_fix(models, entry_point, kind):
    model_name = entry_point.split(".")[0]
    shape = {"keras_generator": (3,)}.get(model_name) or models[model_name].latent_shape
    latents = spoil(latent.latent_batch(shape, 2), kind)
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        LATENT_ENTRY_POINTS[entry_point](models, latents)


IMAGE_ENTRY_POINTS = {
    "autoencoder.encode": lambda m, x: m["autoencoder"].encode(x),
    "autoencoder.reconstruct": lambda m, x: m["autoencoder"].reconstruct(x),
    "vae.encode": lambda m, x: m["vae"].encode(x),
    "vae.reconstruct": lambda m, x: m["vae"].reconstruct(x),
    "vae.elbo": lambda m, x: m["vae"].elbo(x),
    "plots.image_grid": lambda m, x: plots.image_grid(x),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("entry_point", list(IMAGE_ENTRY_POINTS))
def test_image_entry_points_refuse_bad_images_with_the_fix(models, entry_point, kind):
    if entry_point == "plots.image_grid" and kind == "range":
        pytest.skip("image_grid clips on purpose: it also shows noisy diffusion images x_t")
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        IMAGE_ENTRY_POINTS[entry_point](models, spoil(digits(2), kind))


@pytest.mark.parametrize("kind", ("nan", "inf", "-inf", "dtype"))
def test_predict_noise_refuses_bad_noisy_images(models, kind):
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        models["diffusion"].predict_noise(spoil(digits(2), kind), 3)


METRICS = {
    "frechet_distance": lambda a, b: metrics.frechet_distance(a, b),
    "kernel_inception_distance": lambda a, b: metrics.kernel_inception_distance(
        a, b, subsets=2, subset_size=5),
    "precision_recall": lambda a, b: metrics.precision_recall(a, b),
    "feature_statistics": lambda a, b: metrics.feature_statistics(b),
}


@pytest.mark.parametrize("kind", ("nan", "inf", "-inf", "dtype"))
@pytest.mark.parametrize("metric", list(METRICS))
def test_metrics_refuse_bad_features(metric, kind):
    features = np.random.default_rng(0).standard_normal((10, 4))
    message = {"nan": "NaN or inf", "inf": "NaN or inf", "-inf": "NaN or inf"}.get(
        kind, MESSAGES["dtype"])
    with pytest.raises(ValueError, match=message):
        METRICS[metric](features, spoil(features, kind))


@pytest.mark.parametrize("kind", ("nan", "inf", "dtype"))
def test_inception_score_refuses_bad_probabilities(kind):
    probabilities = np.full((4, 2), 0.5)
    message = {"dtype": MESSAGES["dtype"]}.get(kind, "NaN or inf")
    with pytest.raises(ValueError, match=message):
        metrics.inception_score(spoil(probabilities, kind), splits=1)


@pytest.mark.parametrize("kind", ("nan", "inf", "-inf", "dtype"))
@pytest.mark.parametrize("optimizer", [optim.SGD, optim.Adam, optim.RMSprop, optim.AdamW])
def test_numpy_optimizers_refuse_bad_gradients(optimizer, kind):
    params = {"w": np.ones((2, 3), np.float32)}
    with pytest.raises(ValueError, match=MESSAGES[kind]):
        optimizer().step(params, {"w": spoil(np.ones((2, 3)), kind)})
    np.testing.assert_array_equal(params["w"], 1.0)  # refused before anything moved


# ---------------------------------------------------------------- case by case
def test_dcgan_refuses_images_in_unit_range_instead_of_tanh_range(models):
    with pytest.raises(ValueError, match=r"images in \[0, 1\]\? rescale them with images \* 2 - 1"):
        models["dcgan"].fit((colour_images() + 1) / 2, epochs=1, verbose=0)


def test_diffusion_refuses_images_outside_its_value_range_and_of_the_wrong_shape(models):
    with pytest.raises(ValueError, match="divide by 255"):
        models["diffusion"].fit(digits() * 255, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28, 1\)"):
        models["diffusion"].fit(np.zeros((8, 32, 32, 3), np.float32), epochs=1, verbose=0)


def test_vae_refuses_a_few_nan_pixels_that_a_min_max_check_would_miss(models):
    images = digits(64)
    images.flat[::1000] = np.nan  # 0.1% of the pixels
    with pytest.raises(ValueError, match="NaN or inf"):
        models["vae"].fit(images, epochs=1, verbose=0)


def test_checked_dataset_keeps_its_elements_and_clean_data_trains(models):
    images = digits(24)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8)
    checked = checks.checked_training_data(dataset, lambda x, _: tf.constant(True))
    np.testing.assert_array_equal(np.concatenate(list(checked.as_numpy_iterator())), images)
    history = models["autoencoder"].fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("labels, message", [
    (np.full(16, -1), r"class_labels must lie in \[0, 10\).*-1"),
    (np.full(16, 11), r"class_labels must lie in \[0, 10\).*11"),
    (np.full(16, 2.7), r"whole numbers.*2\.7"),
])
def test_conditional_diffusion_refuses_bad_training_labels(labels, message):
    model = tiny_diffusion(num_classes=10)
    with pytest.raises(ValueError, match=message):
        model.fit(digits(), labels, epochs=1, batch_size=8, verbose=0)


def test_conditional_diffusion_stops_at_bad_labels_in_a_later_batch():
    model = tiny_diffusion(num_classes=10)
    labels = np.arange(24) % 10
    labels[20] = 19
    dataset = tf.data.Dataset.from_tensor_slices((digits(24), labels)).batch(8)
    with pytest.raises(ValueError, match=r"after the first: expected class labels .*\[0, 10\)"):
        model.fit(dataset, epochs=1, verbose=0)


def test_conditional_diffusion_without_labels_is_refused_before_training():
    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        tiny_diffusion(num_classes=10).fit(digits(), epochs=1, verbose=0)


@pytest.mark.parametrize("make, message", [
    (lambda: dcgan.default_optimizer(learning_rate=-1), "learning_rate must be > 0"),
    (lambda: dcgan.default_optimizer(beta_1=1.5), r"beta_1 must be in \[0.0, 1.0\)"),
    (lambda: dcgan.build_dcgan_generator(latent_dim=2.5), "latent_dim must be a whole number"),
    (lambda: autoencoder.build_autoencoder(latent_dim=2.5), "latent_dim must be a whole number"),
    (lambda: vae.build_vae(latent_dim=2.5), "latent_dim must be a whole number"),
    (lambda: latent.latent_batch(2.5, 4), "latent_dim must be a whole number"),
    (lambda: latent.interpolation_weights(2.9), "num_steps must be a whole number.*=3"),
    (lambda: metrics.precision_recall(np.zeros((9, 2)), np.zeros((9, 2)), k=0), "k must be >= 1"),
    (lambda: metrics.precision_recall(np.zeros((9, 2)), np.zeros((9, 2)), k=-2), "k must be >= 1"),
    (lambda: metrics.precision_recall(np.zeros((9, 2)), np.zeros((9, 2)), batch_size=0),
     "batch_size must be >= 1"),
    (lambda: metrics.kernel_inception_distance(np.zeros((9, 2)), np.zeros((9, 2)), subsets=0),
     "subsets must be >= 1"),
    (lambda: metrics.kernel_inception_distance(np.zeros((9, 2)), np.zeros((9, 2)),
                                               subset_size=0), "subset_size must be >= 2"),
    (lambda: metrics.kernel_inception_distance(np.zeros((9, 2)), np.zeros((9, 2)),
                                               subset_size=1), "subset_size must be >= 2"),
    (lambda: plots.image_grid(np.zeros((2, 4, 4, 1)), ncols=0), "ncols must be >= 1"),
    (lambda: unet.build_unet(widths=(4, 8)), r"widths must be multiples of 8.*\(4, 8\)"),
    (lambda: evaluation.colour_spread(np.zeros((3, 8, 8, 1))), "needs at least 2 colour images"),
    (lambda: evaluation.real_digits((32, 32, 1)), "no real digits for images of shape"),
])
def test_bad_arguments_are_refused_with_the_allowed_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_fid_refuses_statistics_with_a_nan_mean():
    statistics = metrics.feature_statistics(np.random.default_rng(0).standard_normal((10, 2)))
    broken = statistics._replace(mean=np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="mean contain NaN or inf.*recompute"):
        metrics.frechet_distance(statistics, broken)


@pytest.mark.parametrize("options, message", [
    (dict(ema_decay=1.5), r"ema_decay must be in \[0.0, 1.0\)"),
    (dict(class_dropout=2), r"class_dropout must be in \[0.0, 1.0\]"),
    (dict(value_range=(1, 1)), "low < high"),
    (dict(num_sampling_steps=2.5), "num_sampling_steps must be a whole number"),
])
def test_diffusion_model_refuses_bad_settings(options, message):
    network = unet.build_unet((28, 28, 1), widths=(8, 16), embedding_dim=16)
    with pytest.raises(ValueError, match=message):
        DiffusionModel(network, schedule=NoiseSchedule(NUM_TIMESTEPS), **options)


def test_diffusion_sampling_refuses_bad_counts_labels_and_timesteps(models):
    conditional = tiny_diffusion(num_classes=10)
    model = models["diffusion"]
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match="num_steps must be a whole number"):
        model.sample(2, num_steps=2.9)
    with pytest.raises(ValueError, match=r"whole numbers, got \[2.7\]"):
        conditional.sample(2, num_steps=2, class_labels=[2.7, 1])
    for t in (NUM_TIMESTEPS * 100, -3, 2.5):
        with pytest.raises(ValueError, match=r"timesteps must be whole numbers in \[0, 49\]"):
            model.predict_noise(digits(2), t)
    # whole floats are fine: class_labels=np.zeros(n) is what notebooks pass
    conditional.sample(2, num_steps=2, class_labels=np.zeros(2))


def test_generate_images_refuses_zero_samples_and_a_zero_batch_size(models):
    with pytest.raises(ValueError, match="num_samples must be >= 1.*at least one"):
        sampling.generate_images(models["dcgan"], 0)
    with pytest.raises(ValueError, match="batch_size must be >= 1.*positive"):
        sampling.generate_images(models["dcgan"], 4, batch_size=0)


# ---------------------------------------------------------------------- seed state (point 3)
def _continue_after_a_save(make, images, tmp_path, **fit_options):
    """Weights after 2 epochs straight, and after 1 epoch, a save, a load and 1 more epoch."""
    straight = make()
    straight.fit(images, epochs=1, shuffle=False, verbose=0, **fit_options)
    straight.save(tmp_path / "model.keras")
    straight.fit(images, epochs=1, shuffle=False, verbose=0, **fit_options)
    resumed = keras.models.load_model(tmp_path / "model.keras")
    resumed.fit(images, epochs=1, shuffle=False, verbose=0, **fit_options)
    return straight.get_weights(), resumed.get_weights()


@pytest.mark.parametrize("make, fit_options", [
    (tiny_autoencoder, {}),
    (tiny_vae, {}),
    (lambda: tiny_diffusion(num_classes=10), {"y": np.arange(16) % 10}),
], ids=["denoising_autoencoder", "vae", "diffusion"])
def test_training_continues_after_a_load_as_without_one(make, fit_options, tmp_path):
    straight, resumed = _continue_after_a_save(make, digits(), tmp_path, batch_size=8,
                                               **fit_options)
    assert len(straight) == len(resumed)
    for expected, actual in zip(straight, resumed):
        # the same steps on the same noise: bit for bit
        np.testing.assert_array_equal(actual, expected)


def test_seed_state_round_trips_and_old_files_without_it_still_load(tmp_path):
    model = tiny_vae()
    model.fit(digits(), epochs=1, verbose=0)
    model.save(tmp_path / "vae.keras")
    loaded = keras.models.load_model(tmp_path / "vae.keras")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.reparameterization.seed_generator.state),
        keras.ops.convert_to_numpy(model.reparameterization.seed_generator.state))


# ---------------------------------------------------------------------- optimizer (point 4)
def test_diffusion_optimizer_is_built_by_compile():
    model = tiny_diffusion()
    assert model.optimizer.built
    assert len(model.optimizer.variables) > len(model.network.trainable_variables)


def test_diffusion_fits_after_a_first_fit_that_failed_while_tracing():
    model = tiny_diffusion(num_classes=10)
    images, labels = digits(), np.arange(16) % 10

    def without_labels():  # a Python generator: read only when the step is traced
        while True:
            yield (images[:8],)

    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        model.fit(without_labels(), steps_per_epoch=1, epochs=1, verbose=0)
    history = model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_fit_on_a_self_shuffling_dataset_does_not_warn_that_shuffle_is_ignored():
    # Keras ignores shuffle for a tf.data.Dataset and warns about its default on every fit;
    # the kit's models pass shuffle=False for such data, and keep a value given explicitly
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((4, 2), np.float32)).batch(2)
    assert checks.without_ignored_shuffle(dataset, (), {}) == {"shuffle": False}
    assert checks.without_ignored_shuffle(dataset, (), {"shuffle": True}) == {"shuffle": True}
    assert checks.without_ignored_shuffle(np.zeros((4, 2)), (), {}) == {}
    model = autoencoder.build_autoencoder(hidden_units=(8,), latent_dim=2)
    images = tf.data.Dataset.from_tensor_slices(np.full((8, 28, 28, 1), 0.5, np.float32)).batch(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(images, epochs=1, verbose=0)
    assert not [warning for warning in caught if "shuffle" in str(warning.message)]
