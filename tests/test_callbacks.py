import genai_kit  # noqa: F401  (sets TF defaults before keras)
import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import callbacks, data, latent, plots


class ShiftingGenerator(keras.Model):
    """A protocol model whose samples change as it trains (one trainable bias)."""

    latent_shape = (2,)

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(4 * 4 * 3, activation="sigmoid")

    def call(self, latents):
        return keras.ops.reshape(self.dense(latents), (-1, 4, 4, 3))

    def generate(self, latents):
        return np.asarray(self(latents))


def read_summaries(event_file):
    for record in tf.data.TFRecordDataset(str(event_file)):
        yield from tf.compat.v1.Event.FromString(record.numpy()).summary.value


def fit_with(callback, epochs=3):
    model = ShiftingGenerator()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    latents = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")
    model.fit(latents, np.ones((32, 4, 4, 3), "float32"), epochs=epochs, verbose=0,
              callbacks=[callback])
    return model


def test_sample_grid_draws_initial_and_every_epoch_with_fixed_latents(tmp_path):
    grid = callbacks.SampleGrid(num_samples=6, ncols=3, seed=1, directory=tmp_path)
    model = fit_with(grid, epochs=3)
    assert sorted(grid.grids) == [0, 1, 2, 3]
    assert sorted(path.name for path in tmp_path.glob("*.png")) == [
        f"epoch_{epoch:04d}.png" for epoch in range(4)]
    np.testing.assert_array_equal(grid.latents, latent.latent_batch((2,), 6, seed=1))
    # training towards white images makes the grid brighter, so frames do differ
    assert grid.grids[3].mean() > grid.grids[0].mean()
    # the last grid is exactly the current model on the fixed latents
    expected = plots.image_grid(model.generate(grid.latents), ncols=3)
    np.testing.assert_array_equal(grid.grids[3], expected)
    assert grid.grids[0].dtype == np.uint8 and grid.grids[0].ndim == 3


def test_sample_grid_every_n_epochs_also_draws_the_last(tmp_path):
    grid = callbacks.SampleGrid(num_samples=4, every=2, include_initial=False)
    fit_with(grid, epochs=3)
    assert sorted(grid.grids) == [2, 3]


def test_sample_grid_wraps_a_plain_decoder_and_writes_tensorboard(tmp_path):
    inputs = keras.Input(shape=(5,))
    outputs = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh")(inputs))
    decoder = keras.Model(inputs, outputs)
    grid = callbacks.SampleGrid(decoder, num_samples=4, value_range=(-1, 1), log_dir=tmp_path)
    grid.set_model(decoder)
    grid.on_train_begin()
    assert grid.latents.shape == (4, 5)
    [event_file] = tmp_path.glob("events.out.tfevents.*")
    [png] = [value.tensor.string_val[2] for value in read_summaries(event_file)
             if value.tag == "samples" and value.metadata.plugin_data.plugin_name == "images"]
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), grid.grids[0])
    figure = grid.plot_evolution()
    assert len(figure.axes) == 1


def test_sample_grid_on_a_model_without_the_protocol_says_what_to_pass():
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    grid = callbacks.SampleGrid()
    grid.set_model(model)
    with pytest.raises(ValueError, match="decoder"):
        grid.on_train_begin()


class DigitDecoder(keras.Model):
    """A protocol model: latents (n, 4) -> digits (n, 28, 28, 1), trainable to regress digits."""

    latent_shape = (4,)

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(28 * 28, activation="sigmoid")

    def call(self, latents):
        return keras.ops.reshape(self.dense(latents), (-1, 28, 28, 1))

    def generate(self, latents):
        return np.asarray(self(latents))


@pytest.mark.filterwarnings("ignore:Can save best model only with val_fid available")
def test_generative_metrics_feed_history_and_model_checkpoint(tmp_path):
    images, _ = data.load_mnist("test", source="bundled")
    watch = callbacks.GenerativeMetrics(images, every=2, num_samples=200, verbose=0)
    checkpoint = keras.callbacks.ModelCheckpoint(
        tmp_path / "best.weights.h5", monitor="val_fid", mode="min",
        save_best_only=True, save_weights_only=True)
    model = DigitDecoder()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    latents = np.random.default_rng(0).standard_normal((500, 4)).astype("float32")
    history = model.fit(latents, images, epochs=4, batch_size=50, verbose=0,
                        callbacks=[watch, checkpoint])
    assert watch.history["epoch"] == [2, 4]
    assert history.history["val_fid"] == watch.history["fid"]
    assert len(history.history["loss"]) == 4
    for key in ("val_is", "val_kid", "val_precision", "val_recall"):
        assert len(history.history[key]) == 2
    assert (tmp_path / "best.weights.h5").exists()
    assert all(fid > 0 for fid in watch.history["fid"])
    assert all(0 <= recall <= 1 for recall in watch.history["recall"])
