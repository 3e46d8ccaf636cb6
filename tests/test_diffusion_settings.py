"""Notebook 06's settings: one source, read by the notebook and the benchmark."""
import dataclasses

import pytest

from genai_kit.diffusion import settings


def test_notebook_settings_follow_the_kits_quick_switch(monkeypatch):
    monkeypatch.setenv("GENAI_KIT_QUICK", "1")
    assert settings.notebook_settings() is settings.QUICK
    monkeypatch.setenv("GENAI_KIT_QUICK", "0")
    assert settings.notebook_settings() is settings.FULL
    assert settings.notebook_settings(quick=True) is settings.QUICK


def test_the_quick_run_changes_only_the_length_of_the_run():
    changed = {field.name for field in dataclasses.fields(settings.Settings)
               if getattr(settings.QUICK, field.name) != getattr(settings.FULL, field.name)}
    assert changed == {"num_examples", "epochs", "learning_rate", "sampling_steps"}


def test_settings_are_frozen_so_no_holder_changes_them_for_the_others():
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.FULL.epochs = 1


def test_build_model_follows_the_settings():
    run = dataclasses.replace(settings.QUICK, widths=(8, 16), num_timesteps=100,
                              ema_decay=0.99, class_dropout=0.2)
    model = settings.build_model(run, seed=3)
    assert model.image_shape == run.image_shape and model.num_classes == run.num_classes
    assert model.schedule.num_timesteps == 100
    # numpy's linspace puts its ends exactly at start and stop
    assert model.schedule.betas[0] == run.beta_start
    assert model.schedule.betas[-1] == run.beta_end
    assert (model.ema_decay, model.class_dropout, model.seed) == (0.99, 0.2, 3)
    assert (model.sampler, model.num_sampling_steps) == (run.sampler, run.sampling_steps)
    # a float32 variable holds the rate to within half a float32 ulp (6e-8 relative)
    assert float(model.optimizer.learning_rate) == pytest.approx(run.learning_rate, rel=1e-7)
    assert model.network.get_layer("stem").kernel.shape[-1] == 8
