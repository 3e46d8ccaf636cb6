"""``python -m genai_kit train dcgan``: what a run writes, resuming after an interruption, errors."""
import csv
import inspect
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from genai_kit import __main__ as command_line
from genai_kit import callbacks, train
from genai_kit.models import dcgan  # also registers DCGAN for load_model

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def run_command(*arguments):
    return subprocess.run([sys.executable, "-m", "genai_kit", *arguments], capture_output=True,
                          text=True, cwd=REPOSITORY, timeout=600)


def history_epochs(out):
    with open(out / "history.csv") as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "bedrooms" / "nested"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(8):
        pixels = rng.integers(0, 256, (80, 96, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"room_{index}.png")
    return folder.parent


def test_train_command_writes_logs_samples_checkpoints_and_resumes(image_folder, tmp_path):
    out = tmp_path / "run"
    options = ["--data", str(image_folder), "--batch-size", "4", "--num-samples", "4",
               "--precision", "float32", "--out", str(out)]
    first = run_command("train", "dcgan", "--epochs", "1", *options)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "networks compute in float32" in first.stdout
    assert sorted(path.name for path in (out / "samples").iterdir()) == [
        "epoch_0000.png", "epoch_0001.png"]
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))
    assert list((out / "logs" / "samples").glob("events.out.tfevents.*"))
    generator = keras.saving.load_model(out / "generator.keras")
    assert generator.output_shape == (None, 64, 64, 3)
    assert generator.get_layer("upsample_1").compute_dtype == "float32"
    assert history_epochs(out) == [0]
    steps_in_first_run = int(keras.saving.load_model(out / "dcgan.keras")
                             .generator_optimizer.iterations.numpy())
    assert steps_in_first_run >= 2

    # the same command with more epochs continues after epoch 1 instead of starting over
    second = run_command("train", "dcgan", "--epochs", "2", *options)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stdout and "after epoch 1 of 2" in second.stdout
    assert history_epochs(out) == [0, 1]
    assert (out / "samples" / "epoch_0002.png").is_file()
    gan = keras.saving.load_model(out / "dcgan.keras")
    # the optimizer kept counting from where it stopped: two epochs' worth of steps
    assert int(gan.generator_optimizer.iterations.numpy()) == 2 * steps_in_first_run


