"""Long training runs that can be watched and resumed: the code behind ``python -m genai_kit train``.

Every model of the kit trains the same way (``train dcgan``, ``train autoencoder``,
``train vae``, ``train diffusion``). A run writes everything into one output folder:

    runs/bedrooms/
        logs/             TensorBoard: losses (and D scores) per epoch, sample grids (Images tab)
        samples/          epoch_0000.png, epoch_0001.png, ...: the same noise after every epoch
        backup/           the state to resume from (weights, optimizer state, the epoch)
        backup.previous/  the state one epoch earlier, used when backup/ cannot be read
        dcgan.keras       the latest model with its optimizers (autoencoder.keras, vae.keras,
                          diffusion.keras for the other models): what ``sample`` and
                          ``evaluate`` load
        generator.keras   (DCGAN only) the latest generator alone
        history.csv       one row of metrics per epoch, appended across resumed runs

Run the same command again after an interruption (Ctrl-C, a closed laptop, a lost Colab
session with ``--out`` on Drive) and it continues after the last finished epoch, with the
optimizers' state; run it with a larger ``--epochs`` to train a finished run further.

An epoch counts as finished only once all of its files are written: the backup is written
last, after the sample grid, both ``.keras`` files and the ``history.csv`` row, and each
file is written to a temporary name and renamed, so an interruption leaves the old file or
the new one, never half of one. An epoch interrupted at any point is trained again.

Watch it with ``tensorboard --logdir runs/bedrooms/logs``.

Each trainer registers itself in ``TRAINERS`` (model name -> (add_arguments, run)), so a
new ``train <model>`` command is one more entry; :func:`train_model` is the loop they share.
"""
import csv
import inspect
import json
import math
import numbers
import os
import pathlib
import shutil
import tempfile
from typing import NamedTuple

import h5py
import keras
import tensorflow as tf

from genai_kit import callbacks, checks, data, precision
from genai_kit.models import dcgan

BACKUP_FOLDER = "backup"
# the state before the latest one, and the one being written; see RunBackup
PREVIOUS_BACKUP_FOLDER = "backup.previous"
INCOMING_BACKUP_FOLDER = "backup.incoming"
# what a run writes into its output folder: folders, then files
RUN_FOLDERS = ("logs", "samples", BACKUP_FOLDER)
# the model file of each trainer, what ``sample`` and ``evaluate`` load
MODEL_FILES = {"dcgan": "dcgan.keras", "autoencoder": "autoencoder.keras", "vae": "vae.keras",
               "diffusion": "diffusion.keras"}
RUN_FILES = (*MODEL_FILES.values(), "generator.keras", "history.csv")


class DCGANCallbacks(NamedTuple):
    """The callbacks of a watched, resumable DCGAN run, by name.

    A tuple, so ``list(run_callbacks)`` is what ``fit(callbacks=...)`` takes, in this order:
    ``backup`` first, so that the others see the restored model, and ``epoch_finished``
    last, so that the backup is written only after every other file of the epoch (put
    callbacks of your own before it).
    """

    backup: keras.callbacks.BackupAndRestore
    tensorboard: keras.callbacks.TensorBoard
    sample_grid: callbacks.SampleGrid
    checkpoint: keras.callbacks.Callback
    generator_checkpoint: keras.callbacks.Callback
    history_log: keras.callbacks.CSVLogger
    epoch_finished: keras.callbacks.Callback


class DCGANRun(NamedTuple):
    """What :func:`train_dcgan` returns: the trained game, this call's History, its callbacks."""

    gan: dcgan.DCGAN
    history: keras.callbacks.History
    callbacks: DCGANCallbacks


class RunCallbacks(NamedTuple):
    """The callbacks of a watched, resumable run of any of the kit's models, by name.

    ``list(run_callbacks)`` is what ``fit(callbacks=...)`` takes, in this order (see
    :class:`DCGANCallbacks`, the DCGAN's version with its generator file).
    """

    backup: keras.callbacks.BackupAndRestore
    tensorboard: keras.callbacks.TensorBoard
    sample_grid: callbacks.SampleGrid
    checkpoint: keras.callbacks.Callback
    history_log: keras.callbacks.CSVLogger
    epoch_finished: keras.callbacks.Callback


