"""The noise schedule of a diffusion model, kept apart from the network (the diffusers design).

The schedule owns every number of the forward and reverse processes:

- training: ``add_noise(x0, noise, t)`` gives x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise;
- sampling: ``set_timesteps(num_steps)`` picks the timesteps to visit, and
  ``step(predicted_noise, t, x_t)`` takes one reverse step x_t -> x_prev, either the DDPM
  posterior step (stochastic) or the DDIM step (deterministic for ``eta=0``).

The network only ever sees ``(x_t, t)``, so one trained model can be sampled either way and
with any number of steps.

Every table is computed once in float64 (``abar`` of 1000 steps multiplies 1000 numbers; in
float32 its small values lose digits) and cast to the images' dtype only at the end.
"""
import numpy as np
from keras import ops

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
        timesteps: int64 (num_steps,), the descending timesteps ``set_timesteps`` chose.
    """

    def __init__(self, num_timesteps=1000, beta_start=1e-4, beta_end=0.02, schedule="linear",
                 clip_denoised=True):
        if int(num_timesteps) < 2:
            raise ValueError(f"num_timesteps must be at least 2, got {num_timesteps}")
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
        self.set_timesteps(self.num_timesteps)

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
    def set_timesteps(self, num_steps):
        """Chooses the timesteps the reverse process visits, from T-1 down to 0.

        ``num_steps = T`` visits every step (DDPM as in the paper); fewer steps are spread
        evenly, e.g. 50 steps: 999, 979, ..., 20, 0 (DDIM's skipping).

        Args:
            num_steps: int in [1, T].
        Returns:
            int64 (num_steps,), descending; also stored as ``self.timesteps``.
        """
        num_steps = int(num_steps)
        if not 1 <= num_steps <= self.num_timesteps:
            raise ValueError(
                f"num_steps must be between 1 and the schedule's {self.num_timesteps} "
                f"timesteps, got {num_steps}: a trained model cannot take more steps than T"
            )
        if num_steps == 1:
            self.timesteps = np.array([self.num_timesteps - 1], dtype=np.int64)
        else:
            self.timesteps = np.round(
                np.linspace(self.num_timesteps - 1, 0, num_steps)).astype(np.int64)
        return self.timesteps

    @property
    def previous_timesteps(self):
        """int64 (num_steps,): the timestep each step goes to, read off ``timesteps``; -1 = clean."""
        return np.append(self.timesteps[1:], -1)

    def previous_timestep(self, t):
        """The timestep after ``t`` in ``timesteps`` (-1 after the last), for an int ``t``."""
        positions = np.flatnonzero(self.timesteps == int(t))
        if len(positions) == 0:
            raise ValueError(
                f"timestep {t} is not among the {len(self.timesteps)} timesteps chosen by "
                "set_timesteps; step through schedule.timesteps"
            )
        return int(self.previous_timesteps[positions[0]])

    def step(self, model_output, t, x_t, noise=None, sampler="ddpm", eta=0.0, prev_t=None):
        """One reverse step x_t -> x_prev, from the network's noise prediction.

        Both samplers first estimate the clean image
        x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t).

        - "ddpm": sample the posterior q(x_prev | x_t, x0_hat), mean
          sqrt(abar_prev) beta x0_hat / (1 - abar_t) + sqrt(alpha) (1 - abar_prev) x_t / (1 - abar_t),
          variance (1 - abar_prev) / (1 - abar_t) beta, with alpha = abar_t / abar_prev and
          beta = 1 - alpha (for consecutive steps these are the paper's alpha_t, beta_t).
        - "ddim": x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps + sigma z,
          sigma = eta sqrt((1 - abar_prev) / (1 - abar_t) * beta): eta = 0 is deterministic,
          eta = 1 has the DDPM variance.

        Args:
            model_output: predicted noise eps (n, H, W, C).
            t: the current timestep, an int or a scalar int tensor.
            x_t: current images (n, H, W, C).
            noise: standard normal z shaped like x_t; needed unless the step is deterministic
                (DDIM with eta = 0, or the last step).
            sampler: "ddpm" or "ddim".
            eta: DDIM's noise level in [0, 1] (ignored by "ddpm"); a number or a scalar tensor.
            prev_t: the timestep to step to; default: the one after ``t`` in ``timesteps``
                (a compiled loop passes it, read from the same array).
        Returns:
            x_prev, a float tensor shaped like x_t.
        """
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        if prev_t is None:
            prev_t = self.previous_timestep(t)
        x_t = ops.convert_to_tensor(x_t)
        dtype = x_t.dtype
        predicted_noise = ops.cast(model_output, dtype)

        # the coefficients in float64, cast once
        alpha_bar = self._alpha_bar(t)
        alpha_bar_prev = self._alpha_bar(prev_t)
        alpha = alpha_bar / alpha_bar_prev
        beta = 1.0 - alpha
        posterior_variance = (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * beta

        def f(value):
            return ops.cast(value, dtype)

        x0_hat = (x_t - f(ops.sqrt(1.0 - alpha_bar)) * predicted_noise) / f(ops.sqrt(alpha_bar))
        if self.clip_denoised:
            x0_hat = ops.clip(x0_hat, -1.0, 1.0)

        if sampler == "ddpm":
            x0_coefficient = ops.sqrt(alpha_bar_prev) * beta / (1.0 - alpha_bar)
            xt_coefficient = ops.sqrt(alpha) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
            mean = f(x0_coefficient) * x0_hat + f(xt_coefficient) * x_t
            std = ops.sqrt(posterior_variance)
        else:
            if self.clip_denoised:
                # the noise that matches the clipped x0_hat keeps x_prev on the same path
                predicted_noise = (
                    (x_t - f(ops.sqrt(alpha_bar)) * x0_hat) / f(ops.sqrt(1.0 - alpha_bar)))
            std = ops.cast(eta, "float64") * ops.sqrt(posterior_variance)
            direction_coefficient = ops.sqrt(ops.maximum(1.0 - alpha_bar_prev - std**2, 0.0))
            mean = f(ops.sqrt(alpha_bar_prev)) * x0_hat + f(direction_coefficient) * predicted_noise
            if isinstance(eta, (int, float, np.number)) and eta == 0:
                return mean  # deterministic: no noise needed
        if noise is None:
            if isinstance(prev_t, (int, np.integer)) and prev_t < 0:
                return mean  # the last step adds no noise
            raise ValueError(
                f"the {sampler} step with eta={eta} is stochastic: pass noise=standard normal "
                "shaped like x_t"
            )
        return mean + f(std) * ops.cast(noise, dtype)

    # ---------------------------------------------------------------- helpers
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
