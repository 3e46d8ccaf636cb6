"""The U-Net and DiffusionModel: shapes, learning, samplers, guidance, saving, errors."""
import keras
import numpy as np
import pytest

from genai_kit import data, latent, sampling
from genai_kit.diffusion import DiffusionModel, NoiseSchedule, unet
from tolerances import assert_rounding_close, network_roundings

# the size of the numbers a reverse step handles: unit-normal latents (|x| < 5) divided by
# sqrt(abar_t) > 0.5 on this short schedule
SAMPLING_MAGNITUDE = 10.0
TINY = dict(widths=(8, 16), embedding_dim=16)
NUM_TIMESTEPS = 100  # a short schedule keeps sampling tests fast


def tiny_model(num_classes=None, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    network = unet.build_unet((28, 28, 1), num_classes=num_classes, **TINY)
    # the output layer starts at zero (predicts "no noise"); give it weights so that
    # sampling and guidance tests see predictions that depend on their inputs
    output = network.get_layer("predicted_noise")
    output.kernel.assign(keras.random.normal(output.kernel.shape, stddev=0.05, seed=seed))
    return DiffusionModel(network, schedule=NoiseSchedule(NUM_TIMESTEPS), seed=seed, **kwargs)


@pytest.fixture(scope="module")
def model():
    return tiny_model()


@pytest.fixture(scope="module")
def conditional_model():
    return tiny_model(num_classes=10)


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_unet_predicts_noise_shaped_like_its_images(image_shape):
    network = unet.build_unet(image_shape, num_classes=10, **TINY)
    images = np.zeros((2,) + image_shape, np.float32)
    output = network([images, np.array([0, 999], np.int32), np.array([3, 10], np.int32)])
    assert tuple(output.shape) == (2,) + image_shape


def test_unet_refuses_sides_that_do_not_halve_evenly():
    with pytest.raises(ValueError, match="divisible by 4"):
        unet.build_unet((30, 30, 1), widths=(8, 16, 32))


def test_sinusoidal_embedding_tells_timesteps_apart():
    embedding = keras.ops.convert_to_numpy(unet.SinusoidalEmbedding(32)(np.array([0, 1, 500])))
    assert embedding.shape == (3, 32)
    # t = 0: sin(0) = 0 and cos(0) = 1, exact in float32
    np.testing.assert_array_equal(embedding[0], [0.0] * 16 + [1.0] * 16)
    assert np.linalg.norm(embedding[1] - embedding[0]) > 0.5
    assert np.linalg.norm(embedding[2] - embedding[1]) > 1.0


def test_loss_falls_when_training_on_real_digits_and_the_ema_trails_the_weights():
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    stem = model.network.get_layer("stem").kernel
    initial = stem.numpy()
    dataset = data.mnist_dataset("train", batch_size=64, num_examples=1024, seed=0)
    evaluation = data.mnist_dataset("test", batch_size=250, shuffle=False)
    before = model.evaluate(evaluation, verbose=0)
    model.fit(dataset, epochs=3, verbose=0, shuffle=False)  # the dataset shuffles itself
    after = model.evaluate(evaluation, verbose=0)
    # predicting "no noise" scores about 1 (unit-variance noise); learning halves it at least
    assert before > 0.8
    assert after < 0.5 * before
    # the moving average moved the same way as the weights, but less far
    moved = stem.numpy() - initial
    ema_moved = model.ema_network.get_layer("stem").kernel.numpy() - initial
    assert np.sum(moved * ema_moved) > 0
    assert 0 < np.linalg.norm(ema_moved) < np.linalg.norm(moved)


def test_ddim_with_eta_zero_is_deterministic_for_a_fixed_seed(model):
    first = model.sample(4, num_steps=10, sampler="ddim", eta=0.0, seed=3)
    again = model.sample(4, num_steps=10, sampler="ddim", eta=0.0, seed=3)
    other = model.sample(4, num_steps=10, sampler="ddim", eta=0.0, seed=4)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.01


def test_ddpm_noise_makes_samples_from_one_start_differ_by_seed(model):
    latents = latent.latent_batch(model, 4, seed=0)
    one = model.sample(latents=latents, num_steps=10, sampler="ddpm", seed=1)
    two = model.sample(latents=latents, num_steps=10, sampler="ddpm", seed=2)
    np.testing.assert_array_equal(one, model.sample(latents=latents, num_steps=10,
                                                    sampler="ddpm", seed=1))
    assert np.abs(one - two).max() > 0.01


@pytest.mark.parametrize("sampler, eta", [("ddpm", 0.0), ("ddim", 0.0), ("ddim", 0.5)])
def test_compiled_loop_matches_the_eager_step_by_step_loop(conditional_model, sampler, eta):
    options = dict(num_steps=8, sampler=sampler, eta=eta, seed=5, class_labels=[1, 2, 3],
                   guidance_scale=2.0, return_intermediates=True, num_intermediates=4)
    compiled, compiled_frames = conditional_model.sample(3, compiled=True, **options)
    eager, eager_frames = conditional_model.sample(3, compiled=False, **options)
    # a graph may fuse and reorder what eager runs op by op: each of the 8 steps rounds
    # through two network passes (guidance) and the step's equations
    roundings = 8 * (2 * network_roundings(conditional_model.ema_network) + 16)
    assert_rounding_close(compiled, eager, roundings=roundings, magnitude=SAMPLING_MAGNITUDE)
    assert list(compiled_frames) == list(eager_frames)
    for t in compiled_frames:
        assert_rounding_close(compiled_frames[t], eager_frames[t], roundings=roundings,
                              magnitude=SAMPLING_MAGNITUDE)


def test_intermediates_run_from_the_noise_to_the_result(model):
    latents = latent.latent_batch(model, 2, seed=0)
    images, frames = model.sample(latents=latents, num_steps=20, return_intermediates=True,
                                  num_intermediates=5)
    timesteps = list(frames)
    assert timesteps[0] == NUM_TIMESTEPS and timesteps[-1] == 0
    assert timesteps == sorted(timesteps, reverse=True) and len(timesteps) == 5
    # the first frame is the starting noise, mapped to [0, 1] as (x + 1) / 2
    assert_rounding_close(frames[NUM_TIMESTEPS], np.clip((latents + 1) / 2, 0, 1), roundings=2,
                          magnitude=np.abs(latents).max())
    np.testing.assert_array_equal(frames[0], images)  # the last frame is the result itself


def test_guidance_scale_zero_and_one_give_the_unconditional_and_conditional_predictions(
        conditional_model):
    rng = np.random.default_rng(0)
    x_t = rng.standard_normal((4, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 3, 7, 9])
    t = np.array([10, 40, 70, 99])
    conditional = conditional_model.predict_noise(x_t, t, class_labels=labels)
    unconditional = conditional_model.predict_noise(x_t, t)  # the null class
    assert np.abs(conditional - unconditional).max() > 1e-4  # labels matter
    # guidance runs both predictions in one batch of 2n, against batches of n here: the same
    # network to rounding, plus eps_u + s (eps_c - eps_u); the pre-activations (|x_t| < 5,
    # through the network) set the scale
    roundings = network_roundings(conditional_model.ema_network) + 4
    assert_rounding_close(conditional_model.predict_noise(x_t, t, labels, guidance_scale=0.0),
                          unconditional, roundings=roundings, magnitude=SAMPLING_MAGNITUDE)
    assert_rounding_close(conditional_model.predict_noise(x_t, t, labels, guidance_scale=1.0),
                          conditional, roundings=roundings, magnitude=SAMPLING_MAGNITUDE)
    scale_three = conditional_model.predict_noise(x_t, t, labels, guidance_scale=3.0)
    # s = 3 multiplies the rounding of eps_c - eps_u by 3
    assert_rounding_close(scale_three, unconditional + 3 * (conditional - unconditional),
                          roundings=3 * roundings, magnitude=SAMPLING_MAGNITUDE)


def test_generate_follows_the_sampling_protocol(conditional_model):
    assert sampling.is_generator(conditional_model)
    assert conditional_model.latent_shape == (28, 28, 1)
    images = conditional_model.generate(latent.latent_batch(conditional_model, 3))
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_saved_model_loads_and_samples_the_same_images(tmp_path):
    model = tiny_model(num_classes=10)
    # make the EMA copy differ from the network, so that loading must restore both
    kernel = model.ema_network.get_layer("predicted_noise").kernel
    kernel.assign(kernel * 2.0)
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.num_classes == 10 and loaded.schedule.num_timesteps == NUM_TIMESTEPS
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(original.numpy(), restored.numpy())
    options = dict(num_steps=5, sampler="ddpm", seed=0, class_labels=[4, 5], guidance_scale=2.0)
    # the same weights, seed and code path: the same bits
    np.testing.assert_array_equal(loaded.sample(2, **options), model.sample(2, **options))


def test_guidance_on_an_unconditional_model_is_refused(model):
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, num_steps=5, guidance_scale=3.0)
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, num_steps=5, class_labels=[1, 2])


