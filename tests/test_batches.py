"""Running a model batch by batch (genai_kit.batches)."""
import genai_kit  # noqa: F401  (sets TF defaults before keras)
import keras
import numpy as np
import pytest

from genai_kit import batches
from tolerances import assert_rounding_close, network_roundings


def test_batches_give_the_same_rows_as_one_call_in_order():
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(1)(inputs)])
    rows = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    whole = [keras.ops.convert_to_numpy(output) for output in model(rows)]
    batched = batches.predict_in_batches(model, rows, batch_size=3)
    assert [part.shape for part in batched] == [(10, 2), (10, 1)]
    # batches of 3 against one batch of 10: the CPU may pick other kernels for each size
    for expected, result in zip(whole, batched):
        assert_rounding_close(result, expected, roundings=network_roundings(model))


def test_model_runs_in_inference_mode():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dropout(0.9)(inputs))
    rows = np.ones((5, 4), np.float32)
    np.testing.assert_array_equal(batches.predict_in_batches(model, rows, batch_size=2), rows)


def test_empty_inputs_and_bad_batch_sizes_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        batches.map_in_batches(lambda batch: batch, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="positive"):
        batches.map_in_batches(lambda batch: batch, np.zeros((3, 2)), batch_size=0)
