"""Batch size: how throughput grows with it, and the largest batch a memory budget allows.

Larger batches use the hardware better (one matrix product on 256 rows costs far less than
256 products on one row) until the machine is busy; after that, throughput stays flat and
only memory grows. Training memory is, to a first approximation,

    weights + gradients + optimizer slots   (4 bytes each; Adam keeps 2 slots per weight)
    + batch_size * (activations + their gradients per example)

:func:`training_memory_bytes` computes that estimate from the model's layer outputs: an
estimate, not a measurement (frameworks keep workspaces and copies besides).
"""
import numpy as np

from genai_kit import checks
from genai_kit.efficient import digits, mixed_precision

# Adam: the weight, its gradient, and the two moment estimates
COPIES_PER_WEIGHT = 4
# each activation is kept for the backward pass and gets a gradient of the same size
COPIES_PER_ACTIVATION = 2


def activation_count(model):
    """Scalars of every layer output, the input included, for one example: int."""
    return sum(int(np.prod(output.shape[1:])) for layer in model.layers
               for output in _outputs(layer))


def training_memory_bytes(model, batch_size, bytes_per_value=4):
    """Estimated bytes to train ``model`` with Adam on batches of ``batch_size``.

    Args:
        model: a built functional Keras model.
        batch_size: a positive int.
        bytes_per_value: bytes of one activation (4 in float32, 2 under a mixed policy).
    Returns:
        int, the weights' part plus ``batch_size`` times the activations' part.
    """
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    return _weights_bytes(model) + batch_size * _bytes_per_example(model, bytes_per_value)


def largest_batch_within(model, budget_bytes, bytes_per_value=4):
    """The largest batch size whose :func:`training_memory_bytes` fits ``budget_bytes``.

    Returns:
        int >= 0; 0 when not even one example fits beside the weights and Adam's state.
    """
    budget_bytes = checks.number("budget_bytes", budget_bytes, low=0)
    spare = budget_bytes - _weights_bytes(model)
    return max(0, int(spare // _bytes_per_example(model, bytes_per_value)))


def _weights_bytes(model):
    return COPIES_PER_WEIGHT * model.count_params() * 4


def _bytes_per_example(model, bytes_per_value):
    return COPIES_PER_ACTIVATION * activation_count(model) * bytes_per_value


def throughput_by_batch_size(images, labels, batch_sizes=(16, 64, 256, 1024), num_batches=10,
                             seed=0, build=digits.compiled_classifier):
    """Training examples per second at each batch size, each on a fresh compiled model.

    Args:
        images, labels: at least max(batch_sizes) examples.
        build: ``seed -> compiled keras.Model``; default the week's dense classifier.
    Returns:
        dict batch size -> examples per second.
    """
    return {batch_size: mixed_precision.training_throughput(
                build(seed=seed), images, labels, batch_size=batch_size,
                num_batches=num_batches)
            for batch_size in batch_sizes}


def _outputs(layer):
    output = layer.output
    return output if isinstance(output, (list, tuple)) else [output]
