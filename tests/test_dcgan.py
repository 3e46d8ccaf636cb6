"""The DCGAN of assignment 4: its exact layers, one step of the game, saving, tf.distribute."""
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from genai_kit import config, latent
from genai_kit.models import dcgan
from tolerances import assert_rounding_close, network_roundings

# small widths where the test is about the game, not the assignment's layer sizes
SMALL_GENERATOR = dict(base_channels=16, filters=(8, 8, 4))
SMALL_DISCRIMINATOR = dict(filters=(4, 8, 8))


def small_gan(dtype_policy="auto", **options):
    keras.utils.set_random_seed(0)
    gan = dcgan.DCGAN(
        dcgan.build_dcgan_generator(**SMALL_GENERATOR, dtype_policy=dtype_policy),
        dcgan.build_dcgan_discriminator(**SMALL_DISCRIMINATOR, dtype_policy=dtype_policy),
        **options,
    )
    gan.compile()
    return gan


def real_batch(num_images=8, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num_images, 64, 64, 3)).astype("float32")


def layers_of_type(model, layer_type):
    return [layer for layer in model.layers if type(layer) is layer_type]


def test_generator_has_the_assignments_layers():
    generator = dcgan.build_dcgan_generator()
    dense = layers_of_type(generator, keras.layers.Dense)
    transposed = layers_of_type(generator, keras.layers.Conv2DTranspose)
    assert [layer.units for layer in dense] == [16_384]
    assert dense[0].input.shape == (None, 100)
    assert [layer.filters for layer in transposed] == [128, 64, 32]
    assert [tuple(layer.output.shape) for layer in transposed] == [
        (None, 16, 16, 128), (None, 32, 32, 64), (None, 64, 64, 32)]
    # each transposed convolution is followed by batch normalization, then LeakyReLU
    for layer in transposed:
        position = generator.layers.index(layer)
        following = generator.layers[position + 1:position + 3]
        assert isinstance(following[0], keras.layers.BatchNormalization)
        assert isinstance(following[1], keras.layers.LeakyReLU)
    assert generator.output_shape == (None, 64, 64, 3)
    assert generator.layers[-1].activation.__name__ == "tanh"


def test_discriminator_has_the_assignments_layers():
    discriminator = dcgan.build_dcgan_discriminator()
    convolutions = layers_of_type(discriminator, keras.layers.Conv2D)
    assert [layer.filters for layer in convolutions] == [32, 128, 256]
    assert len(layers_of_type(discriminator, keras.layers.Flatten)) == 1
    dense = layers_of_type(discriminator, keras.layers.Dense)
    assert [layer.units for layer in dense] == [1]
    assert discriminator.input_shape == (None, 64, 64, 3)
    assert discriminator.output_shape == (None, 1)


def test_generator_images_are_in_tanh_range_and_generate_in_unit_range():
    gan = small_gan()
    latents = np.random.default_rng(0).normal(size=(5, 100)).astype("float32") * 10
    raw = keras.ops.convert_to_numpy(gan.generator(latents))
    assert raw.min() >= -1.0 and raw.max() <= 1.0
    images = gan.generate(latents)
    assert images.shape == (5, 64, 64, 3) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    # generate() runs the same network on the same latents, then (x + 1) / 2: two roundings
    # at magnitude 1 on top of the network's own
    assert_rounding_close(images, (raw + 1) / 2, roundings=network_roundings(gan.generator) + 2,
                          magnitude=1.0)
    assert gan.latent_shape == (100,)


def test_generate_refuses_latents_of_the_wrong_shape():
    with pytest.raises(ValueError, match="latents of shape"):
        small_gan().generate(np.zeros((3, 2), "float32"))


def test_one_train_step_changes_both_networks_with_finite_losses():
    gan = small_gan()
    generator_before = [weight.numpy().copy() for weight in gan.generator.trainable_weights]
    discriminator_before = [weight.numpy().copy() for weight in gan.discriminator.trainable_weights]
    logs = gan.train_on_batch(real_batch(), return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "real_score", "fake_score"}
    assert all(np.isfinite(value) for value in logs.values())
    # an untrained detective cannot tell: its probabilities start near 1/2, losses near log 2
    assert 0.3 < logs["real_score"] < 0.7 and 0.3 < logs["fake_score"] < 0.7
    assert logs["d_loss"] == pytest.approx(2 * np.log(2), abs=0.3)
    for before, weight in zip(generator_before, gan.generator.trainable_weights):
        assert not np.allclose(before, weight.numpy()), weight.path
    for before, weight in zip(discriminator_before, gan.discriminator.trainable_weights):
        assert not np.allclose(before, weight.numpy()), weight.path


