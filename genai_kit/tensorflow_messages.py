"""TensorFlow's messages that would read as failures to a student, each kept out on purpose.

Every message silenced here is harmless, and each is silenced only where it is known to be:
- the start-up lines TensorFlow writes straight to the process's stderr on import, before it
  reads any setting (``stderr_silenced`` around the import, in ``genai_kit/__init__.py``);
- oneDNN's one-time data-type notice (``use_up_onednn_data_type_notice``);
- the retracing warning of loops that build one model per trial (``models_built_per_trial``).

This module imports TensorFlow only inside a function: ``genai_kit/__init__.py`` imports it
before TensorFlow, to import TensorFlow itself with stderr silenced.
"""
import contextlib
import logging
import os

_RETRACING_MESSAGE = "triggered tf.function retracing"
_notice_used_up = False


@contextlib.contextmanager
def stderr_silenced():
    """Within the block, the process's C-level stderr (file descriptor 2) goes to /dev/null."""
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


def use_up_onednn_data_type_notice():
    """Lets oneDNN print its one-time data-type notice now, with stderr silenced.

    With oneDNN on, the first graph op whose data type oneDNN cannot compute on this CPU
    prints, once per process, an error-level line such as "oneDNN supports DT_INT32 only on
    platforms with AVX-512. Falling back to the default Eigen-based implementation". It is
    harmless (Eigen's kernels are the ones TensorFlow runs without oneDNN), but the diffusion
    model's integer timesteps make it appear in red on CPUs without AVX-512. The notice has
    one flag for every data type, so a float16 product, which oneDNN leaves to Eigen on CPUs
    without AVX512-FP16, prints it here instead; on other CPUs there is nothing to print.

    Runs a graph, so call it once TensorFlow's devices are set up (a model exists), never at
    import: device settings (``tf.config.set_logical_device_configuration``, GPU memory
    growth) must still be possible after ``import genai_kit``.
    """
    global _notice_used_up
    if _notice_used_up or os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0":
        return
    import tensorflow as tf  # imported by the kit already; see the module docstring

    @tf.function
    def half_precision_product(values):
        return tf.matmul(values, values)

    with stderr_silenced():
        half_precision_product(tf.ones((1, 1), tf.float16))
    _notice_used_up = True


class _DropRetracingWarnings(logging.Filter):
    def filter(self, record):
        return _RETRACING_MESSAGE not in record.getMessage()


@contextlib.contextmanager
def models_built_per_trial():
    """Within the block, TensorFlow's logger drops its retracing warning (and nothing else).

    TensorFlow counts the traces of a tf.function by its Python code, not by its object, so
    the training functions of different Keras models share one counter. A search or a
    comparison that builds a model per trial therefore seems to retrace every few calls, and
    TensorFlow warns: "5 out of the last 9 calls to <function ... multi_step_on_iterator>
    triggered tf.function retracing". Each of those traces is a new model's first and only
    one: nothing is retraced, and nothing could be shared between the models. Elsewhere (a
    student's own loop) the warning is kept.
    """
    logger = logging.getLogger("tensorflow")
    drop = _DropRetracingWarnings()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
