"""Every model file the kit writes loads back in a fresh process that only ran ``import genai_kit``."""
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np

import genai_kit
from genai_kit.diffusion import unet
from genai_kit.diffusion.model import DiffusionModel
from genai_kit.diffusion.schedule import NoiseSchedule
from genai_kit.models import autoencoder, dcgan, vae

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def save_one_model_of_each_kind(folder):
    """Small models of every kind the kit saves, as .keras files; returns their paths."""
    generator = dcgan.build_dcgan_generator(latent_dim=8, base_channels=8, filters=(4, 4),
                                            dtype_policy="float32")
    discriminator = dcgan.build_dcgan_discriminator((32, 32, 3), filters=(4, 8),
                                                    dtype_policy="float32")
    gan = dcgan.DCGAN(generator, discriminator)
    gan.compile()
    network = unet.build_unet((28, 28, 1), widths=(8, 8), blocks_per_level=1,
                              embedding_dim=8, num_classes=10)
    models = {
        "dcgan": gan,
        "generator": generator,  # what train dcgan writes as generator.keras
        "discriminator": discriminator,
        "autoencoder": autoencoder.build_autoencoder(hidden_units=(16,), latent_dim=4),
        "vae": vae.build_vae(hidden_units=(16,), latent_dim=2),
        "diffusion": DiffusionModel(network, schedule=NoiseSchedule(10), seed=0),
    }
    for name in ("autoencoder", "vae"):
        models[name](np.zeros((1, 28, 28, 1), "float32"))  # builds the subclassed model
    paths = {}
    for name, model in models.items():
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return paths


def test_every_model_file_loads_after_import_genai_kit_alone(tmp_path):
    paths = save_one_model_of_each_kind(tmp_path)
    code = "\n".join([
        "import sys, genai_kit, keras",
        "for path in sys.argv[1:]:",
        "    model = keras.saving.load_model(path)",
        "    print(path, type(model).__name__)",
    ])
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    result = subprocess.run([sys.executable, "-c", code, *map(str, paths.values())],
                            capture_output=True, text=True, cwd=tmp_path, env=environment,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert loaded == {
        str(paths["dcgan"]): "DCGAN",
        str(paths["generator"]): "Functional",
        str(paths["discriminator"]): "Functional",
        str(paths["autoencoder"]): "Autoencoder",
        str(paths["vae"]): "VAE",
        str(paths["diffusion"]): "DiffusionModel",
    }


def test_the_fresh_process_uses_this_checkout_of_the_kit():
    # the subprocess above must load the kit under test, not another installed copy
    assert pathlib.Path(genai_kit.__file__).resolve().is_relative_to(REPOSITORY)
    assert keras.saving.get_registered_object("genai_kit>DCGAN") is dcgan.DCGAN
