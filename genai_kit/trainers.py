"""``python -m genai_kit train autoencoder | vae | diffusion``: the MNIST models' resumable runs.

Each trainer is one function (``train_autoencoder``, ``train_vae``, ``train_diffusion``) whose
defaults are also its command line's, and runs through :func:`genai_kit.train.fit_run`, so a
run is watched and resumed exactly as a DCGAN run is (see :mod:`genai_kit.train`)::

    python -m genai_kit train diffusion --epochs 30 --out runs/diffusion
    python -m genai_kit train vae --latent-dim 16 --out runs/vae
    python -m genai_kit train autoencoder --epochs 20 --out runs/autoencoder

``--distribute mirrored`` trains on every local GPU (or, without one, on every logical CPU)
with ``tf.distribute.MirroredStrategy``; the steps give the result of one device.
"""
import dataclasses
import inspect
import pathlib

import keras
import tensorflow as tf

from genai_kit import checks, data, precision, train
from genai_kit.diffusion import settings as diffusion_settings
from genai_kit.models import autoencoder, vae

# --data of the MNIST models: what load_mnist's source is
MNIST_SOURCES = {"mnist": "auto", "bundled_mnist": "bundled", "tfds_mnist": "tfds"}


def mnist_batches(data_source, batch_size, seed, with_labels=False, num_examples=None):
    """Shuffled training batches for ``data_source`` ("mnist", "bundled_mnist", "tfds_mnist"),
    or ``data_source`` itself when it is a tf.data.Dataset of batches."""
    if isinstance(data_source, tf.data.Dataset):
        return data_source
    checks.choice("data", data_source, tuple(MNIST_SOURCES))
    return data.mnist_dataset("train", batch_size=batch_size, source=MNIST_SOURCES[data_source],
                              with_labels=with_labels, seed=seed, num_examples=num_examples)


def _check_common(out, epochs, batch_size, steps_per_epoch, num_samples):
    train.check_output_folder(out)
    for name, value in (("epochs", epochs), ("batch_size", batch_size),
                        ("num_samples", num_samples)):
        checks.integer(name, value, minimum=1)
    if steps_per_epoch is not None:
        checks.integer("steps_per_epoch", steps_per_epoch, minimum=1,
                       hint=", or None for one pass over the data")
    train.check_resumable(out)


def _run(model_name, build, dataset, out, epochs, steps_per_epoch, num_samples, seed,
         distribute, verbose, show, extra_callbacks):
    """Builds the model under the strategy and trains it: the part every trainer shares."""
    dataset = train.epoch_batches(dataset, steps_per_epoch)
    keras.utils.set_random_seed(seed)
    with train.distribution_strategy(distribute).scope():
        model = build()
    run_callbacks = train.run_callbacks(out, train.MODEL_FILES[model_name],
                                        num_samples=num_samples, seed=seed, show=show,
                                        include_initial=train.completed_epochs(out) == 0)
    history = train.fit_run(model, dataset, out, run_callbacks, epochs, steps_per_epoch,
                            verbose, extra_callbacks)
    return train.ModelRun(model, history, run_callbacks)


