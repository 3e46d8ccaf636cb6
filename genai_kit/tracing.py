"""TensorFlow's retracing warning, silenced where every new model traces once by design.

TensorFlow counts the traces of a tf.function by its Python code, not by its object, so the
training functions of different Keras models share one counter. A search or a comparison
that builds one model per trial therefore traces "the same" function every few calls, and
TensorFlow warns: "5 out of the last 9 calls to <function ... multi_step_on_iterator>
triggered tf.function retracing". Each of those traces is a new model's first and only one:
nothing is retraced, and nothing can be shared between models. The warning would only tell a
student to fix something that is not broken, so the loops that build models per trial run
inside ``models_built_per_trial()``; elsewhere (a student's own loop) it is kept.
"""
import contextlib
import logging

_RETRACING_MESSAGE = "triggered tf.function retracing"


class _DropRetracingWarnings(logging.Filter):
    def filter(self, record):
        return _RETRACING_MESSAGE not in record.getMessage()


@contextlib.contextmanager
def models_built_per_trial():
    """Within the block, TensorFlow's logger drops its retracing warning (and nothing else)."""
    logger = logging.getLogger("tensorflow")
    drop = _DropRetracingWarnings()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