class ModelRun(NamedTuple):
    """What :func:`train_model` returns: the trained model, this call's History, its callbacks."""

    model: keras.Model
    history: keras.callbacks.History
    callbacks: RunCallbacks


def run_callbacks(out, model_file, num_samples=64, seed=0, show=False, include_initial=True):
    """The callbacks of a watched, resumable run writing into the folder ``out``.

    Args:
        out: output folder (created).
        model_file: name of the model's ``.keras`` file in ``out``, e.g. "vae.keras".
        num_samples: images in each epoch's sample grid.
        seed: seed of the grid's fixed noise.
        show: also display each grid inline (in a notebook).
        include_initial: draw grid 0 (the untrained model) before the first epoch.
    Returns:
        :class:`RunCallbacks`.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    backup = RunBackup(out)
    return RunCallbacks(
        backup=backup,
        tensorboard=keras.callbacks.TensorBoard(log_dir=str(out / "logs")),
        sample_grid=callbacks.SampleGrid(num_samples=num_samples, seed=seed,
                                         directory=out / "samples",
                                         log_dir=out / "logs" / "samples", show=show,
                                         include_initial=include_initial),
        checkpoint=SaveModel(out / model_file),
        history_log=keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        epoch_finished=EpochFinished(backup),
    )


def dcgan_callbacks(out, num_samples=64, seed=0, show=False, include_initial=True):
    """The callbacks of a watched, resumable DCGAN run writing into the folder ``out``.

    Args: as :func:`run_callbacks`, whose callbacks it has, plus the generator's own file.
    Returns:
        :class:`DCGANCallbacks`.
    """
    common = run_callbacks(out, MODEL_FILES["dcgan"], num_samples=num_samples, seed=seed,
                           show=show, include_initial=include_initial)
    return DCGANCallbacks(
        backup=common.backup, tensorboard=common.tensorboard, sample_grid=common.sample_grid,
        checkpoint=common.checkpoint,
        generator_checkpoint=SaveModel(pathlib.Path(out) / "generator.keras", part="generator"),
        history_log=common.history_log, epoch_finished=common.epoch_finished)


def fit_run(model, dataset, out, run_callbacks, epochs, steps_per_epoch=None, verbose="auto",
            extra_callbacks=()):
    """``model.fit`` with a run's callbacks, the backup written after every other file.

    Args:
        model: a compiled model of the kit.
        dataset: a tf.data.Dataset of training batches (repeated when ``steps_per_epoch``).
        out: the run's output folder.
        run_callbacks: :class:`RunCallbacks` or :class:`DCGANCallbacks` for ``out``.
        epochs, steps_per_epoch, verbose: as ``keras.Model.fit``.
        extra_callbacks: more callbacks, run after the kit's and before the backup.
    Returns:
        the Keras History of this call.
    """
    finished = completed_epochs(out)
    if finished:
        print(f"resuming the run in {out} after epoch {finished} of {epochs}")
    *watching, epoch_finished = run_callbacks
    # the data set shuffles itself; fit(shuffle=...) only applies to arrays
    return model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch,
                     callbacks=[*watching, *extra_callbacks, epoch_finished], verbose=verbose,
                     shuffle=False)


class SaveModel(keras.callbacks.Callback):
    """Saves the model being trained, or one of its parts, after every epoch, atomically.

    The file is written under a temporary name and then renamed, so an interruption leaves
    the previous epoch's file or this one's, never a file cut short.

    Args:
        path: the ``.keras`` file.
        part: None saves the model itself; "generator" saves ``model.generator`` (what
            sampling and the notebook load).
    """

    def __init__(self, path, part=None):
        super().__init__()
        self.path = pathlib.Path(path)
        self.part = part

    def on_epoch_end(self, epoch, logs=None):
        model = self.model if self.part is None else getattr(self.model, self.part)
        # Keras wants the .keras suffix on the temporary name too
        temporary = self.path.with_name(f".{self.path.stem}.incoming.keras")
        model.save(temporary)
        os.replace(temporary, self.path)


class EpochFinished(keras.callbacks.Callback):
    """The last callback of a run: writes the backup once the epoch's other files are written.

    Until it has run, the epoch does not count as finished, and resuming trains it again.
    """

    def __init__(self, backup):
        super().__init__()
        self.backup = backup

    def on_epoch_end(self, epoch, logs=None):
        self.backup.write(epoch, logs)


class RunBackup(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore for a run folder, with two states and the backup written last.

    - Restores at the start of ``fit`` as Keras does, from ``out/backup``. If that state
      cannot be read (a file cut short by a full disk or a killed sync), it says so and
      falls back to ``out/backup.previous``, the state one epoch earlier.
    - Writes nothing at the end of an epoch by itself: :class:`EpochFinished`, the last
      callback, calls :meth:`write` once the epoch's other files are written.
    - Writes a state as a whole folder: Keras' own BackupAndRestore writes it into
      ``out/backup.incoming``, which then replaces ``out/backup`` by renames, the old state
      becoming ``out/backup.previous``. A state folder is complete or absent.
    - Puts the run folder back to the restored epoch: ``history.csv`` rows of epochs that
      are trained again are dropped (so rows are 0, 1, 2, ... once each).
    - A learning rate given now that differs from the backup's is applied, with a message:
      the backup stores the optimizers' learning rate, and would silently win otherwise.

    (Keras 3.7 added ``BackupAndRestore(double_checkpoint=True)``; the kit supports Keras
    3.5, and that option copies files in place and falls back without saying so.)

    Args:
        out: the run's output folder.
    """

    def __init__(self, out):
        self.out = pathlib.Path(out)
        super().__init__(str(self.out / BACKUP_FOLDER), delete_checkpoint=False)

    def on_train_begin(self, logs=None):
        folder, epoch, problem = usable_backup(self.out)
        if folder is not None and folder.name == PREVIOUS_BACKUP_FOLDER:
            print(f"the backup in {self.out / BACKUP_FOLDER} cannot be read "
                  f"({problem or 'it is missing'}): "
                  f"resuming from the previous one, after epoch {epoch}")
            shutil.rmtree(self.out / BACKUP_FOLDER, ignore_errors=True)
            os.replace(folder, self.out / BACKUP_FOLDER)
        elif folder is None and problem is not None:
            raise _unreadable_backup(self.out, problem)
        shutil.rmtree(self.out / INCOMING_BACKUP_FOLDER, ignore_errors=True)
        requested = [_learning_rate(optimizer) for optimizer in _optimizers(self.model)]
        super().on_train_begin(logs)
        for optimizer, learning_rate in zip(_optimizers(self.model), requested):
            saved = _learning_rate(optimizer)
            # a schedule's rate follows the restored step count: nothing to put back
            if saved != learning_rate and not _has_schedule(optimizer):
                optimizer.learning_rate = learning_rate
                print(f"learning rate {learning_rate:g} from now on (the run had {saved:g})")
        _keep_history_before(self.out / "history.csv", epoch)

    def on_epoch_end(self, epoch, logs=None):
        pass  # EpochFinished calls write() after the epoch's other files are written

    def write(self, epoch, logs=None):
        """Writes the state after ``epoch`` (0-based): the epoch counts as finished."""
        incoming = self.out / INCOMING_BACKUP_FOLDER
        shutil.rmtree(incoming, ignore_errors=True)
        writer = keras.callbacks.BackupAndRestore(str(incoming), delete_checkpoint=False)
        writer.set_model(self.model)
        writer.on_epoch_end(epoch, logs)
        latest, previous = self.out / BACKUP_FOLDER, self.out / PREVIOUS_BACKUP_FOLDER
        if latest.exists():
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(latest, previous)
        os.replace(incoming, latest)


