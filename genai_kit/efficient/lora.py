"""Low-rank adaptation (LoRA, Hu et al. 2021): fine-tune a few parameters, keep the rest.

A frozen kernel W (d_in, d_out) gets a trainable low-rank update, and the layer computes

    x @ (W + (alpha / r) * A @ B),   A: (d_in, r), B: (r, d_out), B = 0 at the start,

so the adapted model starts exactly where the trained one was, and fine-tuning trains
r * (d_in + d_out) numbers per layer instead of d_in * d_out. Keras 3 has it built in:
``layer.enable_lora(rank)`` on Dense, EinsumDense and the convolutions (for a convolution
the kernel is reshaped to a matrix first). :func:`enable_lora` calls it on a whole model and
freezes what LoRA does not train, so that the count of trainable parameters is honest.

    model = lora.lora_copy(trained, rank=4)
    lora.trainable_share(model)      # the share of parameters fine-tuning touches
"""
import keras
import numpy as np

from genai_kit import checks
from genai_kit.efficient import layers, size

# adapters start at zero and need larger steps than training from scratch
LEARNING_RATE = 1e-2
# the layer types Keras can adapt with enable_lora
ADAPTABLE_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D,
                    keras.layers.Conv2D, keras.layers.Conv3D)


def enable_lora(model, rank, alpha=None, train_biases=False):
    """Adds rank-``rank`` adapters to every adaptable layer of ``model``, in place.

    Args:
        model: a built Keras model with at least one Dense or convolution layer.
        rank: the adapters' rank r, an int >= 1 and at most the smaller side of every
            adapted kernel.
        alpha: the scale numerator (the update is multiplied by alpha / r); None is r.
        train_biases: keep the biases trainable (a few more parameters); otherwise every
            weight but the adapters is frozen, normalisation statistics included.
    Returns:
        list of the adapted layers' names.
    Raises:
        ValueError: a rank < 1 or too large, an unbuilt model, no adaptable layer, or
            adapters already enabled.
    """
    rank = checks.integer("rank", rank, minimum=1, hint=": LoRA needs at least one "
                          "direction per adapter, e.g. rank=4")
    if alpha is not None:
        alpha = checks.number("alpha", alpha, low=0.0, low_inclusive=False)
    size.parameter_counts(model)  # the built check, with its message
    adapted = adaptable_layers(model)
    if not adapted:
        raise ValueError(f"model {model.name!r} has no Dense, EinsumDense or convolution "
                         "layer to adapt")
    for layer in adapted:
        if layer.lora_enabled:
            raise ValueError(f"layer {layer.name!r} already has LoRA adapters: start again "
                             "from the trained model (lora_copy)")
        smallest = min(_kernel_matrix_shape(layer))
        if rank > smallest:
            raise ValueError(f"rank {rank} is larger than layer {layer.name!r}'s kernel allows "
                             f"(a {_kernel_matrix_shape(layer)} matrix has rank at most "
                             f"{smallest}): pick rank <= {smallest}")
    for layer in layers.leaf_layers(model):
        layer.trainable = layer in adapted  # freezes BatchNormalization and the rest
    for layer in adapted:
        layer.enable_lora(rank, lora_alpha=alpha)  # freezes the kernel, adds A and B
        if layer.bias is not None and not train_biases:
            layer.bias.trainable = False
    return [layer.name for layer in adapted]


def lora_copy(model, rank, alpha=None, train_biases=False):
    """A copy of a trained functional ``model`` with adapters (the original is unchanged)."""
    copy = layers.copy_of(model)
    enable_lora(copy, rank, alpha=alpha, train_biases=train_biases)
    return copy


def adaptable_layers(model):
    """The layers of ``model`` that ``enable_lora`` adapts: Dense, EinsumDense, Conv*D."""
    return [layer for layer in layers.leaf_layers(model) if isinstance(layer, ADAPTABLE_LAYERS)]


def adapter_parameter_count(model):
    """Number of scalars in the LoRA adapters (A and B of every adapted layer): int."""
    return sum(int(np.prod(layer.lora_kernel_a.shape)) + int(np.prod(layer.lora_kernel_b.shape))
               for layer in adaptable_layers(model) if layer.lora_enabled)


def trainable_share(model):
    """Trainable parameters over all parameters of ``model``: float in [0, 1]."""
    total, trainable = size.parameter_counts(model)
    return trainable / total


def _kernel_matrix_shape(layer):
    """The kernel as LoRA sees it, (inputs, outputs): a convolution's window folded in."""
    shape = tuple(int(dimension) for dimension in layer.kernel.shape)
    return (int(np.prod(shape[:-1])), shape[-1])
