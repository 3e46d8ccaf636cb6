"""The noise schedule of a diffusion model, kept apart from the network (the diffusers design).

The schedule owns every number of the forward and reverse processes:

- training: ``add_noise(x0, noise, t)`` gives x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise;
- sampling: ``timesteps(num_steps)`` returns the timesteps to visit (a value: nothing is
  stored), and ``step(predicted_noise, t, x_t, prev_t=...)`` takes one reverse step
  x_t -> x_prev with the sampler named: ``ddpm_step`` (the posterior, stochastic) or
  ``ddim_step`` (deterministic for ``eta=0``), each written as its paper's equations.

The network only ever sees ``(x_t, t)``, so one trained model can be sampled either way and
with any number of steps.

Every table is computed once in float64 (``abar`` of 1000 steps multiplies 1000 numbers; in
float32 its small values lose digits) and cast to the images' dtype only at the end.
"""
import numpy as np
from keras import ops

from genai_kit import checks

SCHEDULES = ("linear", "cosine")
SAMPLERS = ("ddpm", "ddim")
COSINE_OFFSET = 0.008  # s of Nichol & Dhariwal (2021): keeps beta_0 from being ~0
MAX_COSINE_BETA = 0.999  # their clip, avoids a singular last step


class NoiseSchedule:
    """Betas, cumulative alphas and the forward/reverse steps of a diffusion process.

    Args:
        num_timesteps: T, number of forward steps (1000 in the DDPM paper).
        beta_start: beta_1 of the linear schedule (1e-4 in the paper).
        beta_end: beta_T of the linear schedule (0.02 in the paper).
        schedule: "linear" (DDPM) or "cosine" (improved DDPM; ignores beta_start/beta_end).
        clip_denoised: clip the predicted clean image to [-1, 1] in ``step`` (images live
            there, so a prediction outside is known to be wrong).

    Attributes (numpy float64, shape (T,), index t = 0 .. T-1):
        betas: beta_t, the variance added at step t.
        alphas: 1 - beta_t.
        alphas_cumprod: abar_t = prod_{s <= t} alpha_s, the share of signal variance left.
        alphas_cumprod_prev: abar_{t-1}, with abar_{-1} = 1 (the clean image).
        signal_rates: sqrt(abar_t); noise_rates: sqrt(1 - abar_t).
        posterior_variance: variance of q(x_{t-1} | x_t, x0) = beta_t (1 - abar_{t-1}) / (1 - abar_t).
    """

    def __init__(self, num_timesteps=1000, beta_start=1e-4, beta_end=0.02, schedule="linear",
                 clip_denoised=True):
        num_timesteps = checks.integer("num_timesteps", num_timesteps, minimum=2,
                                       hint=": T of the DDPM paper is 1000")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        if not 0 < beta_start < beta_end < 1:
            raise ValueError(
                f"need 0 < beta_start < beta_end < 1, got {beta_start} and {beta_end} "
                "(the paper uses 1e-4 and 0.02)"
            )
        self.num_timesteps = int(num_timesteps)
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.schedule = schedule
        self.clip_denoised = bool(clip_denoised)

        if schedule == "linear":
            self.betas = np.linspace(beta_start, beta_end, self.num_timesteps, dtype=np.float64)
        else:
            self.betas = cosine_betas(self.num_timesteps)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = np.cumprod(self.alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.signal_rates = np.sqrt(self.alphas_cumprod)
        self.noise_rates = np.sqrt(1.0 - self.alphas_cumprod)
        self.posterior_variance = (
            self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        )
        # abar looked up at t = -1 .. T-1: index 0 is "after the last step", the clean image
        self._alphas_cumprod_from_minus_one = np.append(1.0, self.alphas_cumprod)

    # ---------------------------------------------------------------- training
    def add_noise(self, x0, noise, t):
        """Forward process in one jump: a sample of q(x_t | x0).

        Args:
            x0: clean images (n, H, W, C) in [-1, 1] (numpy or tensor).
            noise: standard normal noise, same shape as x0.
            t: int timesteps (n,) in [0, T-1], or one int for the whole batch.
        Returns:
            x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, a float tensor shaped like x0.
        """
        x0 = ops.convert_to_tensor(x0)
        signal_rates = self._lookup(self.signal_rates, t, x0)
        noise_rates = self._lookup(self.noise_rates, t, x0)
        return signal_rates * x0 + noise_rates * ops.cast(noise, x0.dtype)

    # ---------------------------------------------------------------- sampling
    def timesteps(self, num_steps):
        """The timesteps the reverse process visits, from T-1 down to 0.

        ``num_steps = T`` visits every step (DDPM as in the paper); fewer steps are spread
        evenly, e.g. 50 steps: 999, 979, ..., 20, 0 (DDIM's skipping). Nothing is stored:
        every caller gets its own array.

        Args:
            num_steps: int in [1, T].
        Returns:
            int64 (num_steps,), descending, in [0, T-1].
        """
        num_steps = checks.integer("num_steps", num_steps)
        if not 1 <= num_steps <= self.num_timesteps:
            raise ValueError(
                f"num_steps must be between 1 and the schedule's {self.num_timesteps} "
                f"timesteps, got {num_steps}: a trained model cannot take more steps than T"
            )
        if num_steps == 1:
            return np.array([self.num_timesteps - 1], dtype=np.int64)
        return np.round(np.linspace(self.num_timesteps - 1, 0, num_steps)).astype(np.int64)

    @staticmethod
    def previous_timesteps(timesteps):
        """The timestep each step of ``timesteps`` goes to: the next one, -1 after the last.

        Args:
            timesteps: int (num_steps,), descending, as ``timesteps(num_steps)`` returns.
        Returns:
            int64 (num_steps,); -1 means "the clean image" (abar_{-1} = 1).
        """
        return np.append(np.asarray(timesteps, dtype=np.int64)[1:], -1)

    def step(self, model_output, t, x_t, *, prev_t, noise=None, sampler="ddpm", eta=0.0):
        """One reverse step x_t -> x_prev with the sampler named: the one place that picks it.

        Args:
            model_output: predicted noise eps (n, H, W, C).
            t: the current timestep in [0, T-1], an int or a scalar int tensor.
            x_t: current images (n, H, W, C).
            prev_t: the timestep to step to, in [-1, t) (-1: the clean image); the next entry
                of ``timesteps(num_steps)`` (see ``previous_timesteps``).
            noise: standard normal z shaped like x_t. It may be left out (None) only for
                deterministic DDIM (``eta=0``); a sampling loop always passes it, so that
                eager and compiled runs compute the same thing.
            sampler: "ddpm" (``ddpm_step``) or "ddim" (``ddim_step``).
            eta: DDIM's noise level in [0, 1] (ignored by "ddpm"); a number or a scalar tensor.
        Returns:
            x_prev, a float tensor shaped like x_t.
        """
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        if noise is None:
            if sampler == "ddpm" or eta != 0:
                which = "the DDPM step" if sampler == "ddpm" else f"the DDIM step with eta={eta}"
                raise ValueError(
                    f"{which} is stochastic: pass noise=standard normal shaped like x_t "
                    "(zeros give the mean)"
                )
            noise = ops.zeros_like(x_t)
        if sampler == "ddpm":
            return self.ddpm_step(model_output, t, x_t, prev_t, noise)
        return self.ddim_step(model_output, t, x_t, prev_t, noise, eta)

    def ddpm_step(self, model_output, t, x_t, prev_t, noise):
        """DDPM's reverse step (Ho et al. 2020, Algorithm 2): sample q(x_prev | x_t, x0_hat).

        Equation numbers are the paper's. With alpha = abar_t / abar_prev and beta = 1 - alpha
        (the paper's alpha_t and beta_t when prev_t = t - 1; the same formulas hold when
        steps are skipped).

        Args:
            model_output: predicted noise eps (n, H, W, C).
            t: current timestep in [0, T-1]; prev_t: the one to step to, in [-1, t).
            x_t: current images (n, H, W, C).
            noise: standard normal z shaped like x_t (it enters times 0 at prev_t = -1).
        Returns:
            x_prev, a float tensor shaped like x_t.
        """
        x_t = ops.convert_to_tensor(x_t)
        dtype = x_t.dtype
        predicted_noise = ops.cast(model_output, dtype)

        # 1. the coefficients, in float64
        alpha_bar = self._alpha_bar(t)
        alpha_bar_prev = self._alpha_bar(prev_t)
        alpha = alpha_bar / alpha_bar_prev
        beta = 1.0 - alpha

        # 2. predicted x0 of formula (15): x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)
        x0_hat = self._predicted_x0(predicted_noise, alpha_bar, x_t)

        # 3. coefficients of x0_hat and x_t in the posterior mean mu_tilde, formula (7)
        x0_coefficient = ops.sqrt(alpha_bar_prev) * beta / (1.0 - alpha_bar)
        xt_coefficient = ops.sqrt(alpha) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)

        # 4. the posterior mean mu_tilde(x_t, x0_hat), formula (7)
        mean = ops.cast(x0_coefficient, dtype) * x0_hat + ops.cast(xt_coefficient, dtype) * x_t

        # 5. the posterior variance beta_tilde = (1 - abar_prev) / (1 - abar_t) beta, formula (7)
        variance = (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * beta

        # 6. x_prev = mu_tilde + sqrt(beta_tilde) z (Algorithm 2, line 4); at prev_t = -1,
        # beta_tilde = 0 is the algorithm's "z = 0 at the last step"
        return mean + ops.cast(ops.sqrt(variance), dtype) * ops.cast(noise, dtype)

    def ddim_step(self, model_output, t, x_t, prev_t, noise, eta=0.0):
        """DDIM's reverse step (Song et al. 2021): formula (12) with sigma of formula (16).

        x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps + sigma z, with
        sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev):
        eta = 0 is deterministic, eta = 1 has the DDPM posterior's variance.

        Args:
            model_output: predicted noise eps (n, H, W, C).
            t: current timestep in [0, T-1]; prev_t: the one to step to, in [-1, t).
            x_t: current images (n, H, W, C).
            noise: standard normal z shaped like x_t (it enters times sigma, 0 for eta = 0).
            eta: noise level in [0, 1], a number or a scalar tensor.
        Returns:
            x_prev, a float tensor shaped like x_t.
        """
        x_t = ops.convert_to_tensor(x_t)
        dtype = x_t.dtype
        predicted_noise = ops.cast(model_output, dtype)

        # 1. the coefficients, in float64
        alpha_bar = self._alpha_bar(t)
        alpha_bar_prev = self._alpha_bar(prev_t)

        # 2. "predicted x_0" of formula (12)
        x0_hat = self._predicted_x0(predicted_noise, alpha_bar, x_t)
        if self.clip_denoised:
            # the noise that matches the clipped x0_hat keeps x_prev on the same path
            predicted_noise = ((x_t - ops.cast(ops.sqrt(alpha_bar), dtype) * x0_hat)
                               / ops.cast(ops.sqrt(1.0 - alpha_bar), dtype))

        # 3. sigma_t(eta) of formula (16)
        variance = (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * (1.0 - alpha_bar / alpha_bar_prev)
        std = ops.cast(eta, "float64") * ops.sqrt(variance)

        # 4. "direction pointing to x_t" of formula (12)
        direction_coefficient = ops.sqrt(ops.maximum(1.0 - alpha_bar_prev - std**2, 0.0))
        direction = ops.cast(direction_coefficient, dtype) * predicted_noise

        # 5. x_prev without the "random noise" of formula (12), then with it
        mean = ops.cast(ops.sqrt(alpha_bar_prev), dtype) * x0_hat + direction
        return mean + ops.cast(std, dtype) * ops.cast(noise, dtype)

    # ---------------------------------------------------------------- helpers
    def _predicted_x0(self, predicted_noise, alpha_bar, x_t):
        """x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), clipped to [-1, 1] if asked."""
        dtype = x_t.dtype
        x0_hat = ((x_t - ops.cast(ops.sqrt(1.0 - alpha_bar), dtype) * predicted_noise)
                  / ops.cast(ops.sqrt(alpha_bar), dtype))
        if self.clip_denoised:
            x0_hat = ops.clip(x0_hat, -1.0, 1.0)
        return x0_hat

    def _alpha_bar(self, t):
        """abar_t as a float64 scalar tensor, for t in [-1, T-1] (-1 gives 1, the clean image)."""
        table = ops.convert_to_tensor(self._alphas_cumprod_from_minus_one, dtype="float64")
        return ops.take(table, ops.cast(t, "int32") + 1)

    def _lookup(self, table, t, like):
        """table[t] shaped (n, 1, 1, 1) (or a scalar) to broadcast against images ``like``."""
        values = ops.take(ops.convert_to_tensor(table, dtype="float64"), ops.cast(t, "int32"))
        values = ops.cast(values, like.dtype)
        if len(values.shape) == 1:
            values = ops.reshape(values, (-1,) + (1,) * (len(like.shape) - 1))
        return values

    def get_config(self):
        return {
            "num_timesteps": self.num_timesteps,
            "beta_start": self.beta_start,
            "beta_end": self.beta_end,
            "schedule": self.schedule,
            "clip_denoised": self.clip_denoised,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"NoiseSchedule(num_timesteps={self.num_timesteps}, schedule={self.schedule!r}, "
                f"beta_start={self.beta_start}, beta_end={self.beta_end})")


def cosine_betas(num_timesteps, offset=COSINE_OFFSET, max_beta=MAX_COSINE_BETA):
    """Betas of the cosine schedule: abar(t) = cos^2((t/T + s) / (1 + s) * pi/2), normalised.

    Args:
        num_timesteps: T.
    Returns:
        float64 (T,), betas in (0, max_beta].
    """
    steps = np.arange(num_timesteps + 1, dtype=np.float64) / num_timesteps
    alphas_cumprod = np.cos((steps + offset) / (1 + offset) * np.pi / 2) ** 2
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    betas = 1.0 - alphas_cumprod[1:] / alphas_cumprod[:-1]
    return np.clip(betas, 0.0, max_beta)
