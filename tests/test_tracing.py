"""The retracing warning is dropped where each trial builds a new model, and only there."""
import logging

import numpy as np

from genai_kit import tracing
from genai_kit.models import autoencoder
from genai_kit.optim import search


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def recording_tensorflow_logger():
    logger = logging.getLogger("tensorflow")
    recorder = Recorder()
    logger.addHandler(recorder)
    return logger, recorder


def test_only_the_retracing_warning_is_dropped_and_only_inside_the_block():
    logger, recorder = recording_tensorflow_logger()
    try:
        with tracing.models_built_per_trial():
            logger.warning("5 out of the last 9 calls to <function f> triggered tf.function "
                           "retracing. Tracing is expensive")
            logger.warning("something else")
        logger.warning("6 out of the last 11 calls to <function g> triggered tf.function retracing.")
    finally:
        logger.removeHandler(recorder)
    assert recorder.messages == [
        "something else",
        "6 out of the last 11 calls to <function g> triggered tf.function retracing."]


def test_a_search_over_many_fresh_models_prints_no_retracing_warning():
    images = np.random.default_rng(0).uniform(size=(64, 28, 28, 1)).astype("float32")
    objective = search.keras_model_objective(
        lambda **params: autoencoder.build_autoencoder(hidden_units=(16,), **params),
        epochs=1, batch_size=32)
    logger, recorder = recording_tensorflow_logger()
    try:
        result = search.grid_search(objective, {"latent_dim": [2, 4, 8]}, (images,),
                                    num_folds=3, progress=False)
    finally:
        logger.removeHandler(recorder)
    assert len(result.trials) == 3
    assert not [message for message in recorder.messages if "retracing" in message]
