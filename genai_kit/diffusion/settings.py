"""Notebook 06's settings in one place: the notebook and ``benchmarks/diffusion_sampling.py`` read them.

``notebook_settings()`` gives the full run, or the quick run when the kit's switch is on
(``GENAI_KIT_QUICK=1``); ``build_model(settings)`` builds and compiles the model they describe.
Change a copy, never the shared values: ``dataclasses.replace(FULL, epochs=5)``.
"""
import dataclasses

import keras

from genai_kit import config
from genai_kit.diffusion import unet
from genai_kit.diffusion.model import DiffusionModel
from genai_kit.diffusion.schedule import NoiseSchedule


@dataclasses.dataclass(frozen=True)
class Settings:
    """The week's MNIST diffusion model and its training run.

    Attributes:
        batch_size: images per training step.
        num_examples: training digits to use; None: the whole training set.
        num_timesteps: T of the DDPM paper; beta_start, beta_end: its linear schedule.
        image_shape: (H, W, C) of the digits.
        widths: U-Net channels at 28x28, 14x14, 7x7.
        num_classes: class-conditional with this many classes (plus a null class for guidance).
        class_dropout: share of labels replaced by the null class in training, in [0, 1].
        epochs: training epochs.
        learning_rate: Adam's step size.
        ema_decay: decay of the moving average of the weights that sampling uses.
        sampler: "ddim" or "ddpm", what ``model.generate`` uses.
        sampling_steps: reverse steps of ``model.generate``, in [1, num_timesteps].
        eta: DDIM noise level of ``model.generate``, in [0, 1] (0: deterministic).
    """
    # data
    batch_size: int = 64
    num_examples: int | None = None
    # diffusion
    num_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    # architecture
    image_shape: tuple = (28, 28, 1)
    widths: tuple = (16, 32, 64)
    num_classes: int = 10
    class_dropout: float = 0.1
    # optimization
    epochs: int = 30
    learning_rate: float = 1e-3
    ema_decay: float = 0.999
    # sampling
    sampler: str = "ddim"
    sampling_steps: int = 50
    eta: float = 0.0


FULL = Settings()
# a short run on 1,280 digits: blobs become digit-like; fewer, bolder steps
QUICK = dataclasses.replace(FULL, num_examples=1280, epochs=2, learning_rate=2e-3,
                            sampling_steps=10)


def notebook_settings(quick=None):
    """The settings of notebook 06's run.

    Args:
        quick: True for the quick run, False for the full one; None: the kit's switch
            (``genai_kit.quick_mode()``, on when ``GENAI_KIT_QUICK=1``).
    Returns:
        Settings: ``QUICK`` or ``FULL``.
    """
    if quick is None:
        quick = config.quick_mode()
    return QUICK if quick else FULL


def noise_schedule(settings):
    """The linear NoiseSchedule of ``settings`` (T steps, betas beta_start .. beta_end)."""
    return NoiseSchedule(settings.num_timesteps, settings.beta_start, settings.beta_end)


def build_model(settings, schedule=None, seed=0):
    """The U-Net and DiffusionModel of ``settings``, compiled with Adam.

    Args:
        settings: a Settings, e.g. ``notebook_settings()``.
        schedule: a NoiseSchedule; default: ``noise_schedule(settings)``.
        seed: seed of the training randomness (timesteps, noise, label dropout).
    Returns:
        a compiled DiffusionModel for images of ``settings.image_shape`` in [0, 1].
    """
    network = unet.build_unet(settings.image_shape, widths=settings.widths,
                              num_classes=settings.num_classes)
    model = DiffusionModel(
        network, schedule=noise_schedule(settings) if schedule is None else schedule,
        ema_decay=settings.ema_decay, class_dropout=settings.class_dropout,
        sampler=settings.sampler, num_sampling_steps=settings.sampling_steps, seed=seed,
        eta=settings.eta)
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate))
    return model
