"""Running a model on many inputs, one batch at a time: the kit's one way to do it.

The rule: call the model directly, ``model(batch, training=False)``, never ``model.predict``.
``predict`` builds a ``tf.function`` for every model and traces it again for every new batch
shape, so the many small calls of a notebook (16 samples here, 1,000 there, a new model each
week) spend their time tracing instead of computing, and each prints a progress bar. A direct
call runs the layers with their inference behaviour (batch normalization's moving statistics,
no dropout) and nothing to trace; the batches keep memory bounded for large n.
"""
import keras
import numpy as np

from genai_kit import checks
from genai_kit.progress import progress_bar


def map_in_batches(function, inputs, batch_size=256, progress=False, description="batches"):
    """``function(inputs[start:start + batch_size])`` for each batch, joined along axis 0.

    Args:
        function: callable taking an array (b, ...) and returning an array, tensor, or a
            list/tuple/dict of them, each with b rows.
        inputs: numpy array (n, ...), n >= 1.
        batch_size: rows per call, a positive int.
        progress: show a tqdm progress bar over the batches.
        description: the progress bar's label.
    Returns:
        the output structure of ``function`` with numpy arrays of n rows.
    """
    batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                hint=": a positive number of inputs per call, e.g. 256")
    if len(inputs) == 0:
        raise ValueError("got 0 inputs: pass at least one image or latent")
    starts = range(0, len(inputs), batch_size)
    outputs = [function(inputs[start:start + batch_size])
               for start in progress_bar(starts, desc=description, unit="batch",
                                         disable=not progress)]
    return keras.tree.map_structure(
        lambda *parts: np.concatenate([keras.ops.convert_to_numpy(part) for part in parts]),
        *outputs)


def predict_in_batches(model, inputs, batch_size=256, progress=False, description="batches"):
    """``model(inputs, training=False)`` batch by batch, as numpy (see the module's rule).

    Args:
        model: a Keras model or layer.
        inputs: numpy array (n, ...), n >= 1, as the model takes it.
        batch_size: rows per call.
        progress, description: a progress bar over the batches, as :func:`map_in_batches`.
    Returns:
        the model's output structure (array, list or dict) with numpy arrays of n rows.
    """
    return map_in_batches(lambda batch: model(batch, training=False), inputs, batch_size,
                          progress, description)
