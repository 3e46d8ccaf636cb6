"""Trained models that ship with the kit: see what a method can do without training first.

    from genai_kit import pretrained
    pretrained.names()                      # ['autoencoder', 'dcgan', ..., 'vae']
    model = pretrained.load("diffusion")    # a diffusion.DiffusionModel
    images = model.sample(16, class_labels=range(10), guidance_scale=3)
    pretrained.record("diffusion")["figures"]   # its measured quality

Each model is a ``.keras`` file in the kit's assets with a JSON record beside it: how it was
trained (the command, the settings, the epochs), its size, and the figures measured on it
with :func:`genai_kit.evaluation.model_report`. ``scripts/build_pretrained.py`` makes both;
assets/README.md describes them.

What ``load`` returns, by name:

- "diffusion": ``diffusion.DiffusionModel``, class-conditional on MNIST (``sample``,
  ``generate``; guidance with ``guidance_scale``);
- "vae": ``models.vae.VAE`` on MNIST (``sample``, ``generate``, ``reconstruct``, ``elbo``);
- "autoencoder": ``models.autoencoder.Autoencoder``, the slides' 784-512-256-128
  (``reconstruct``; ``generate`` decodes random codes, which shows why it is no generator);
- "dcgan": the DCGAN's trained generator at the assignment's widths, 64x64 colour digits,
  seen through the sampling protocol (``sampling.KerasGenerator``: ``generate``,
  ``sample``; the network is ``.model``). The discriminator is not shipped (it only
  matters for training further).
- "text_transformer": ``text.transformer.CharTransformer`` on the World English Bible
  (``generate_text``, ``log_probabilities``; its vocabulary is ``.vocabulary``).
"""
import json

import keras

from genai_kit import config, sampling

FOLDER = "pretrained"
# name -> what the model is, for names() and errors
MODELS = {
    "autoencoder": "the slides' dense autoencoder 784-512-256-128 on MNIST",
    "dcgan": "the assignment's DCGAN generator on the 64x64 colour digits",
    "diffusion": "the class-conditional diffusion model of week 6 on MNIST",
    "text_transformer": "the character Transformer of week 11 on the World English Bible",
    "vae": "the dense VAE with a 16-dimensional latent on MNIST",
}
# the language models among them: they generate text, not images
TEXT_MODELS = ("text_transformer",)
# how a name's network outputs pixels, for those loaded as plain Keras networks
PLAIN_NETWORK_RANGES = {"dcgan": (-1.0, 1.0)}


def names():
    """The names of the shipped models, sorted: what :func:`load` takes."""
    return sorted(MODELS)


def _check_name(name):
    if name not in MODELS:
        known = ", ".join(f"{known!r} ({MODELS[known]})" for known in names())
        raise ValueError(f"unknown pretrained model {name!r}: the kit ships {known}")
    return name


def path(name):
    """The ``.keras`` file of a shipped model (a pathlib.Path)."""
    return config.asset_path(f"{FOLDER}/{_check_name(name)}.keras")


def record(name):
    """The record of a shipped model: a dict with "command", "settings", "trained",
    "size_bytes" and "figures" (see :func:`genai_kit.evaluation.model_report`)."""
    return json.loads(config.asset_path(f"{FOLDER}/{_check_name(name)}.json").read_text())


def load(name):
    """A shipped model, ready for ``generate`` / ``sample``.

    Args:
        name: one of :func:`names`.
    Returns:
        the kit's model (see the module docstring for each name's class).
    Raises:
        ValueError: an unknown name; the message lists the known ones.
    """
    return _load(_check_name(name))


def _load(name):
    import genai_kit.diffusion  # noqa: F401  (registers the classes for load_model)
    import genai_kit.models  # noqa: F401
    import genai_kit.text.lstm  # noqa: F401
    import genai_kit.text.transformer  # noqa: F401

    model = keras.saving.load_model(path(name), compile=False)
    if name in PLAIN_NETWORK_RANGES:
        return sampling.as_generator(model, value_range=PLAIN_NETWORK_RANGES[name])
    return model


def describe(name):
    """One line on a shipped model, for a figure's label: how long it trained, how good it is.

    Args:
        name: one of :func:`names`.
    Returns:
        str, e.g. "shipped vae: 60 epochs (2,160 steps); MNIST-FID 68.8 at n = 500, 68%
        recognised over 9.4 classes".
    """
    record_ = record(name)
    figures, trained = record_["figures"], record_["trained"]
    if "validation_perplexity" in figures:  # a language model
        return (f"shipped {name}: {trained['optimizer_steps']:,} steps "
                f"({trained['characters_seen']:,} characters); validation perplexity "
                f"{figures['validation_perplexity']:.2f} per character "
                f"({figures['validation_bits_per_character']:.2f} bits), trigram "
                f"{figures['trigram_validation_perplexity']:.2f}")
    text = (f"shipped {name}: {trained['epochs']} epochs ({trained['optimizer_steps']:,} steps); "
            f"MNIST-FID {figures['fid']:.1f} at n = {figures['num_samples']}, "
            f"{figures['recognised']:.0%} recognised over {figures['effective_classes']:.1f} "
            "classes")
    if "mse" in figures:
        text += f", held-out MSE {figures['mse']:.4f}"
    if "elbo" in figures:
        text += f", held-out ELBO {figures['elbo']:.1f} nats"
    if "guidance_adherence" in figures:
        text += f", adherence {figures['guidance_adherence']['3']:.2f} at guidance 3"
    return text