def _optimizers(model):
    """The optimizers of a model: a DCGAN's two, or the one of a plain model."""
    found = [getattr(model, name, None) for name in ("generator_optimizer", "discriminator_optimizer")]
    found = [optimizer for optimizer in found if optimizer is not None]
    return found or [optimizer for optimizer in [model.optimizer] if optimizer is not None]


def _has_schedule(optimizer):
    """True when the optimizer's learning rate is a LearningRateSchedule (serialised as a dict)."""
    return isinstance(optimizer.get_config().get("learning_rate"), dict)


def _learning_rate(optimizer):
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def _read_backup(folder):
    """The epoch a backup folder resumes after; raises OSError/ValueError if it is unreadable."""
    metadata = json.loads((folder / "training_metadata.json").read_text())
    epoch = int(metadata["epoch"])
    weights = folder / "latest.weights.h5"
    if not weights.is_file():
        raise FileNotFoundError(f"{weights.name} is missing")
    with h5py.File(weights, "r"):  # a file cut short fails here ("truncated file")
        pass
    return epoch


def usable_backup(out):
    """The backup a run in ``out`` resumes from: the latest readable one.

    Returns:
        (folder, epoch, problem): the backup folder (None for a new run), the epochs it has
        finished (0 for a new run), and why the latest backup cannot be read (None if it can).
    """
    out = pathlib.Path(out)
    problem = None
    for name in (BACKUP_FOLDER, PREVIOUS_BACKUP_FOLDER):
        folder = out / name
        if not folder.is_dir():
            continue
        try:
            return folder, _read_backup(folder), problem
        except (OSError, ValueError, KeyError) as error:
            problem = problem or f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None, 0, problem


