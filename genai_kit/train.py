"""Long training runs that can be watched and resumed: the code behind ``python -m genai_kit train``.

A run writes everything into one output folder:

    runs/bedrooms/
        logs/             TensorBoard: losses and D scores per epoch, sample grids (Images tab)
        samples/          epoch_0000.png, epoch_0001.png, ...: the same noise after every epoch
        backup/           the state to resume from (weights and both optimizers, the epoch)
        dcgan.keras       the latest model (generator, discriminator, optimizers)
        generator.keras   the latest generator alone, for sampling
        history.csv       one row of metrics per epoch, appended across resumed runs

Run the same command again after an interruption (Ctrl-C, a closed laptop, a lost Colab
session with ``--out`` on Drive) and it continues after the last finished epoch, with the
optimizers' state; run it with a larger ``--epochs`` to train a finished run further.

Watch it with ``tensorboard --logdir runs/bedrooms/logs``.

Each trainer registers itself in ``TRAINERS`` (model name -> (add_arguments, run)), so a
new ``train <model>`` command is one more entry.
"""
import inspect
import json
import pathlib
from typing import NamedTuple

import keras

from genai_kit import callbacks, data
from genai_kit.models import dcgan

BACKUP_FOLDER = "backup"


class DCGANCallbacks(NamedTuple):
    """The callbacks of a watched, resumable DCGAN run, by name.

    A tuple, so ``list(run_callbacks)`` is what ``fit(callbacks=...)`` takes, in this order:
    ``backup`` first, so that the others see the restored model.
    """

    backup: keras.callbacks.BackupAndRestore
    tensorboard: keras.callbacks.TensorBoard
    sample_grid: callbacks.SampleGrid
    checkpoint: keras.callbacks.ModelCheckpoint
    generator_checkpoint: keras.callbacks.Callback
    history_log: keras.callbacks.CSVLogger


class DCGANRun(NamedTuple):
    """What :func:`train_dcgan` returns: the trained game, this call's History, its callbacks."""

    gan: dcgan.DCGAN
    history: keras.callbacks.History
    callbacks: DCGANCallbacks