def train_autoencoder(out, data_source="mnist", epochs=20, batch_size=128,
                      learning_rate=autoencoder.LEARNING_RATE, latent_dim=autoencoder.LATENT_DIM,
                      architecture="dense", noise_stddev=0.0, steps_per_epoch=None,
                      num_samples=64, seed=0, distribute="none", verbose="auto", show=False,
                      extra_callbacks=()):
    """Trains the slides' autoencoder (784-512-256-128 by default) on MNIST, resumably.

    Args:
        out: output folder; an interrupted run in it is resumed (see :mod:`genai_kit.train`).
        data_source: "mnist" (full MNIST when it is on disk or the network answers, else the
            bundled 4,500 digits), "bundled_mnist", "tfds_mnist", or a tf.data.Dataset of
            image batches (n, 28, 28, 1) in [0, 1].
        epochs: total epochs of the run, >= 1.
        batch_size: images per step, >= 1.
        learning_rate: Adam's step size, > 0.
        latent_dim: size of the code, >= 1.
        architecture: "dense" or "conv" (see ``autoencoder.Autoencoder``).
        noise_stddev: >= 0; > 0 trains a denoising autoencoder.
        steps_per_epoch: steps per epoch from the data repeated (None: one pass).
        num_samples: images per sample grid.
        seed: seed of the weights, the data order and the noise.
        distribute: "none" or "mirrored" (see :func:`genai_kit.train.distribution_strategy`).
        verbose, show, extra_callbacks: as :func:`genai_kit.train.train_dcgan`.
    Returns:
        :class:`genai_kit.train.ModelRun` (model, history, callbacks).
    """
    _check_common(out, epochs, batch_size, steps_per_epoch, num_samples)
    checks.number("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    dataset = mnist_batches(data_source, batch_size, seed)

    def build():
        model = autoencoder.Autoencoder(latent_dim=latent_dim, architecture=architecture,
                                        noise_stddev=noise_stddev, seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
        return model

    return _run("autoencoder", build, dataset, out, epochs, steps_per_epoch, num_samples, seed,
                distribute, verbose, show, extra_callbacks)


def train_vae(out, data_source="mnist", epochs=30, batch_size=128,
              learning_rate=vae.LEARNING_RATE, latent_dim=vae.LATENT_DIM, beta=vae.BETA,
              architecture="dense", steps_per_epoch=None, num_samples=64, seed=0,
              distribute="none", verbose="auto", show=False, extra_callbacks=()):
    """Trains the VAE on MNIST, resumably.

    Args: as :func:`train_autoencoder`, plus
        beta: weight of the KL term, >= 0 (1: the VAE's ELBO).
    Returns:
        :class:`genai_kit.train.ModelRun`.
    """
    _check_common(out, epochs, batch_size, steps_per_epoch, num_samples)
    checks.number("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    dataset = mnist_batches(data_source, batch_size, seed)

    def build():
        model = vae.VAE(latent_dim=latent_dim, beta=beta, architecture=architecture, seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate))
        return model

    return _run("vae", build, dataset, out, epochs, steps_per_epoch, num_samples, seed,
                distribute, verbose, show, extra_callbacks)


def train_diffusion(out, data_source="mnist", settings=None, steps_per_epoch=None,
                    num_samples=64, seed=0, dtype_policy="auto", distribute="none",
                    verbose="auto", show=False, extra_callbacks=()):
    """Trains the (class-conditional) MNIST diffusion model of notebook 06, resumably.

    Args:
        out: output folder; an interrupted run in it is resumed (see :mod:`genai_kit.train`).
        data_source: as :func:`train_autoencoder`; a Dataset must yield (images, labels)
            for a conditional model.
        settings: a ``diffusion.settings.Settings`` (architecture, schedule, epochs, batch
            size, learning rate, ...); default: ``diffusion.settings.FULL``.
        steps_per_epoch, num_samples, seed, distribute, verbose, show, extra_callbacks: as
            :func:`train_autoencoder`.
        dtype_policy: "auto" (mixed bfloat16 on a CPU with bfloat16 instructions, else
            float32), "float32" or "mixed_bfloat16"; the predicted noise is float32 always.
    Returns:
        :class:`genai_kit.train.ModelRun`.
    """
    settings = diffusion_settings.FULL if settings is None else settings
    _check_common(out, settings.epochs, settings.batch_size, steps_per_epoch, num_samples)
    precision.resolve_dtype_policy(dtype_policy)  # refuses an unknown policy now
    dataset = mnist_batches(data_source, settings.batch_size, seed,
                            with_labels=settings.num_classes is not None,
                            num_examples=settings.num_examples)

    def build():
        with precision.policy_scope(dtype_policy):
            return diffusion_settings.build_model(settings, seed=seed)

    return _run("diffusion", build, dataset, out, settings.epochs, steps_per_epoch,
                num_samples, seed, distribute, verbose, show, extra_callbacks)


# ------------------------------------------------------------------ command line
def _defaults(function):
    return {name: parameter.default
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.default is not inspect.Parameter.empty}


def _add_run_arguments(parser, defaults, precision_option=False):
    """The options every MNIST trainer has: --data, --out, --steps-per-epoch, ..."""
    parser.add_argument("--data", dest="data_source", default=defaults["data_source"],
                        choices=tuple(MNIST_SOURCES),
                        help="mnist (default): full MNIST when it is on disk or the network "
                             "answers, else the bundled 4,500 real digits; bundled_mnist: "
                             "always the bundled digits; tfds_mnist: always full MNIST")
    parser.add_argument("--out", required=True,
                        help="output folder; an interrupted run in it is resumed after its "
                             "last finished epoch, with the weights and the optimizer state")
    parser.add_argument("--steps-per-epoch", type=int, default=defaults["steps_per_epoch"],
                        help="steps per epoch, >= 1, from the data repeated without end "
                             "(default: one pass over the data)")
    parser.add_argument("--num-samples", type=int, default=defaults["num_samples"],
                        help=f"images per sample grid (default {defaults['num_samples']})")
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument("--distribute", choices=train.DISTRIBUTE_CHOICES,
                        default=defaults["distribute"],
                        help="mirrored: train on every local GPU (or every logical CPU) "
                             "with tf.distribute.MirroredStrategy")
    if precision_option:
        parser.add_argument("--precision", dest="dtype_policy",
                            choices=("auto", "float32", "mixed_bfloat16"),
                            default=defaults["dtype_policy"],
                            help="auto (default): mixed_bfloat16 on a CPU with bfloat16 "
                                 "instructions, else float32")


def _add_encoder_decoder_arguments(parser, defaults):
    parser.add_argument("--epochs", type=int, default=defaults["epochs"],
                        help=f"total epochs, >= 1 (default {defaults['epochs']})")
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"],
                        help=f"default {defaults['batch_size']}")
    parser.add_argument("--learning-rate", type=float, default=defaults["learning_rate"],
                        help=f"Adam's step size (default {defaults['learning_rate']:g})")
    parser.add_argument("--latent-dim", type=int, default=defaults["latent_dim"],
                        help=f"size of the code (default {defaults['latent_dim']})")
    parser.add_argument("--architecture", choices=("dense", "conv"),
                        default=defaults["architecture"])


def add_autoencoder_arguments(parser):
    """The options of ``train autoencoder``: train_autoencoder's, with its defaults."""
    defaults = _defaults(train_autoencoder)
    _add_encoder_decoder_arguments(parser, defaults)
    parser.add_argument("--noise-stddev", type=float, default=defaults["noise_stddev"],
                        help="> 0 trains a denoising autoencoder (e.g. 0.3)")
    _add_run_arguments(parser, defaults)


def add_vae_arguments(parser):
    """The options of ``train vae``: train_vae's, with its defaults."""
    defaults = _defaults(train_vae)
    _add_encoder_decoder_arguments(parser, defaults)
    parser.add_argument("--beta", type=float, default=defaults["beta"],
                        help=f"weight of the KL term (default {defaults['beta']:g})")
    _add_run_arguments(parser, defaults)


def _tuple_of_ints(text):
    return tuple(int(part) for part in text.split(","))


# the diffusion Settings fields that are options, with how argparse reads them
_DIFFUSION_OPTIONS = {
    "epochs": int, "batch_size": int, "learning_rate": float, "num_examples": int,
    "widths": _tuple_of_ints, "num_timesteps": int, "beta_start": float, "beta_end": float,
    "class_dropout": float, "ema_decay": float, "sampler": str, "sampling_steps": int,
    "eta": float,
}


def add_diffusion_arguments(parser):
    """The options of ``train diffusion``: the fields of diffusion.settings.FULL, and the run's."""
    full = diffusion_settings.FULL
    for name, read in _DIFFUSION_OPTIONS.items():
        default = getattr(full, name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        parser.add_argument(f"--{name.replace('_', '-')}", type=read, default=default,
                            help=f"default {shown}")
    parser.add_argument("--unconditional", action="store_true",
                        help="train without class labels (no guidance)")
    _add_run_arguments(parser, _defaults(train_diffusion), precision_option=True)


def _options(arguments, function):
    names = inspect.signature(function).parameters
    return {name: value for name, value in vars(arguments).items() if name in names}


def _done(out):
    out = pathlib.Path(out)
    print(f"done: samples in {out / 'samples'}, TensorBoard: tensorboard --logdir {out / 'logs'}")


def run_autoencoder(arguments):
    train_autoencoder(**_options(arguments, train_autoencoder))
    _done(arguments.out)


def run_vae(arguments):
    train_vae(**_options(arguments, train_vae))
    _done(arguments.out)


def run_diffusion(arguments):
    settings = dataclasses.replace(
        diffusion_settings.FULL,
        num_classes=None if arguments.unconditional else diffusion_settings.FULL.num_classes,
        **{name: getattr(arguments, name) for name in _DIFFUSION_OPTIONS})
    print(f"the network computes in {precision.resolve_dtype_policy(arguments.dtype_policy)}")
    train_diffusion(settings=settings, **_options(arguments, train_diffusion))
    _done(arguments.out)


# model name -> (add its options to an argparse parser, run it from the parsed arguments)
TRAINERS = {
    **train.TRAINERS,
    "autoencoder": (add_autoencoder_arguments, run_autoencoder),
    "vae": (add_vae_arguments, run_vae),
    "diffusion": (add_diffusion_arguments, run_diffusion),
}
