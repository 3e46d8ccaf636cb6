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
import json
import pathlib

import keras

from genai_kit import callbacks, data
from genai_kit.models import dcgan

BACKUP_FOLDER = "backup"


def dcgan_callbacks(out, num_samples=64, seed=0, show=False, include_initial=True):
    """The callbacks of a watched, resumable DCGAN run writing into the folder ``out``.

    Args:
        out: output folder (created).
        num_samples: images in each epoch's sample grid.
        seed: seed of the grid's fixed noise.
        show: also display each grid inline (in a notebook).
        include_initial: draw grid 0 (the untrained generator) before the first epoch.
    Returns:
        list of keras callbacks; ``BackupAndRestore`` first, so that the others see the
        restored model.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [
        keras.callbacks.BackupAndRestore(str(out / BACKUP_FOLDER), delete_checkpoint=False),
        keras.callbacks.TensorBoard(log_dir=str(out / "logs")),
        callbacks.SampleGrid(num_samples=num_samples, seed=seed, directory=out / "samples",
                             log_dir=out / "logs" / "samples", show=show,
                             include_initial=include_initial),
        keras.callbacks.ModelCheckpoint(str(out / "dcgan.keras")),
        _SaveGenerator(out / "generator.keras"),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    ]


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
    epochs=400,
    batch_size=128,
    image_size=64,
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
    """Trains the assignment's DCGAN, resumably, logging into ``out``.

    Args:
        data_source: a folder of images, "colour_digits" (offline), a tfds name (see
            ``data.image_dataset``), or a tf.data.Dataset of batches (n, 64, 64, 3) in [-1, 1].
        out: output folder; if it holds an interrupted run, training resumes from it.
        epochs: total number of epochs of the run (a resumed run trains the rest).
        batch_size: images per step (128 or 256 in the assignment).
        image_size: side of the images; 64 for the assignment's architecture.
        learning_rate, beta_1: Adam's settings, the same for both networks.
        label_smoothing, instance_noise: see ``dcgan.DCGAN``.
        steps_per_epoch: cap on steps per epoch (None: one pass over the data).
        num_samples: images per sample grid.
        seed: seed of the networks' initial weights, the data order and the noise.
        dtype_policy: what the networks compute in: "auto" (mixed bfloat16 on a CPU with
            bfloat16 instructions, else float32), "float32" or "mixed_bfloat16".
        verbose: Keras' progress bar setting ("auto", 0, 1, 2).
        show: display the sample grids inline (notebooks).
        extra_callbacks: more callbacks, run after the kit's (e.g. GenerativeMetrics).
    Returns:
        (gan, history): the trained ``dcgan.DCGAN`` and the Keras History of this call.
    """
    if image_size != 64:
        raise ValueError(
            f"the assignment's DCGAN makes 64x64 images, got image_size={image_size}: build "
            "other sizes with dcgan.build_dcgan_generator(filters=...) in Python"
        )
    if isinstance(data_source, str):
        dataset = data.image_dataset(data_source, image_size=image_size, batch_size=batch_size,
                                     seed=seed)
    else:
        dataset = data_source
    if steps_per_epoch is not None:
        # epochs of a fixed number of steps draw from one endless stream of shuffled passes
        dataset = dataset.repeat()
    keras.utils.set_random_seed(seed)
    gan = dcgan.DCGAN(
        dcgan.build_dcgan_generator(dtype_policy=dtype_policy),
        dcgan.build_dcgan_discriminator(dtype_policy=dtype_policy),
        seed=seed, label_smoothing=label_smoothing, instance_noise=instance_noise,
    )
    gan.compile(
        generator_optimizer=dcgan.default_optimizer(learning_rate, beta_1),
        discriminator_optimizer=dcgan.default_optimizer(learning_rate, beta_1),
    )
    finished = completed_epochs(out)
    if finished:
        print(f"resuming the run in {out} after epoch {finished} of {epochs}")
    run_callbacks = dcgan_callbacks(out, num_samples=num_samples, seed=seed, show=show,
                                    include_initial=finished == 0)
    run_callbacks.extend(extra_callbacks)
    # the data set shuffles itself; fit(shuffle=...) only applies to arrays
    history = gan.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch,
                      callbacks=run_callbacks, verbose=verbose, shuffle=False)
    return gan, history


def add_dcgan_arguments(parser):
    """The options of ``python -m genai_kit train dcgan``."""
    parser.add_argument("--data", required=True,
                        help='a folder of images (searched recursively), "colour_digits" '
                             f"(offline), or a tfds name: {', '.join(data.TFDS_IMAGE_DATASETS)}")
    parser.add_argument("--out", required=True,
                        help="output folder; an interrupted run in it is resumed")
    parser.add_argument("--epochs", type=int, default=400, help="total epochs (default 400)")
    parser.add_argument("--batch-size", type=int, default=128, help="default 128")
    parser.add_argument("--learning-rate", type=float, default=dcgan.LEARNING_RATE,
                        help=f"Adam learning rate of both networks (default {dcgan.LEARNING_RATE})")
    parser.add_argument("--beta-1", type=float, default=dcgan.BETA_1,
                        help=f"Adam beta_1 of both networks (default {dcgan.BETA_1})")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="one-sided: real images' target is 1 - this (e.g. 0.1)")
    parser.add_argument("--instance-noise", type=float, default=0.0,
                        help="std of Gaussian noise added to the discriminator's inputs")
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="cap on steps per epoch (default: the whole data set)")
    parser.add_argument("--num-samples", type=int, default=64, help="images per sample grid")
    parser.add_argument("--precision", choices=("auto", "float32", "mixed_bfloat16"),
                        default="auto",
                        help="what the networks compute in; auto (default): mixed_bfloat16 "
                             "(bfloat16 activations, float32 weights and losses) on a CPU with "
                             "bfloat16 instructions, which trains faster there, else float32")
    parser.add_argument("--seed", type=int, default=0)


def run_dcgan(arguments):
    """Runs ``train dcgan`` from parsed arguments."""
    print(f"networks compute in {dcgan.resolve_dtype_policy(arguments.precision)}")
    train_dcgan(
        arguments.data, arguments.out, epochs=arguments.epochs,
        batch_size=arguments.batch_size, learning_rate=arguments.learning_rate,
        beta_1=arguments.beta_1, label_smoothing=arguments.label_smoothing,
        instance_noise=arguments.instance_noise, steps_per_epoch=arguments.steps_per_epoch,
        num_samples=arguments.num_samples, seed=arguments.seed,
        dtype_policy=arguments.precision,
    )
    print(f"done: samples in {pathlib.Path(arguments.out) / 'samples'}, "
          f"TensorBoard: tensorboard --logdir {pathlib.Path(arguments.out) / 'logs'}")


# model name -> (add its options to an argparse parser, run it from the parsed arguments)
TRAINERS = {
    "dcgan": (add_dcgan_arguments, run_dcgan),
}