def dcgan_callbacks(out, num_samples=64, seed=0, show=False, include_initial=True):
    """The callbacks of a watched, resumable DCGAN run writing into the folder ``out``.

    Args:
        out: output folder (created).
        num_samples: images in each epoch's sample grid.
        seed: seed of the grid's fixed noise.
        show: also display each grid inline (in a notebook).
        include_initial: draw grid 0 (the untrained generator) before the first epoch.
    Returns:
        :class:`DCGANCallbacks`.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return DCGANCallbacks(
        backup=keras.callbacks.BackupAndRestore(str(out / BACKUP_FOLDER), delete_checkpoint=False),
        tensorboard=keras.callbacks.TensorBoard(log_dir=str(out / "logs")),
        sample_grid=callbacks.SampleGrid(num_samples=num_samples, seed=seed,
                                         directory=out / "samples",
                                         log_dir=out / "logs" / "samples", show=show,
                                         include_initial=include_initial),
        checkpoint=keras.callbacks.ModelCheckpoint(str(out / "dcgan.keras")),
        generator_checkpoint=_SaveGenerator(out / "generator.keras"),
        history_log=keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    )


class _SaveGenerator(keras.callbacks.Callback):
    """Saves the generator alone after every epoch (what sampling and the notebook load)."""

    def __init__(self, path):
        super().__init__()
        self.path = str(path)

    def on_epoch_end(self, epoch, logs=None):
        self.model.generator.save(self.path)


def completed_epochs(out):
    """Epochs a run in ``out`` has finished and can resume after (0 for a new run)."""
    metadata = pathlib.Path(out) / BACKUP_FOLDER / "training_metadata.json"
    if not metadata.is_file():
        return 0
    return int(json.loads(metadata.read_text())["epoch"])


def train_dcgan(
    data_source,
    out,
    generator=None,
    discriminator=None,
    epochs=400,
    batch_size=128,
    learning_rate=dcgan.LEARNING_RATE,
    beta_1=dcgan.BETA_1,
    label_smoothing=0.0,
    instance_noise=0.0,
    steps_per_epoch=None,
    num_samples=64,
    seed=0,
    dtype_policy="auto",
    verbose="auto",
    show=False,
    extra_callbacks=(),
):
    """Trains a DCGAN, resumably, logging into ``out``: the notebook's and the command line's run.

    Its defaults are also the command line's (``add_dcgan_arguments`` reads them here).

    Args:
        data_source: a folder of images, "colour_digits" (offline), a tfds name (see
            ``data.image_dataset``), or a tf.data.Dataset of batches (n, H, W, 3) in [-1, 1].
        out: output folder; if it holds an interrupted run, training resumes from it.
        generator: the generator network, noise (n, latent_dim) -> images (n, H, W, 3) in
            [-1, 1]; default: the assignment's, ``dcgan.build_dcgan_generator()``.
        discriminator: the discriminator network, images -> logits (n, 1); default:
            ``dcgan.build_dcgan_discriminator`` for the generator's image shape.
        epochs: total number of epochs of the run (a resumed run trains the rest).
        batch_size: images per step when ``data_source`` is loaded here (128 or 256 in the
            assignment); a Dataset comes batched already.
        learning_rate, beta_1: Adam's settings, the same for both networks.
        label_smoothing, instance_noise: see ``dcgan.DCGAN``.
        steps_per_epoch: cap on steps per epoch (None: one pass over the data).
        num_samples: images per sample grid.
        seed: seed of the networks built here, the data order and the noise.
        dtype_policy: what the networks built here compute in: "auto" (mixed bfloat16 on a
            CPU with bfloat16 instructions, else float32), "float32" or "mixed_bfloat16".
        verbose: Keras' progress bar setting ("auto", 0, 1, 2).
        show: display the sample grids inline (notebooks).
        extra_callbacks: more callbacks, run after the kit's (e.g. GenerativeMetrics).
    Returns:
        :class:`DCGANRun` (gan, history, callbacks): the trained ``dcgan.DCGAN``, the Keras
        History of this call, and the run's :class:`DCGANCallbacks` by name (e.g.
        ``run.callbacks.sample_grid.plot_evolution()``).
    """
    if isinstance(data_source, str):
        image_size = dcgan.IMAGE_SIZE if generator is None else generator.output_shape[1]
        dataset = data.image_dataset(data_source, image_size=image_size, batch_size=batch_size,
                                     seed=seed)
    else:
        dataset = data_source
    if steps_per_epoch is not None:
        # epochs of a fixed number of steps draw from one endless stream of shuffled passes
        dataset = dataset.repeat()
    keras.utils.set_random_seed(seed)
    if generator is None:
        generator = dcgan.build_dcgan_generator(dtype_policy=dtype_policy)
    if discriminator is None:
        discriminator = dcgan.build_dcgan_discriminator(
            tuple(generator.output_shape[1:]), dtype_policy=dtype_policy)
    gan = dcgan.DCGAN(generator, discriminator, seed=seed, label_smoothing=label_smoothing,
                      instance_noise=instance_noise)
    gan.compile(
        generator_optimizer=dcgan.default_optimizer(learning_rate, beta_1),
        discriminator_optimizer=dcgan.default_optimizer(learning_rate, beta_1),
    )
    finished = completed_epochs(out)
    if finished:
        print(f"resuming the run in {out} after epoch {finished} of {epochs}")
    run_callbacks = dcgan_callbacks(out, num_samples=num_samples, seed=seed, show=show,
                                    include_initial=finished == 0)
    # the data set shuffles itself; fit(shuffle=...) only applies to arrays
    history = gan.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch,
                      callbacks=[*run_callbacks, *extra_callbacks], verbose=verbose,
                      shuffle=False)
    return DCGANRun(gan, history, run_callbacks)


# train_dcgan's defaults, the one source of the command line's
_DCGAN_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(train_dcgan).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}


def add_dcgan_arguments(parser):
    """The options of ``python -m genai_kit train dcgan``: train_dcgan's, with its defaults."""
    defaults = _DCGAN_DEFAULTS
    parser.add_argument("--data", dest="data_source", metavar="DATA", required=True,
                        help='a folder of images (searched recursively), "colour_digits" '
                             f"(offline), or a tfds name: {', '.join(data.TFDS_IMAGE_DATASETS)}")
    parser.add_argument("--out", required=True,
                        help="output folder; an interrupted run in it is resumed")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"],
                        help=f"total epochs (default {defaults['epochs']})")
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"],
                        help=f"default {defaults['batch_size']}")
    parser.add_argument("--learning-rate", type=float, default=defaults["learning_rate"],
                        help="Adam learning rate of both networks "
                             f"(default {defaults['learning_rate']})")
    parser.add_argument("--beta-1", type=float, default=defaults["beta_1"],
                        help=f"Adam beta_1 of both networks (default {defaults['beta_1']})")
    parser.add_argument("--label-smoothing", type=float, default=defaults["label_smoothing"],
                        help="one-sided: real images' target is 1 - this (e.g. 0.1)")
    parser.add_argument("--instance-noise", type=float, default=defaults["instance_noise"],
                        help="std of Gaussian noise added to the discriminator's inputs")
    parser.add_argument("--steps-per-epoch", type=int, default=defaults["steps_per_epoch"],
                        help="cap on steps per epoch (default: the whole data set)")
    parser.add_argument("--num-samples", type=int, default=defaults["num_samples"],
                        help=f"images per sample grid (default {defaults['num_samples']})")
    parser.add_argument("--precision", dest="dtype_policy",
                        choices=("auto", "float32", "mixed_bfloat16"),
                        default=defaults["dtype_policy"],
                        help="what the networks compute in; auto (default): mixed_bfloat16 "
                             "(bfloat16 activations, float32 weights and losses) on a CPU with "
                             "bfloat16 instructions, which trains faster there, else float32")
    parser.add_argument("--seed", type=int, default=defaults["seed"])


def run_dcgan(arguments):
    """Runs ``train dcgan`` from parsed arguments: train_dcgan with the options given."""
    print(f"networks compute in {dcgan.resolve_dtype_policy(arguments.dtype_policy)}")
    options = {name: value for name, value in vars(arguments).items()
               if name in inspect.signature(train_dcgan).parameters}
    train_dcgan(**options)
    print(f"done: samples in {pathlib.Path(arguments.out) / 'samples'}, "
          f"TensorBoard: tensorboard --logdir {pathlib.Path(arguments.out) / 'logs'}")


# model name -> (add its options to an argparse parser, run it from the parsed arguments)
TRAINERS = {
    "dcgan": (add_dcgan_arguments, run_dcgan),
}
