"""What a model costs: parameters, bytes in memory, bytes on disk, and time per call.

The week's table compares every technique on these columns, each against the float32
baseline measured in the same run:

    size.parameter_counts(model)     # (total, trainable)
    size.weight_bytes(model)         # bytes of every variable, by its own dtype
    size.keras_file_bytes(model)     # (bytes of the .keras file, bytes after gzip)
    size.latency(model, batch_size=1)

``weight_bytes`` counts an int8 kernel at one byte per entry and its float32 scales at
four; a pruned float32 kernel still costs four bytes per entry, zeros included, until it is
compressed (gzip) or stored sparse (:mod:`genai_kit.efficient.pruning`).
"""
import gzip
import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks

# latency: calls timed after the warm-up call, which traces the function
LATENCY_REPEATS = 100
GZIP_LEVEL = 9


def parameter_counts(model):
    """(total, trainable) numbers of scalars in ``model``'s variables, as ints.

    Counted from the variables themselves, so a quantized kernel counts once (its scales
    add a few), and LoRA's adapters count as trainable while the frozen kernel does not.
    """
    _check_built(model)
    total = sum(int(np.prod(variable.shape)) for variable in model.weights)
    trainable = sum(int(np.prod(variable.shape)) for variable in model.trainable_weights)
    return total, trainable


def weight_bytes(model, kernels_only=False):
    """Bytes of ``model``'s variables, each at its own dtype's size (int8: 1, float32: 4).

    Args:
        model: a built Keras model.
        kernels_only: count only the variables named "kernel" and their quantization scales
            (the part ``model.quantize`` changes), not biases or normalisation statistics.
    Returns:
        int.
    """
    _check_built(model)
    total = 0
    for variable in model.weights:
        name = variable.path.split("/")[-1]
        if kernels_only and "kernel" not in name:
            continue
        total += int(np.prod(variable.shape)) * np.dtype(keras.backend.standardize_dtype(
            variable.dtype)).itemsize
    return total


def gzip_weight_bytes(model):
    """Bytes of ``model``'s raw weights, one after the other, after gzip -9: int.

    Float32 values of a trained model hardly compress; the zeros of a pruned kernel do.
    """
    _check_built(model)
    raw = b"".join(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes()
                   for weight in model.weights)
    # mtime=0: the same weights give the same bytes
    return len(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0))


def keras_file_bytes(model):
    """(bytes of ``model`` saved as a ``.keras`` file, bytes of that file after gzip -9).

    The file is the model as inference ships it: architecture and weights, without an
    optimizer's state (Adam's two slots would triple a trained model's file). gzip shows how
    much of it is redundancy: Keras stores the zip's members uncompressed, so the file does
    not shrink when a kernel is pruned, its gzip does.
    """
    _check_built(model)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        if getattr(model, "optimizer", None) is not None:  # save again without its state
            keras.saving.load_model(path, compile=False).save(path)
        with open(path, "rb") as file:
            content = file.read()
    return len(content), len(gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0))


def latency(model, batch_size=1, repeats=LATENCY_REPEATS, seed=0):
    """Seconds of one inference call on a batch of ``batch_size`` random inputs (the fastest
    of ``repeats`` calls: the least disturbed by whatever else the machine runs).

    The call is a ``tf.function`` of ``model(x, training=False)``, traced and run once
    before timing, so tracing and warm-up are excluded.

    Args:
        model: a built Keras model with one input.
        batch_size, repeats: positive ints.
    Returns:
        float seconds per call (divide by ``batch_size`` for seconds per example).
    """
    _check_built(model)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    repeats = checks.integer("repeats", repeats, minimum=1)
    shape = (batch_size,) + tuple(model.inputs[0].shape[1:])
    inputs = tf.constant(np.random.default_rng(seed).random(shape, dtype=np.float32))
    call = tf.function(lambda x: model(x, training=False))
    call(inputs).numpy()  # trace and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(inputs).numpy()
        times.append(time.perf_counter() - start)
    return float(np.min(times))


def _check_built(model):
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    if not model.built or not model.weights:
        raise ValueError(
            f"model {model.name!r} is not built, so it has no weights to measure or "
            "compress: call it on a batch first (model(x)) or build it with "
            "model.build(input_shape)")