def _unreadable_backup(out, problem):
    return ValueError(f"the backup in {pathlib.Path(out) / BACKUP_FOLDER} cannot be read "
                      f"({problem}) and there is no earlier one: delete that folder to start "
                      "the run over")


def check_resumable(out):
    """Epochs the run in ``out`` has finished (0 for a new run), or a ValueError saying how
    to start over when its only backup cannot be read."""
    backup_folder, finished, problem = usable_backup(out)
    if backup_folder is None and problem is not None:
        raise _unreadable_backup(out, problem)
    return finished


def epoch_batches(dataset, steps_per_epoch=None):
    """The batches ``fit`` reads: ``dataset`` itself, or repeated without end when epochs have
    a fixed number of steps; a dataset without batches is refused (epochs of 0 steps)."""
    if int(dataset.cardinality()) == 0:
        raise ValueError("the data set has no batches, so every epoch would train 0 steps: "
                         "use a batch size of at most the number of images")
    if steps_per_epoch is not None:
        # epochs of a fixed number of steps draw from one endless stream of shuffled passes
        dataset = dataset.repeat()
    return dataset


def completed_epochs(out):
    """Epochs a run in ``out`` has finished and can resume after (0 for a new run)."""
    return usable_backup(out)[1]


def _keep_history_before(path, epoch):
    """Keeps the complete ``history.csv`` rows of epochs before ``epoch``, one per epoch.

    Rows of later epochs belong to an epoch that did not finish (it is trained again); a
    row cut short by an interruption has missing fields.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        return
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames
        rows = {}
        for row in reader:
            complete = None not in row.values() and None not in row
            if complete and row.get("epoch", "").isdigit() and int(row["epoch"]) < epoch:
                rows[int(row["epoch"])] = row
    if header is None:
        return
    _write_atomically(path, lambda file: _write_rows(file, header, [rows[key] for key in sorted(rows)]))


def _write_rows(file, header, rows):
    writer = csv.DictWriter(file, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _write_atomically(path, write):
    """Writes a text file under a temporary name, then renames it over ``path``."""
    temporary = path.with_name(f".{path.name}.incoming")
    with open(temporary, "w", newline="") as file:
        write(file)
    os.replace(temporary, path)


DISTRIBUTE_CHOICES = ("none", "mirrored")


def distribution_strategy(distribute="none"):
    """The tf.distribute strategy of ``--distribute``.

    Args:
        distribute: "none" (the default strategy, one device) or "mirrored" (every local
            GPU; without GPUs, every logical CPU device, e.g. after
            ``tf.config.set_logical_device_configuration``).
    Returns:
        a tf.distribute.Strategy.
    """
    checks.choice("distribute", distribute, DISTRIBUTE_CHOICES)
    if distribute == "none":
        return tf.distribute.get_strategy()
    devices = [device.name for device in tf.config.list_logical_devices("GPU")]
    devices = devices or [device.name for device in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def check_output_folder(out):
    """Fails in a second, before any data is loaded, if ``out`` cannot hold a run.

    Creates the folder. Raises NotADirectoryError (a file where a folder belongs),
    IsADirectoryError (a folder where a file belongs) or PermissionError (not writable),
    each naming the path and what to do.
    """
    out = pathlib.Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"the output folder {out} is a file: pass a folder for --out "
                                 "(it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PermissionError(f"cannot create the output folder {out} ({error.strerror}): "
                              "pick another --out") from None
    for name in RUN_FOLDERS:
        if (out / name).exists() and not (out / name).is_dir():
            raise NotADirectoryError(f"{out / name} is a file, but the run writes a folder "
                                     "there: move it away, or pick another --out")
    for name in RUN_FILES:
        if (out / name).is_dir():
            raise IsADirectoryError(f"{out / name} is a folder, but the run writes a file "
                                    "there: move it away, or pick another --out")
    for folder in [out, *(out / name for name in RUN_FOLDERS if (out / name).is_dir())]:
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            raise PermissionError(f"cannot write into {folder} ({error.strerror}): make it "
                                  "writable, or pick another --out") from None


def check_run_settings(epochs, batch_size, learning_rate, beta_1, steps_per_epoch, num_samples):
    """Refuses settings that would train nothing, forever, or wrongly, naming the fix."""
    for name, value in (("epochs", epochs), ("batch_size", batch_size),
                        ("num_samples", num_samples)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool)
                                        or not isinstance(steps_per_epoch, numbers.Integral)
                                        or steps_per_epoch < 1):
        raise ValueError(f"steps_per_epoch must be a whole number >= 1, or None for one pass "
                         f"over the data, got {steps_per_epoch!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a number > 0 (the assignment uses "
                         f"{dcgan.LEARNING_RATE:g}), got {learning_rate!r}")
    if not (0 <= beta_1 < 1):
        raise ValueError(f"beta_1 must be in [0, 1) (the DCGAN paper uses {dcgan.BETA_1:g}), "
                         f"got {beta_1!r}")


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
    distribute="none",
    verbose="auto",
    show=False,
    extra_callbacks=(),
):
    """Trains a DCGAN, resumably, logging into ``out``: the notebook's and the command line's run.

    Its defaults are also the command line's (``add_dcgan_arguments`` reads them here). The
    output folder and the settings are checked first, before any data is loaded.

    Resuming: a call on a folder holding an interrupted run continues after its last
    finished epoch (see the module docstring for what counts as finished). It restores the
    weights, both optimizers' state and the noise generator's state exactly, and trains with
    the settings of this call: a ``learning_rate`` that differs from the run's replaces it,
    with a message (beta_1, label smoothing and instance noise are not stored, so this
    call's apply anyway). The data position is not restored: the resumed call starts a
    fresh pass over the data, so its first epoch reads the batches in the order the run's
    first epoch read them, not in the order the interrupted epoch would have read them;
    with ``steps_per_epoch`` it starts again at the beginning of the first shuffled pass.
    The weights after a resume therefore equal those of an uninterrupted run only when
    every epoch reads the same batches (an unshuffled data set, one pass per epoch).

    Args:
        data_source: a folder of images, "colour_digits" (offline), a tfds name (see
            ``data.image_dataset``), or a tf.data.Dataset of batches (n, H, W, 3) in [-1, 1].
        out: output folder; if it holds an interrupted run, training resumes from it.
        generator: the generator network, noise (n, latent_dim) -> images (n, H, W, 3) in
            [-1, 1]; default: the assignment's, ``dcgan.build_dcgan_generator()``.
        discriminator: the discriminator network, images -> logits (n, 1); default:
            ``dcgan.build_dcgan_discriminator`` for the generator's image shape.
        epochs: total number of epochs of the run (a resumed run trains the rest), >= 1.
        batch_size: images per step when ``data_source`` is loaded here (128 or 256 in the
            assignment); a Dataset comes batched already.
        learning_rate, beta_1: Adam's settings, the same for both networks; > 0, [0, 1).
        label_smoothing, instance_noise: see ``dcgan.DCGAN``.
        steps_per_epoch: steps per epoch, >= 1, drawn from the data repeated without end
            (None: one pass over the data).
        num_samples: images per sample grid.
        seed: seed of the networks built here, the data order and the noise.
        dtype_policy: what the networks built here compute in: "auto" (mixed bfloat16 on a
            CPU with bfloat16 instructions, else float32), "float32" or "mixed_bfloat16".
        distribute: "none" (one device) or "mirrored": every local GPU, or every logical
            CPU, with tf.distribute.MirroredStrategy (networks passed in must have been
            built under that strategy's scope).
        verbose: Keras' progress bar setting ("auto", 0, 1, 2).
        show: display the sample grids inline (notebooks).
        extra_callbacks: more callbacks, run after the kit's (e.g. GenerativeMetrics) and
            before the backup is written.
    Returns:
        :class:`DCGANRun` (gan, history, callbacks): the trained ``dcgan.DCGAN``, the Keras
        History of this call, and the run's :class:`DCGANCallbacks` by name (e.g.
        ``run.callbacks.sample_grid.plot_evolution()``).
    """
    check_output_folder(out)
    check_run_settings(epochs, batch_size, learning_rate, beta_1, steps_per_epoch, num_samples)
    finished = check_resumable(out)
    if isinstance(data_source, str):
        image_size = dcgan.IMAGE_SIZE if generator is None else generator.output_shape[1]
        dataset = data.image_dataset(data_source, image_size=image_size, batch_size=batch_size,
                                     seed=seed)
    else:
        dataset = data_source
    dataset = epoch_batches(dataset, steps_per_epoch)
    keras.utils.set_random_seed(seed)
    with distribution_strategy(distribute).scope():
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
    run_callbacks = dcgan_callbacks(out, num_samples=num_samples, seed=seed, show=show,
                                    include_initial=finished == 0)
    history = fit_run(gan, dataset, out, run_callbacks, epochs, steps_per_epoch, verbose,
                      extra_callbacks)
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
                        help="output folder; an interrupted run in it is resumed after its last "
                             "finished epoch, with the weights, optimizer and noise state, a "
                             "--learning-rate given now (with a message), and a fresh pass over "
                             "the data (not the interrupted epoch's batch order)")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"],
                        help=f"total epochs, >= 1 (default {defaults['epochs']})")
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
                        help="steps per epoch, >= 1, from the data repeated without end "
                             "(default: one pass over the data set)")
    parser.add_argument("--num-samples", type=int, default=defaults["num_samples"],
                        help=f"images per sample grid (default {defaults['num_samples']})")
    parser.add_argument("--precision", dest="dtype_policy",
                        choices=("auto", "float32", "mixed_bfloat16"),
                        default=defaults["dtype_policy"],
                        help="what the networks compute in; auto (default): mixed_bfloat16 "
                             "(bfloat16 activations, float32 weights and losses) on a CPU with "
                             "bfloat16 instructions, which trains faster there, else float32")
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument("--distribute", choices=DISTRIBUTE_CHOICES, default=defaults["distribute"],
                        help="mirrored: train on every local GPU (or every logical CPU) "
                             "with tf.distribute.MirroredStrategy")


def run_dcgan(arguments):
    """Runs ``train dcgan`` from parsed arguments: train_dcgan with the options given."""
    print(f"networks compute in {precision.resolve_dtype_policy(arguments.dtype_policy)}")
    options = {name: value for name, value in vars(arguments).items()
               if name in inspect.signature(train_dcgan).parameters}
    train_dcgan(**options)
    print(f"done: samples in {pathlib.Path(arguments.out) / 'samples'}, "
          f"TensorBoard: tensorboard --logdir {pathlib.Path(arguments.out) / 'logs'}")


# model name -> (add its options to an argparse parser, run it from the parsed arguments)
TRAINERS = {
    "dcgan": (add_dcgan_arguments, run_dcgan),
}
