"""The shipped trained models: they load as the kit's classes, and keep their recorded quality."""
import json

import numpy as np
import pytest

from genai_kit import config, evaluation, pretrained, sampling
from genai_kit.diffusion import DiffusionModel
from genai_kit.models import autoencoder, vae
from genai_kit.text import transformer
from tolerances import network_roundings, rounding_tolerance

EXPECTED_CLASSES = {
    "autoencoder": autoencoder.Autoencoder,
    "dcgan": sampling.KerasGenerator,
    "diffusion": DiffusionModel,
    "vae": vae.VAE,
}
# the language model of week 11, tested with the other text tests (tests/test_text.py)
TEXT_MODELS = {"text_transformer": transformer.CharTransformer}
# figures where larger is better; the others (FID) are better when smaller
HIGHER_IS_BETTER = ("recognised", "effective_classes", "precision", "recall",
                    "guidance_adherence", "colour_spread", "elbo")
# figures that are not sampled (the same held-out digits every time)
NOT_SAMPLED = ("mse",)
# "real_colour_spread" describes the data, not the model
NOT_THE_MODELS = ("real_colour_spread",)
SAMPLING_NOISE_SIGMAS = 3


def test_names_list_every_shipped_model_and_each_has_its_file_and_record():
    assert pretrained.names() == sorted({**EXPECTED_CLASSES, **TEXT_MODELS})
    for name in sorted(EXPECTED_CLASSES):
        assert pretrained.path(name).suffix == ".keras"
        record = pretrained.record(name)
        assert record["name"] == name
        assert record["size_bytes"] == pretrained.path(name).stat().st_size
        assert record["command"].startswith(f"python -m genai_kit train {name} ")
        assert record["figures"]["num_samples"] == 500


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        pretrained.load("difusion")
    message = str(error.value)
    assert "'difusion'" in message
    for name in pretrained.names():
        assert repr(name) in message


def test_the_assets_stay_small():
    folder = config.asset_path("mnist_5k.npz").parent
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    # five trained models and the digits, in every install of the kit
    assert total <= 30 * 2 ** 20, f"the assets take {total / 2 ** 20:.1f} MiB"


@pytest.mark.parametrize("name", sorted(EXPECTED_CLASSES))
def test_each_model_loads_as_the_kits_class_and_generates_images(name):
    model = pretrained.load(name)
    assert isinstance(model, EXPECTED_CLASSES[name])
    images = model.sample(4, seed=0)
    shape = (64, 64, 3) if name == "dcgan" else (28, 28, 1)
    assert images.shape == (4, *shape)
    assert images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    # the same seed, the same images: every path here is the same code on the same CPU
    np.testing.assert_array_equal(model.sample(4, seed=0), images)


def test_the_diffusion_model_computes_in_float32_for_every_cpu():
    model = pretrained.load("diffusion")
    policies = {layer.dtype_policy.name for layer in model.ema_network.layers}
    assert policies == {"float32"}


@pytest.mark.parametrize("name", sorted(EXPECTED_CLASSES))
def test_each_model_keeps_its_recorded_figures(name):
    """Re-measures the record's small guard set (n = 200, seed 0) and compares.

    The tolerance is statistical, not rounding: three standard deviations of each figure
    over the record's three seeds (a model that falls behind by more is worse, not
    unlucky), and at least one sample's worth (1 / n) for shares, since a sample near the
    classifier's threshold can flip on a CPU with other kernels.
    """
    guard = pretrained.record(name)["guard"]
    report = evaluation.model_report(pretrained.load(name), num_samples=guard["num_samples"],
                                     seed=guard["seeds"][0],
                                     guidance_scales=tuple(guard["guidance_scales"]))
    measured = evaluation.flat_figures(report)
    assert set(measured) == set(guard["figures"])
    for key, recorded in guard["figures"].items():
        if key.split(".")[0] in NOT_THE_MODELS:
            continue
        if key in NOT_SAMPLED:
            # the same 500 held-out digits through the same network: only rounding differs.
            # The layers' pre-activations stay below 50 in magnitude on these digits (35 was
            # measured), and the sigmoid's slope is at most 1/4, so each reconstructed pixel
            # moves by at most d = rounding_tolerance(50 / 4, roundings), and the mean of
            # (x - r)^2 by at most 2 sqrt(mse) d + d^2.
            model = pretrained.load(name)
            pixel = rounding_tolerance(50 / 4, network_roundings(model.encoder, model.decoder))
            bound = 2 * np.sqrt(recorded) * pixel + pixel ** 2
            assert abs(measured[key] - recorded) <= bound, (key, measured[key], recorded)
            continue
        noise = SAMPLING_NOISE_SIGMAS * guard["spread"][key]
        noise = max(noise, 1.0 / guard["num_samples"], 1e-3 * abs(recorded))
        if key.split(".")[0] in HIGHER_IS_BETTER:
            assert measured[key] >= recorded - noise, (key, measured[key], recorded)
        else:
            assert measured[key] <= recorded + noise, (key, measured[key], recorded)


def test_the_recorded_figures_are_what_the_readme_of_the_assets_says():
    readme = (config.asset_path("README.md")).read_text()
    for name in sorted(EXPECTED_CLASSES):
        figures = pretrained.record(name)["figures"]
        assert f"{figures['fid']:.1f}" in readme, (name, figures["fid"])


def test_describe_gives_the_recorded_figures_in_one_line():
    for name in sorted(EXPECTED_CLASSES):
        line = pretrained.describe(name)
        figures = pretrained.record(name)["figures"]
        assert line.startswith(f"shipped {name}: ") and "\n" not in line
        assert f"MNIST-FID {figures['fid']:.1f} at n = 500" in line


def test_records_are_plain_json():
    for name in pretrained.names():
        text = config.asset_path(f"pretrained/{name}.json").read_text()
        assert json.loads(text)["name"] == name


def test_each_record_names_the_command_of_the_build_scripts_recipe():
    import importlib.util

    path = config.asset_path("README.md").resolve().parent.parent / "scripts" / "build_pretrained.py"
    if not path.is_file():
        pytest.skip("an installed kit without the repository's scripts")
    spec = importlib.util.spec_from_file_location("build_pretrained", path)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert sorted(build.RECIPES) == sorted(EXPECTED_CLASSES)
    for name in sorted(EXPECTED_CLASSES):
        record = pretrained.record(name)
        stages = build.recipe(name, record["trained"]["epochs"])
        assert record["command"] == " && ".join(build.command_line(name, stage)
                                                for stage in stages)
