"""Denoising diffusion (week 6): the noise schedule, the U-Net that predicts noise, the model.

- :class:`NoiseSchedule` (``schedule.py``): betas, cumulative alphas, ``add_noise`` for
  training, ``timesteps`` + ``step`` (``ddpm_step`` or ``ddim_step``) for sampling;
- ``unet.build_unet`` (``unet.py``): the noise-prediction network, optionally class-conditional;
- :class:`DiffusionModel` (``model.py``): training (Algorithm 1), EMA weights, compiled
  sampling with classifier-free guidance;
- ``settings`` (``settings.py``): notebook 06's settings and the model they build, shared
  with ``benchmarks/diffusion_sampling.py``.
"""
from genai_kit.diffusion import settings, unet
from genai_kit.diffusion.model import DiffusionModel
from genai_kit.diffusion.schedule import NoiseSchedule

__all__ = ["DiffusionModel", "NoiseSchedule", "settings", "unet"]