def test_folder_without_images_gives_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    result = run_command("train", "dcgan", "--data", str(empty), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "no images found" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_precision_is_refused_with_the_choices(tmp_path):
    result = run_command("train", "dcgan", "--data", "colour_digits", "--precision", "half",
                         "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "mixed_bfloat16" in result.stderr


def test_unknown_model_is_refused_with_the_known_ones():
    result = run_command("train", "gpt")
    assert result.returncode == 2
    assert "dcgan" in result.stderr


class StopAtEpoch(keras.callbacks.Callback):
    """Simulates an interruption (Ctrl-C, a lost session) when ``epoch`` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


# both precisions "auto" can pick: a resumed run must be exact in each
@pytest.mark.parametrize("dtype_policy", [
    "float32", pytest.param("mixed_bfloat16", marks=pytest.mark.bfloat16)])
def test_interrupted_run_resumes_from_the_saved_epoch_with_the_same_weights(tmp_path,
                                                                           dtype_policy):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 64, 64, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)  # same batches every epoch
    settings = dict(epochs=3, num_samples=4, verbose=0, dtype_policy=dtype_policy)

    straight = train.train_dcgan(dataset, tmp_path / "straight", **settings).gan

    with pytest.raises(KeyboardInterrupt):
        train.train_dcgan(dataset, tmp_path / "resumed", extra_callbacks=[StopAtEpoch(2)],
                          **settings)
    assert train.completed_epochs(tmp_path / "resumed") == 2
    resumed, history, _ = train.train_dcgan(dataset, tmp_path / "resumed", **settings)

    assert history.epoch == [2]  # only the missing epoch was trained
    assert int(resumed.generator_optimizer.iterations.numpy()) == 6
    # exact: the resumed run restored every weight, optimizer slot and the seed generator's
    # state bit for bit, then ran the same steps on the same batches along the same code path
    for network in ("generator", "discriminator"):
        for expected, weight in zip(getattr(straight, network).weights,
                                    getattr(resumed, network).weights):
            np.testing.assert_array_equal(weight.numpy(), expected.numpy(), err_msg=weight.path)
    for expected, variable in zip(straight.discriminator_optimizer.variables,
                                  resumed.discriminator_optimizer.variables):
        np.testing.assert_array_equal(variable.numpy(), expected.numpy(), err_msg=variable.path)


def test_the_command_line_has_the_defaults_of_train_dcgan():
    arguments = command_line.build_parser().parse_args(
        ["train", "dcgan", "--data", "colour_digits", "--out", "run"])
    defaults = inspect.signature(train.train_dcgan).parameters
    for name in ("epochs", "batch_size", "learning_rate", "beta_1", "label_smoothing",
                 "instance_noise", "steps_per_epoch", "num_samples", "seed", "dtype_policy"):
        assert getattr(arguments, name) == defaults[name].default, name


def test_train_dcgan_trains_the_networks_it_is_given_and_names_its_callbacks(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)
    generator = dcgan.build_dcgan_generator(latent_dim=8, base_channels=8, filters=(4, 4),
                                            dtype_policy="float32")
    discriminator = dcgan.build_dcgan_discriminator((32, 32, 3), filters=(4, 8),
                                                    dtype_policy="float32")
    run = train.train_dcgan(dataset, tmp_path / "run", generator=generator,
                            discriminator=discriminator, epochs=1, num_samples=4, verbose=0)
    assert run.gan.generator is generator and run.gan.discriminator is discriminator
    assert run.history.epoch == [0]
    assert isinstance(run.callbacks.sample_grid, callbacks.SampleGrid)
    assert len(run.callbacks.sample_grid.grids) == 2  # the untrained generator and epoch 0
    assert isinstance(run.callbacks.backup, keras.callbacks.BackupAndRestore)
    assert list(run.callbacks)[0] is run.callbacks.backup  # restores before the others run


def run_in_process(capsys, *arguments):
    """``python -m genai_kit`` in this process: (exit status, stderr lines)."""
    with pytest.raises(SystemExit) as exit_info:
        command_line.main(list(arguments))
    return exit_info.value.code, capsys.readouterr().err.strip().splitlines()


@pytest.fixture
def no_data_loading(monkeypatch):
    """Fails the test if the command gets as far as loading data or building networks."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command loaded data before checking its options")

    monkeypatch.setattr(train.data, "image_dataset", refuse)
    monkeypatch.setattr(train.dcgan, "build_dcgan_generator", refuse)


@pytest.mark.parametrize("option, value, message", [
    ("--steps-per-epoch", "0", "steps_per_epoch must be a whole number >= 1"),
    ("--steps-per-epoch", "-3", "steps_per_epoch must be a whole number >= 1"),
    ("--epochs", "0", "epochs must be a whole number >= 1"),
    ("--epochs", "-1", "epochs must be a whole number >= 1"),
    ("--learning-rate", "-1", "learning_rate must be a number > 0"),
    ("--learning-rate", "nan", "learning_rate must be a number > 0"),
    ("--beta-1", "1.5", "beta_1 must be in [0, 1)"),
    ("--num-samples", "0", "num_samples must be a whole number >= 1"),
])
def test_numeric_options_that_would_train_nothing_or_forever_exit_2_in_one_line(
        tmp_path, capsys, no_data_loading, option, value, message):
    status, errors = run_in_process(capsys, "train", "dcgan", "--data", "colour_digits",
                                    "--out", str(tmp_path / "run"), option, value)
    assert status == 2
    assert len(errors) == 1 and message in errors[0], errors


def test_a_batch_larger_than_the_data_exits_2_instead_of_training_empty_epochs(tmp_path, capsys):
    status, errors = run_in_process(capsys, "train", "dcgan", "--data", "colour_digits",
                                    "--batch-size", "5000", "--out", str(tmp_path / "run"))
    assert status == 2
    assert len(errors) == 1 and "at most 4,500" in errors[0], errors
    assert not (tmp_path / "run" / "history.csv").exists()


@pytest.mark.parametrize("problem", ["out is a file", "history.csv is a folder",
                                     "samples is a file", "out is not writable"])
def test_output_folder_problems_exit_2_in_one_line_before_loading_data(
        tmp_path, capsys, monkeypatch, no_data_loading, problem):
    out = tmp_path / "run"
    if problem == "out is a file":
        out.write_text("notes")
        expected = "is a file: pass a folder for --out"
    elif problem == "history.csv is a folder":
        (out / "history.csv").mkdir(parents=True)
        expected = "history.csv is a folder"
    elif problem == "samples is a file":
        out.mkdir()
        (out / "samples").write_text("notes")
        expected = "samples is a file"
    else:
        # root writes into read-only folders, so the refusal of the file system is simulated
        def read_only(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(train.tempfile, "TemporaryFile", read_only)
        expected = "cannot write into"
    status, errors = run_in_process(capsys, "train", "dcgan", "--data", "colour_digits",
                                    "--out", str(out))
    assert status == 2
    assert len(errors) == 1 and expected in errors[0], errors


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write into a read-only folder")
def test_a_read_only_output_folder_exits_2(tmp_path, capsys, no_data_loading):
    out = tmp_path / "run"
    out.mkdir()
    out.chmod(0o555)
    try:
        status, errors = run_in_process(capsys, "train", "dcgan", "--data", "colour_digits",
                                        "--out", str(out))
    finally:
        out.chmod(0o755)
    assert status == 2 and len(errors) == 1 and "cannot write into" in errors[0]


def test_a_bad_option_exits_2_with_one_line_from_the_command_line(tmp_path):
    # the same check, through a real process: no traceback, one line on stderr
    result = run_command("train", "dcgan", "--data", "colour_digits", "--epochs", "0",
                         "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "done" not in result.stdout
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: epochs must be a whole number >= 1, got 0"]
