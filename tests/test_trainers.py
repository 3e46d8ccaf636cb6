"""``train autoencoder | vae | diffusion``: what a run writes, resuming, two devices, errors."""
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import __main__ as command_line
from genai_kit import train, trainers
from genai_kit.diffusion import settings as diffusion_settings
from test_train_cli import history_epochs, run_command
REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
TINY = {
    "autoencoder": ["--batch-size", "500", "--latent-dim", "4"],
    "vae": ["--batch-size", "500", "--latent-dim", "2"],
    "diffusion": ["--batch-size", "16", "--widths", "8,8,8", "--num-examples", "32",
                  "--sampling-steps", "2", "--precision", "float32"],
}


@pytest.mark.parametrize("model_name", sorted(TINY))
def test_a_run_writes_samples_logs_the_model_and_resumes(model_name, tmp_path):
    out = tmp_path / model_name
    options = ["--data", "bundled_mnist", "--steps-per-epoch", "2", "--num-samples", "4",
               *TINY[model_name], "--out", str(out)]
    first = run_command("train", model_name, "--epochs", "1", *options)
    assert first.returncode == 0, first.stderr[-3000:]
    assert sorted(path.name for path in (out / "samples").iterdir()) == [
        "epoch_0000.png", "epoch_0001.png"]
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))
    assert history_epochs(out) == [0]
    model = keras.saving.load_model(out / train.MODEL_FILES[model_name])
    assert model.optimizer.iterations.numpy() == 2
    images = model.generate(np.zeros((2, *model.latent_shape), "float32"))
    assert images.shape == (2, 28, 28, 1) and 0.0 <= images.min() <= images.max() <= 1.0

    second = run_command("train", model_name, "--epochs", "2", *options)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming the run" in second.stdout and "after epoch 1 of 2" in second.stdout
    assert history_epochs(out) == [0, 1]
    resumed = keras.saving.load_model(out / train.MODEL_FILES[model_name])
    # the optimizer state came back: the step count goes on from 2
    assert resumed.optimizer.iterations.numpy() == 4
    assert (out / "samples" / "epoch_0002.png").is_file()


def test_diffusion_options_are_the_settings_fields_with_their_defaults():
    parser = command_line.build_parser()
    arguments = parser.parse_args(["train", "diffusion", "--out", "x"])
    full = diffusion_settings.FULL
    for name in trainers._DIFFUSION_OPTIONS:
        assert getattr(arguments, name) == getattr(full, name), name
    arguments = parser.parse_args(["train", "diffusion", "--out", "x", "--widths", "8,16,16"])
    assert arguments.widths == (8, 16, 16)


def test_an_interrupted_vae_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path):
    images = np.random.default_rng(0).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    # unshuffled: every epoch reads the same batches, so the weights can be compared exactly
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(32)
    options = dict(data_source=dataset, latent_dim=2, num_samples=2, verbose=0)
    whole = trainers.train_vae(tmp_path / "whole", epochs=2, **options).model
    trainers.train_vae(tmp_path / "halves", epochs=1, **options)
    resumed = trainers.train_vae(tmp_path / "halves", epochs=2, **options).model
    # the same steps, the same data, the restored optimizer and noise state: bit for bit
    for a, b in zip(whole.weights, resumed.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


@pytest.mark.parametrize("model_name", sorted(TINY))
def test_bad_options_exit_2_in_one_line(model_name, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        command_line.main(["train", model_name, "--epochs", "0", "--out", str(tmp_path / "r")])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "epochs" in error and "\n" not in error


def test_an_unknown_data_source_lists_the_choices():
    with pytest.raises(ValueError, match="bundled_mnist"):
        trainers.mnist_batches("mnist_small", 8, seed=0)


def test_distribute_none_is_the_default_strategy_and_mirrored_a_mirrored_one():
    assert train.distribution_strategy("none") is tf.distribute.get_strategy()
    assert isinstance(train.distribution_strategy("mirrored"),
                      tf.distribute.MirroredStrategy)
    with pytest.raises(ValueError, match="mirrored"):
        train.distribution_strategy("tpu")


MIRRORED_SCRIPT = """
import sys
sys.path.insert(0, TESTS_FOLDER)
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
import keras
from genai_kit import train
from genai_kit.diffusion import DiffusionModel, unet
from genai_kit.models import vae
from tolerances import assert_rounding_close, network_roundings


def build(kind):
    keras.utils.set_random_seed(0)
    if kind == "vae":
        model = vae.VAE(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(16,), seed=3)
    else:
        network = unet.build_unet((8, 8, 1), widths=(8, 8), num_classes=3)
        model = DiffusionModel(network, ema_decay=0.5, seed=3)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    return model


rng = np.random.default_rng(0)
images = rng.uniform(0, 1, (16, 8, 8, 1)).astype("float32")
labels = rng.integers(0, 3, 16)
data = {"vae": tf.data.Dataset.from_tensor_slices(images).batch(8),
        "diffusion": tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)}
strategy = train.distribution_strategy("mirrored")
assert strategy.num_replicas_in_sync == 2
for kind in ("vae", "diffusion"):
    single = build(kind)
    single_logs = single.fit(data[kind], epochs=1, verbose=0, shuffle=False).history
    with strategy.scope():
        mirrored = build(kind)
    mirrored_logs = mirrored.fit(data[kind], epochs=1, verbose=0, shuffle=False).history
    # the same sums in another order (two halves, then across replicas): equal to rounding.
    # The longest sum is a weight gradient: batch x output positions, after the forward
    # pass's reductions.
    networks = [single.encoder, single.decoder] if kind == "vae" else [single.network]
    roundings = network_roundings(*networks) + 8 * 8 * 8
    assert_rounding_close(mirrored_logs["loss"][0], single_logs["loss"][0], roundings=roundings,
                          magnitude=abs(single_logs["loss"][0]))
    for a, b in zip(single.trainable_weights, mirrored.trainable_weights):
        # two SGD(0.5) steps on gradients of magnitude about the loss's
        assert_rounding_close(b.numpy(), a.numpy(), roundings=roundings,
                              magnitude=max(1.0, float(np.abs(a.numpy()).max()),
                                            abs(single_logs["loss"][0])), err_msg=a.path)
    print(kind, "MIRRORED OK")
"""


def test_vae_and_diffusion_on_two_devices_take_the_one_device_steps(tmp_path):
    # a fresh process: logical devices must be configured before TensorFlow initialises
    script = tmp_path / "mirrored.py"
    tests_folder = pathlib.Path(__file__).resolve().parent
    script.write_text(MIRRORED_SCRIPT.replace("TESTS_FOLDER", repr(str(tests_folder))))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=tests_folder, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "vae MIRRORED OK" in result.stdout and "diffusion MIRRORED OK" in result.stdout


def test_distribute_mirrored_trains_from_the_command_line(tmp_path):
    # on this process's devices (one CPU, or every GPU): the path the option takes
    out = tmp_path / "vae"
    command_line.main(["train", "vae", "--data", "bundled_mnist", "--epochs", "1",
                       "--steps-per-epoch", "2", "--batch-size", "64", "--num-samples", "2",
                       "--distribute", "mirrored", "--out", str(out)])
    model = keras.saving.load_model(out / "vae.keras")
    assert model.optimizer.iterations.numpy() == 2
    assert history_epochs(out) == [0]