@pytest.mark.bfloat16
def test_mixed_bfloat16_networks_compute_in_bfloat16_and_answer_in_float32():
    generator = dcgan.build_dcgan_generator(**SMALL_GENERATOR, dtype_policy="mixed_bfloat16")
    discriminator = dcgan.build_dcgan_discriminator(**SMALL_DISCRIMINATOR,
                                                    dtype_policy="mixed_bfloat16")
    assert generator.get_layer("upsample_1").compute_dtype == "bfloat16"
    assert discriminator.get_layer("downsample_1").compute_dtype == "bfloat16"
    # weights (and so Adam's state) stay float32
    assert {weight.dtype for weight in generator.weights} == {"float32"}
    images = generator(np.zeros((2, 100), "float32"))
    assert images.dtype == "float32" and discriminator(images).dtype == "float32"
    gan = dcgan.DCGAN(generator, discriminator, instance_noise=0.1)
    gan.compile()
    logs = gan.train_on_batch(real_batch(), return_dict=True)
    assert all(np.isfinite(value) for value in logs.values())
    assert 0.3 < logs["real_score"] < 0.7 and 0.3 < logs["fake_score"] < 0.7


def test_auto_policy_is_mixed_bfloat16_only_on_cpus_that_compute_it(monkeypatch):
    monkeypatch.setattr(config, "cpu_computes_bfloat16", lambda: True)
    assert dcgan.resolve_dtype_policy("auto") == "mixed_bfloat16"
    assert dcgan.resolve_dtype_policy("float32") == "float32"
    # a policy the student set globally wins over "auto"
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        assert dcgan.resolve_dtype_policy("auto") == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    monkeypatch.setattr(config, "cpu_computes_bfloat16", lambda: False)
    assert dcgan.resolve_dtype_policy("auto") == "float32"
    generator = dcgan.build_dcgan_generator(**SMALL_GENERATOR)
    assert generator.get_layer("upsample_1").compute_dtype == "float32"


def test_unknown_dtype_policy_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        dcgan.build_dcgan_generator(**SMALL_GENERATOR, dtype_policy="bf16")


def test_label_smoothing_raises_the_discriminators_floor_loss():
    # with target 0.9 for real images the cross-entropy of a sure detective cannot reach 0
    plain, smoothed = small_gan(), small_gan(label_smoothing=0.2)
    images = real_batch()
    plain_loss = plain.train_on_batch(images, return_dict=True)["d_loss"]
    smoothed_loss = smoothed.train_on_batch(images, return_dict=True)["d_loss"]
    assert smoothed_loss != pytest.approx(plain_loss, abs=1e-4)


def test_instance_noise_changes_what_the_discriminator_sees():
    plain, noisy = small_gan(), small_gan(instance_noise=1.0)
    images = real_batch()
    plain_logs = plain.train_on_batch(images, return_dict=True)
    noisy_logs = noisy.train_on_batch(images, return_dict=True)
    assert noisy_logs["real_score"] != pytest.approx(plain_logs["real_score"], abs=1e-5)


@pytest.mark.parametrize("options", [dict(label_smoothing=1.0), dict(instance_noise=-0.1)])
def test_invalid_game_options_are_refused(options):
    with pytest.raises(ValueError):
        dcgan.DCGAN(dcgan.build_dcgan_generator(**SMALL_GENERATOR),
                    dcgan.build_dcgan_discriminator(**SMALL_DISCRIMINATOR), **options)


def test_mismatched_discriminator_is_refused():
    with pytest.raises(ValueError, match="image_shape"):
        dcgan.DCGAN(dcgan.build_dcgan_generator(**SMALL_GENERATOR),
                    dcgan.build_dcgan_discriminator((32, 32, 3), **SMALL_DISCRIMINATOR))


def test_compile_refuses_a_single_optimizer_or_loss():
    with pytest.raises(ValueError, match="generator_optimizer"):
        small_gan().compile(optimizer="adam")


# both sides of the "auto" precision, whichever CPU runs the tests
@pytest.mark.parametrize("dtype_policy", [
    "float32", pytest.param("mixed_bfloat16", marks=pytest.mark.bfloat16)])
