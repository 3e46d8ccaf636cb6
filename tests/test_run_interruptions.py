"""A DCGAN run interrupted at any point of an epoch's saves, or with its backup cut short,
resumes into a complete run folder: history rows 0, 1, 2, ..., one sample grid per epoch,
``dcgan.keras`` and ``generator.keras`` at the last step, and the weights of a run that was
never interrupted."""
import csv
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import callbacks, train
from genai_kit.models import dcgan

EPOCHS = 3
STEPS_PER_EPOCH = 2  # 8 images in batches of 4


def tiny_networks():
    keras.utils.set_random_seed(0)  # the same initial weights in every run
    generator = dcgan.build_dcgan_generator(latent_dim=8, base_channels=8, filters=(4, 4),
                                            dtype_policy="float32")
    discriminator = dcgan.build_dcgan_discriminator((32, 32, 3), filters=(4, 8),
                                                    dtype_policy="float32")
    return generator, discriminator


def run(out, epochs=EPOCHS, **settings):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)  # same batches every epoch
    generator, discriminator = tiny_networks()
    return train.train_dcgan(dataset, out, generator=generator, discriminator=discriminator,
                             epochs=epochs, num_samples=4, verbose=0, **settings)


def history_epochs(out):
    with open(out / "history.csv") as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


def sample_names(out):
    return sorted(path.name for path in (out / "samples").iterdir())


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The generator weights of a run that was never interrupted."""
    gan = run(tmp_path_factory.mktemp("straight")).gan
    return [weight.numpy() for weight in gan.generator.weights]


def assert_complete_run(out, gan, straight):
    assert history_epochs(out) == list(range(EPOCHS))
    assert sample_names(out) == [f"epoch_{epoch:04d}.png" for epoch in range(EPOCHS + 1)]
    assert train.completed_epochs(out) == EPOCHS
    saved = keras.saving.load_model(out / "dcgan.keras")
    assert int(saved.generator_optimizer.iterations.numpy()) == EPOCHS * STEPS_PER_EPOCH
    saved_generator = keras.saving.load_model(out / "generator.keras")
    # exact: the resumed run restored every weight, optimizer slot and the noise state,
    # then trained the same batches along the same code path as the straight run
    for weight, expected, saved_weight in zip(gan.generator.weights, straight,
                                              saved_generator.weights):
        np.testing.assert_array_equal(weight.numpy(), expected, err_msg=weight.path)
        np.testing.assert_array_equal(saved_weight.numpy(), expected, err_msg=weight.path)
    assert not list(out.glob(".*incoming*")) and not list((out / "samples").glob(".*"))


def interrupt_after(monkeypatch, owner, epoch, applies=lambda callback: True):
    """Makes ``owner.on_epoch_end`` raise KeyboardInterrupt once, right after it ran, at ``epoch``."""
    original = owner.on_epoch_end
    state = {"interrupted": False}

    def on_epoch_end(self, current_epoch, logs=None):
        original(self, current_epoch, logs)
        if current_epoch == epoch and applies(self) and not state["interrupted"]:
            state["interrupted"] = True
            raise KeyboardInterrupt

    monkeypatch.setattr(owner, on_epoch_end.__name__, on_epoch_end)


class InterruptAtEpochEnd(keras.callbacks.Callback):
    """Ctrl-C after every file of the epoch is written, before the backup is."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


# where an epoch's saves are interrupted (0-based epoch), in the order they are written
@pytest.mark.parametrize("written_last, epoch", [
    ("sample grid", 1),
    ("dcgan.keras", 1),
    ("generator.keras", 1),
    ("history.csv row", 0),
    ("history.csv row", 1),
    ("every file but the backup", EPOCHS - 1),  # the last epoch: the rerun must train it
])
def test_an_interruption_during_an_epochs_saves_is_repaired_by_the_rerun(
        tmp_path, monkeypatch, straight, written_last, epoch):
    out = tmp_path / "run"
    extra_callbacks = []
    if written_last == "sample grid":
        interrupt_after(monkeypatch, callbacks.SampleGrid, epoch)
    elif written_last == "dcgan.keras":
        interrupt_after(monkeypatch, train.SaveModel, epoch, lambda callback: callback.part is None)
    elif written_last == "generator.keras":
        interrupt_after(monkeypatch, train.SaveModel, epoch,
                        lambda callback: callback.part == "generator")
    elif written_last == "history.csv row":
        interrupt_after(monkeypatch, keras.callbacks.CSVLogger, epoch)
    else:
        extra_callbacks = [InterruptAtEpochEnd(epoch)]
    with pytest.raises(KeyboardInterrupt):
        run(out, extra_callbacks=extra_callbacks)
    # the interrupted epoch does not count: it is trained again
    assert train.completed_epochs(out) == epoch

    resumed = run(out)
    assert resumed.history.epoch == list(range(epoch, EPOCHS))
    assert_complete_run(out, resumed.gan, straight)


