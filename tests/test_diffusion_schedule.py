"""The noise schedule against the DDPM/DDIM closed forms."""
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from genai_kit.diffusion import NoiseSchedule
from tolerances import FLOAT64_EPS, assert_rounding_close, rounding_tolerance

SHAPE = (512, 8, 8, 1)


def step_magnitude(x_t, noise, alpha_bar):
    """The size of a reverse step's intermediates: the predicted clean image divides by
    sqrt(abar_t), so x_t's and the noise's rounding grows by that much."""
    return float(np.abs(ops.convert_to_numpy(x_t)).max() + np.abs(noise).max()) / np.sqrt(alpha_bar)


@pytest.fixture(scope="module")
def schedule():
    return NoiseSchedule()


@pytest.fixture(scope="module")
def clean_and_noise():
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, SHAPE).astype(np.float32)
    noise = rng.standard_normal(SHAPE).astype(np.float32)
    return x0, noise


def test_linear_betas_and_cumulative_alphas_match_the_closed_forms(schedule):
    assert schedule.betas.dtype == np.float64
    assert schedule.betas.shape == (1000,)
    # float64 throughout: linspace's ends are the ends, its steps a few roundings at 0.02
    np.testing.assert_array_equal(schedule.betas[[0, -1]], [1e-4, 0.02])
    assert_rounding_close(np.diff(schedule.betas), (0.02 - 1e-4) / 999, roundings=4,
                          magnitude=0.02, eps=FLOAT64_EPS)
    # a product of 1,000 factors: relative rounding of 1,000 multiplications
    np.testing.assert_allclose(schedule.alphas_cumprod, np.cumprod(1 - schedule.betas),
                               rtol=rounding_tolerance(1.0, 2 * 1000, FLOAT64_EPS))
    # abar_T ~ 4e-5: almost no signal is left after 1000 steps
    assert 1e-5 < schedule.alphas_cumprod[-1] < 1e-4
    assert_rounding_close(schedule.signal_rates**2 + schedule.noise_rates**2, 1.0, roundings=6,
                          eps=FLOAT64_EPS)


def test_cosine_schedule_follows_the_squared_cosine():
    schedule = NoiseSchedule(schedule="cosine")
    t = np.arange(1, 1001) / 1000
    offset = 0.008
    expected = (np.cos((t + offset) / (1 + offset) * np.pi / 2) ** 2
                / np.cos(offset / (1 + offset) * np.pi / 2) ** 2)
    # equal wherever the 0.999 clip of beta has not acted (all but the very end)
    # a product of up to 990 ratios of cosines against the closed form: relative rounding of
    # the product, and of each cosine
    np.testing.assert_allclose(schedule.alphas_cumprod[:990], expected[:990],
                               rtol=rounding_tolerance(1.0, 4 * 990, FLOAT64_EPS))
    assert schedule.betas.max() <= 0.999


def test_posterior_variance_matches_the_closed_form(schedule):
    t = 500
    expected = (schedule.betas[t] * (1 - schedule.alphas_cumprod[t - 1])
                / (1 - schedule.alphas_cumprod[t]))
    assert schedule.posterior_variance[t] == pytest.approx(
        expected, rel=rounding_tolerance(1.0, 8, FLOAT64_EPS))
    assert schedule.posterior_variance[0] == 0.0  # the last step adds no noise


def test_add_noise_at_t_zero_returns_almost_the_clean_image(schedule, clean_and_noise):
    x0, noise = clean_and_noise
    x_t = ops.convert_to_numpy(schedule.add_noise(x0, noise, np.zeros(len(x0), np.int32)))
    assert np.abs(x_t - x0).max() < 0.05
    # what is added is noise with std sqrt(beta_1) = 0.01; 32,768 draws put the sample std
    # within 0.4% (one standard error) of it; float32 rounding of x0 + 0.01 z adds only
    # about 6e-8 / 0.01 = 6e-6 of it: 5% is over 12 standard errors
    assert np.std(x_t - x0) == pytest.approx(0.01, rel=0.05)