def test_networks_and_game_round_trip_through_keras_files(tmp_path, dtype_policy):
    gan = small_gan(dtype_policy, label_smoothing=0.1)
    gan.train_on_batch(real_batch(), return_dict=True)
    latents = np.random.default_rng(1).normal(size=(4, 100)).astype("float32")
    images = real_batch(4)

    gan.generator.save(tmp_path / "generator.keras")
    gan.discriminator.save(tmp_path / "discriminator.keras")
    gan.save(tmp_path / "dcgan.keras")
    generator = keras.saving.load_model(tmp_path / "generator.keras")
    discriminator = keras.saving.load_model(tmp_path / "discriminator.keras")
    loaded = keras.saving.load_model(tmp_path / "dcgan.keras")

    for original, restored in zip(gan.weights, loaded.weights):
        np.testing.assert_array_equal(restored.numpy(), original.numpy())  # read back bit for bit
    # identical weights along the same code path with the same batches: the same bits
    np.testing.assert_array_equal(generator.predict(latents, verbose=0),
                                  gan.generator.predict(latents, verbose=0))
    np.testing.assert_array_equal(discriminator.predict(images, verbose=0),
                                  gan.discriminator.predict(images, verbose=0))
    np.testing.assert_array_equal(loaded.generate(latents), gan.generate(latents))
    assert isinstance(loaded, dcgan.DCGAN) and loaded.label_smoothing == 0.1
    # the optimizers' state travels too, so training can continue where it stopped
    assert int(loaded.generator_optimizer.iterations.numpy()) == 1
    for saved, restored in zip(gan.discriminator_optimizer.variables,
                               loaded.discriminator_optimizer.variables):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())  # read back bit for bit



def test_weights_files_restore_the_noise_position_and_keep_keras_checks(tmp_path):
    gan = small_gan()
    gan.train_on_batch(real_batch(), return_dict=True)
    gan.save_weights(tmp_path / "game.weights.h5")
    restored = small_gan()
    restored.load_weights(tmp_path / "game.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored.seed_generator.state),
                                  keras.ops.convert_to_numpy(gan.seed_generator.state))
    # Keras' own check of the variable count still runs under the added key
    other = dcgan.DCGAN(dcgan.build_dcgan_generator(**SMALL_GENERATOR),
                        dcgan.build_dcgan_discriminator(**SMALL_DISCRIMINATOR))
    other.compile()
    other.extra = other.add_weight(name="extra", shape=(), initializer="zeros")
    with pytest.raises(ValueError, match="expected 1 variables"):
        other.load_weights(tmp_path / "game.weights.h5")


def test_sample_draws_its_noise_from_the_seed():
    gan = small_gan()
    np.testing.assert_array_equal(gan.sample(3, seed=1),
                                  gan.generate(latent.latent_batch(gan, 3, seed=1)))


MIRRORED_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, TESTS_FOLDER)
    import genai_kit
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    import keras
    from genai_kit.models import dcgan
    from tolerances import assert_rounding_close, network_roundings

    def build():
        # no batch normalization, so that per-replica batch statistics cannot differ
        keras.utils.set_random_seed(0)
        generator = keras.Sequential([keras.Input((100,)), keras.layers.Dense(64 * 64 * 3,
            activation="tanh"), keras.layers.Reshape((64, 64, 3))])
        # float32: the test is about the strategy, not about bfloat16 rounding
        discriminator = dcgan.build_dcgan_discriminator(filters=(4, 8, 8), dtype_policy="float32")
        gan = dcgan.DCGAN(generator, discriminator, seed=3)
        gan.compile(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.5))
        return gan

    images = np.random.default_rng(0).uniform(-1, 1, (16, 64, 64, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8)
    single = build()
    single_logs = single.fit(dataset, epochs=1, verbose=0).history
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        mirrored = build()
    mirrored_logs = mirrored.fit(dataset, epochs=1, verbose=0).history
    # two replicas add up each gradient in two halves and then across replicas: the same
    # sums in another order, so the runs agree to rounding. The longest sum is a weight
    # gradient of the first convolution: batch x its output positions (8 x 32 x 32 terms),
    # after the forward pass's reductions.
    roundings = network_roundings(single.discriminator) + 8 * 32 * 32
    for name in ("d_loss", "g_loss"):
        assert np.isfinite(mirrored_logs[name][0]), mirrored_logs
        assert_rounding_close(mirrored_logs[name][0], single_logs[name][0], roundings=roundings)
    for network in ("generator", "discriminator"):
        for a, b in zip(getattr(single, network).weights, getattr(mirrored, network).weights):
            # two SGD(0.5) steps: each weight moves by half a gradient of magnitude <= 1
            assert_rounding_close(b.numpy(), a.numpy(), roundings=roundings,
                                  magnitude=max(1.0, float(np.abs(a.numpy()).max())),
                                  err_msg=a.path)
    print("MIRRORED OK")
""")


def test_mirrored_strategy_on_two_devices_matches_one_device(tmp_path):
    # a fresh process: logical devices must be configured before TensorFlow initialises;
    # same global batch, same seed: two replicas must take exactly the one-device step
    script = tmp_path / "mirrored.py"
    tests_folder = pathlib.Path(__file__).resolve().parent
    script.write_text(MIRRORED_SCRIPT.replace("TESTS_FOLDER", repr(str(tests_folder))))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=pathlib.Path(__file__).parent, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "MIRRORED OK" in result.stdout