def test_guidance_without_class_labels_is_refused(conditional_model):
    with pytest.raises(ValueError, match="needs class_labels"):
        conditional_model.sample(2, num_steps=5, guidance_scale=3.0)
    with pytest.raises(ValueError, match=r"class_labels must lie in \[0, 10\)"):
        conditional_model.sample(2, num_steps=5, class_labels=[1, 10])


def test_more_steps_than_the_schedule_has_is_refused(model):
    with pytest.raises(ValueError, match="cannot take more steps than T"):
        model.sample(2, num_steps=NUM_TIMESTEPS + 1)


def test_wrong_image_shapes_are_refused(model):
    with pytest.raises(ValueError, match=r"latents of shape \(n, 28, 28, 1\)"):
        model.sample(latents=np.zeros((2, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="built for"):
        model.predict_noise(np.zeros((2, 28, 28), np.float32), 5)


def test_warm_up_and_timed_call_with_intermediates_share_one_compiled_loop(conditional_model):
    # notebook 06's timing: warm up on 2 images and 2 steps, then time 8 images with
    # intermediates; the timed call must not trace (its time would include tracing)
    conditional_model.sample(2, num_steps=2, sampler="ddpm", class_labels=[0, 1])
    loops = dict(conditional_model._compiled_loops)
    tracings = {mode: loop.experimental_get_tracing_count() for mode, loop in loops.items()}
    conditional_model.sample(8, num_steps=12, sampler="ddpm", class_labels=np.arange(8), seed=1,
                             return_intermediates=True, num_intermediates=5)
    assert conditional_model._compiled_loops == loops
    assert {mode: loop.experimental_get_tracing_count()
            for mode, loop in loops.items()} == tracings


def test_one_compiled_loop_per_sampler_and_guidance_traced_once():
    model = tiny_model(num_classes=10)
    for num_samples, num_steps, eta, seed in ((2, 3, 0.0, 0), (5, 9, 0.5, 1), (3, 20, 1.0, 2)):
        model.sample(num_samples, num_steps=num_steps, sampler="ddim", eta=eta, seed=seed)
        model.sample(num_samples, num_steps=num_steps, sampler="ddim", eta=eta, seed=seed,
                     class_labels=np.zeros(num_samples), guidance_scale=2.0 + eta,
                     return_intermediates=True, num_intermediates=3)
    assert len(model._compiled_loops) == 2  # ddim unguided, ddim guided
    assert all(loop.experimental_get_tracing_count() == 1
               for loop in model._compiled_loops.values())



def test_recording_intermediates_leaves_the_samples_unchanged(model):
    for compiled in (True, False):
        plain = model.sample(2, num_steps=9, sampler="ddpm", seed=4, compiled=compiled)
        recorded, _ = model.sample(2, num_steps=9, sampler="ddpm", seed=4, compiled=compiled,
                                   return_intermediates=True, num_intermediates=4)
        np.testing.assert_array_equal(recorded, plain)


def test_the_models_eta_is_what_generate_and_sample_use_and_it_is_saved(tmp_path):
    model = tiny_model(eta=1.0, num_sampling_steps=4)
    latents = latent.latent_batch(model, 3, seed=2)
    stochastic = model.sample(latents=latents, num_steps=4, eta=1.0, seed=0)
    # the same code path, the same seed: the same images, bit for bit
    np.testing.assert_array_equal(model.generate(latents), stochastic)
    np.testing.assert_array_equal(model.sample(latents=latents, num_steps=4, seed=0), stochastic)
    deterministic = model.sample(latents=latents, num_steps=4, eta=0.0, seed=0)
    assert np.abs(deterministic - stochastic).max() > 0.01
    model.save(tmp_path / "model.keras")
    assert keras.saving.load_model(tmp_path / "model.keras").eta == 1.0
    with pytest.raises(ValueError, match="eta must be"):
        tiny_model(eta=1.5)