def test_add_noise_at_the_last_step_is_almost_pure_unit_noise(schedule, clean_and_noise):
    x0, noise = clean_and_noise
    x_t = ops.convert_to_numpy(schedule.add_noise(x0, noise, 999))
    assert abs(x_t.mean()) < 0.02
    # statistics of 32,768 draws: one standard error of the std is 0.004
    assert x_t.std() == pytest.approx(1.0, abs=0.02)
    assert np.corrcoef(x_t.ravel(), noise.ravel())[0, 1] > 0.9999


def test_add_noise_uses_each_images_own_timestep(schedule, clean_and_noise):
    x0, noise = clean_and_noise
    timesteps = np.arange(len(x0)) % 1000
    x_t = ops.convert_to_numpy(schedule.add_noise(x0, noise, timesteps))
    expected = (np.sqrt(schedule.alphas_cumprod[timesteps])[:, None, None, None] * x0
                + np.sqrt(1 - schedule.alphas_cumprod[timesteps])[:, None, None, None] * noise)
    # float32 rates and sum against float64 ones: a few roundings at the size of the inputs
    assert_rounding_close(x_t, expected, roundings=6, magnitude=np.abs(noise).max() + 1)


def test_timesteps_run_from_the_last_timestep_down_to_zero(schedule):
    timesteps = schedule.timesteps(50)
    assert len(timesteps) == 50
    assert timesteps[0] == 999 and timesteps[-1] == 0
    assert np.all(np.diff(timesteps) < 0)
    np.testing.assert_array_equal(schedule.previous_timesteps(timesteps),
                                  np.append(timesteps[1:], -1))
    np.testing.assert_array_equal(schedule.timesteps(1000), np.arange(999, -1, -1))


def test_previous_timesteps_are_the_next_entries_then_the_clean_image(schedule):
    timesteps = schedule.timesteps(4)
    np.testing.assert_array_equal(timesteps, [999, 666, 333, 0])
    np.testing.assert_array_equal(schedule.previous_timesteps(timesteps), [666, 333, 0, -1])


def test_timesteps_are_a_value_that_no_later_call_changes(schedule):
    fifty = schedule.timesteps(50)
    kept = fifty.copy()
    schedule.timesteps(10)  # another holder of the schedule asks for other steps
    np.testing.assert_array_equal(fifty, kept)
    assert not hasattr(schedule, "set_timesteps")


def test_more_steps_than_the_schedule_has_is_refused():
    with pytest.raises(ValueError, match="between 1 and"):
        NoiseSchedule(num_timesteps=100).timesteps(101)


def test_ddpm_step_with_the_true_noise_recovers_the_posterior_mean(clean_and_noise):
    x0, noise = clean_and_noise
    local = NoiseSchedule()
    t = 500
    x_t = ops.convert_to_numpy(local.add_noise(x0, noise, t))
    alpha_bar, alpha_bar_prev = local.alphas_cumprod[t], local.alphas_cumprod[t - 1]
    posterior_mean = (np.sqrt(alpha_bar_prev) * local.betas[t] / (1 - alpha_bar) * x0
                      + np.sqrt(local.alphas[t]) * (1 - alpha_bar_prev) / (1 - alpha_bar) * x_t)
    zeros = np.zeros_like(x0)
    mean = ops.convert_to_numpy(local.step(noise, t, x_t, prev_t=t - 1, noise=zeros,
                                           sampler="ddpm"))
    # float32 step: the predicted clean image divides by sqrt(abar_t), which scales the
    # rounding of x_t - sqrt(1 - abar_t) eps; a dozen roundings along the formula
    magnitude = step_magnitude(x_t, noise, alpha_bar)
    assert_rounding_close(mean, posterior_mean, roundings=12, magnitude=magnitude)
    # and the noise enters with the posterior standard deviation
    z = np.ones_like(x0)
    x_prev = ops.convert_to_numpy(local.step(noise, t, x_t, prev_t=t - 1, noise=z,
                                             sampler="ddpm"))
    assert_rounding_close(x_prev - mean, np.sqrt(local.posterior_variance[t]), roundings=2 * 12,
                          magnitude=magnitude)


