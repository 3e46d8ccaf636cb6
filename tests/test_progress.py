"""The progress bars: a long cell shows how far it has got."""
import keras
import numpy as np

from genai_kit import progress


def test_epoch_progress_draws_one_bar_that_ends_at_the_epoch_count_with_the_loss(capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    inputs = np.zeros((8, 2), "float32")
    model.fit(inputs, inputs[:, :1], epochs=3, verbose=0, callbacks=[progress.EpochProgress("fit")])
    drawn = capsys.readouterr().out
    final_frame = drawn.split("\r")[-1]
    assert final_frame.startswith("fit: 100%") and "3/3" in final_frame and "loss=0" in final_frame
    model.fit(inputs, inputs[:, :1], epochs=5, initial_epoch=3, verbose=0,
              callbacks=[progress.EpochProgress("resumed")])
    assert "5/5" in capsys.readouterr().out.split("\r")[-1]