def test_a_failed_write_is_trained_again_not_skipped(tmp_path, monkeypatch, straight):
    out = tmp_path / "run"
    original = keras.utils.save_img
    calls = {"count": 0}

    def disk_full_at_epoch_2(path, *args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 3:  # grid 0 (untrained), grid 1, then grid 2 fails
            raise OSError(28, "No space left on device")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(keras.utils, "save_img", disk_full_at_epoch_2)
    with pytest.raises(OSError, match="No space"):
        run(out)
    # the grid comes before the history row: epoch 1 left neither row nor backup
    assert train.completed_epochs(out) == 1 and history_epochs(out) == [0]
    resumed = run(out)
    assert_complete_run(out, resumed.gan, straight)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# the latest backup cut short (a full disk, a killed Drive sync), or gone (an interruption
# between the two renames that replace it)
@pytest.mark.parametrize("damage", ["weights cut short", "metadata cut short", "latest gone"])
def test_an_unreadable_backup_falls_back_to_the_previous_one_with_a_message(
        tmp_path, capsys, straight, damage):
    out = tmp_path / "run"
    run(out, epochs=2)
    backup = out / train.BACKUP_FOLDER
    if damage == "weights cut short":
        truncate(backup / "latest.weights.h5")
    elif damage == "metadata cut short":
        truncate(backup / "training_metadata.json")
    else:  # the old latest renamed to previous, the incoming state not yet renamed
        shutil.rmtree(backup)
        (out / train.INCOMING_BACKUP_FOLDER).mkdir()
    assert train.completed_epochs(out) == 1
    capsys.readouterr()

    resumed = run(out)
    printed = capsys.readouterr().out
    assert "resuming from the previous one, after epoch 1" in printed
    assert resumed.history.epoch == [1, 2]  # epoch 2 again, from the state after epoch 1
    assert_complete_run(out, resumed.gan, straight)


def test_an_unreadable_backup_without_an_earlier_one_says_how_to_start_over(tmp_path):
    out = tmp_path / "run"
    run(out, epochs=1)
    truncate(out / train.BACKUP_FOLDER / "latest.weights.h5")
    with pytest.raises(ValueError, match="delete that folder to start the run over"):
        run(out, epochs=2)


def test_resuming_with_another_learning_rate_applies_it_and_says_so(tmp_path, capsys):
    out = tmp_path / "run"
    run(out, epochs=1)
    capsys.readouterr()
    resumed = run(out, epochs=2, learning_rate=3e-4)
    printed = capsys.readouterr().out
    assert printed.count("learning rate 0.0003 from now on (the run had 0.0001)") == 2  # G, D
    for optimizer in (resumed.gan.generator_optimizer, resumed.gan.discriminator_optimizer):
        assert float(optimizer.learning_rate.numpy()) == np.float32(3e-4)
    saved = keras.saving.load_model(out / "dcgan.keras")
    assert float(saved.generator_optimizer.learning_rate.numpy()) == np.float32(3e-4)
    # the same learning rate again: nothing to say
    run(out, epochs=3, learning_rate=3e-4)
    assert "learning rate" not in capsys.readouterr().out


def test_history_keeps_one_complete_row_per_finished_epoch(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,d_loss,g_loss\n0,1.0,2.0\n1,1.5,2.5\n1,1.4,2.4\n2,1.3,2.3\n3,1.")
    train._keep_history_before(path, 3)
    assert path.read_text() == "epoch,d_loss,g_loss\n0,1.0,2.0\n1,1.4,2.4\n2,1.3,2.3\n"
    train._keep_history_before(path, 0)
    assert path.read_text() == "epoch,d_loss,g_loss\n"