def test_ddim_step_with_the_true_noise_lands_on_the_forward_process(clean_and_noise):
    x0, noise = clean_and_noise
    schedule = NoiseSchedule()
    timesteps = schedule.timesteps(50)
    t, prev_t = int(timesteps[10]), int(timesteps[11])
    x_t = schedule.add_noise(x0, noise, t)
    x_prev = schedule.step(noise, t, x_t, prev_t=prev_t, sampler="ddim", eta=0.0)
    # deterministic DDIM moves along the same (x0, noise) line: x_prev = q-sample at prev_t
    assert_rounding_close(ops.convert_to_numpy(x_prev),
                          ops.convert_to_numpy(schedule.add_noise(x0, noise, prev_t)),
                          roundings=12 + 6,
                          magnitude=step_magnitude(x_t, noise, schedule.alphas_cumprod[t]))
    # the final step (to "t = -1") returns the clean image itself
    x_0 = schedule.step(noise, 0, schedule.add_noise(x0, noise, 0), prev_t=-1, sampler="ddim")
    assert_rounding_close(ops.convert_to_numpy(x_0), x0, roundings=12 + 6,
                          magnitude=np.abs(noise).max() + 1)


def test_ddim_with_eta_one_adds_the_ddpm_posterior_noise(clean_and_noise):
    x0, noise = clean_and_noise
    schedule = NoiseSchedule()
    t = 300
    x_t = schedule.add_noise(x0, noise, t)
    zeros, ones = np.zeros_like(x0), np.ones_like(x0)
    ddpm = [ops.convert_to_numpy(schedule.step(noise, t, x_t, prev_t=t - 1, noise=z,
                                               sampler="ddpm"))
            for z in (zeros, ones)]
    ddim = [ops.convert_to_numpy(schedule.step(noise, t, x_t, prev_t=t - 1, noise=z,
                                               sampler="ddim", eta=1.0))
            for z in (zeros, ones)]
    # two float32 routes through the same equations: a dozen roundings each, twice for the
    # difference of two steps
    magnitude = step_magnitude(x_t, noise, schedule.alphas_cumprod[t])
    assert_rounding_close(ddim[1] - ddim[0], ddpm[1] - ddpm[0], roundings=4 * 12,
                          magnitude=magnitude)
    assert_rounding_close(ddim[0], ddpm[0], roundings=2 * 12, magnitude=magnitude)  # same mean


@pytest.mark.parametrize("sampler, eta", [("ddpm", 0.0), ("ddim", 0.0), ("ddim", 0.5)])
def test_a_traced_step_computes_what_the_eager_step_computes(clean_and_noise, sampler, eta):
    x0, noise = clean_and_noise
    schedule = NoiseSchedule()
    x_t = schedule.add_noise(x0, noise, 400)
    z = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    eager = schedule.step(noise, 400, x_t, prev_t=380, noise=z, sampler=sampler, eta=eta)
    traced = tf.function(lambda t, prev_t, eta: schedule.step(
        noise, t, x_t, prev_t=prev_t, noise=z, sampler=sampler, eta=eta))(
        tf.constant(400), tf.constant(380), tf.constant(eta))
    # the same float32 equations; a traced graph may fuse or reorder them
    assert_rounding_close(ops.convert_to_numpy(traced), ops.convert_to_numpy(eager), roundings=12,
                          magnitude=step_magnitude(x_t, noise, schedule.alphas_cumprod[400]))


def test_a_stochastic_step_without_noise_is_refused(clean_and_noise):
    x0, noise = clean_and_noise
    schedule = NoiseSchedule()
    with pytest.raises(ValueError, match="stochastic"):
        schedule.step(noise, 999, x0, prev_t=998, sampler="ddpm")
    with pytest.raises(ValueError, match="stochastic"):
        schedule.step(noise, 999, x0, prev_t=998, sampler="ddim", eta=0.5)
    with pytest.raises(ValueError, match="sampler"):
        schedule.step(noise, 999, x0, prev_t=998, sampler="euler")


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="schedule must be one of"):
        NoiseSchedule(schedule="quadratic")
