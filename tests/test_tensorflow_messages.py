"""TensorFlow's messages kept out of notebooks: each only where it is harmless, and quietly."""
import logging
import pathlib
import subprocess
import sys
import textwrap

import numpy as np

from genai_kit import tensorflow_messages
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
        with tensorflow_messages.models_built_per_trial():
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


def run_python(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=300, cwd=pathlib.Path(__file__).parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_devices_can_still_be_configured_after_importing_the_kit():
    # students set GPU memory growth or split a CPU after `import genai_kit`: the import must
    # not start TensorFlow's runtime
    result = run_python("""
        import genai_kit
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
        print(len(tf.config.list_logical_devices("CPU")))
    """)
    assert result.stdout.split()[-1] == "2"


def test_the_onednn_data_type_notice_is_used_up_quietly():
    # a float16 product is the op oneDNN leaves to Eigen on most CPUs: once the notice is used
    # up, neither the call nor any later unsupported data type prints it
    result = run_python("""
        import genai_kit
        import tensorflow as tf
        from genai_kit import tensorflow_messages
        tensorflow_messages.use_up_onednn_data_type_notice()
        tensorflow_messages.use_up_onednn_data_type_notice()  # a second call does nothing
        product = tf.function(lambda values: tf.matmul(values, values))
        for dtype in (tf.float16, tf.int32):
            product(tf.ones((2, 2), dtype))
        print("ran")
    """)
    assert result.stdout.split()[-1] == "ran"
    assert "oneDNN supports" not in result.stderr
