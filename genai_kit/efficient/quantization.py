"""Post-training quantization: store a trained model's kernels as int8 (or int4).

Keras does it in one call, ``model.quantize("int8")``: every Dense, EinsumDense and
Embedding kernel becomes an int8 tensor with one float32 scale per output unit
(abs-max scaling, w ~ scale * round(w / scale)), and the layer's matrix products run on the
rounded values. Other layers keep float32. For a CNN that matters: convolutions are not
quantized, so a network that keeps most of its parameters in convolutions (the kit's
MNIST judge) keeps most of its bytes. :func:`quantizable_share` says how much of a model
``quantize`` can reach.

:func:`quantized_copy` quantizes a copy and leaves the float32 model as it was, so both can
be measured side by side.
"""
import warnings

import keras

from genai_kit import checks, tensorflow_messages
from genai_kit.efficient import layers, size

# the modes that compress a trained model from its weights alone; gptq and awq also need
# calibration data, and "float8" is for training in float8 (it keeps float32 kernels)
WEIGHT_ONLY_MODES = ("int8", "int4")
QUANTIZABLE_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Embedding)


def check_mode(mode):
    """``mode`` after checking the installed Keras quantizes with it without calibration data."""
    if mode in ("gptq", "awq"):
        raise ValueError(f"mode {mode!r} needs calibration data and a layer structure: call "
                         f"model.quantize({mode!r}, config=...) directly; this function takes "
                         f"one of {WEIGHT_ONLY_MODES}")
    return checks.choice("mode", mode, installed_modes())


def installed_modes():
    """The weight-only modes the installed Keras offers, e.g. ("int8", "int4").

    Read from the public configuration classes (``keras.quantizers.Int4QuantizationConfig``
    and so on), which arrive with each mode.
    """
    return tuple(mode for mode in WEIGHT_ONLY_MODES
                 if hasattr(keras.quantizers, f"{mode.capitalize()}QuantizationConfig"))


def quantize(model, mode="int8"):
    """Quantizes a trained ``model``'s Dense, EinsumDense and Embedding kernels in place.

    Args:
        model: a built Keras model (a functional one, or a part such as a VAE's decoder).
        mode: "int8" or "int4" (as the installed Keras offers).
    Returns:
        ``model``, quantized.
    Raises:
        ValueError: an unknown mode, an unbuilt model, or a model with no layer that
            ``quantize`` changes (e.g. a CNN without a Dense layer).
    """
    mode = check_mode(mode)
    size.parameter_counts(model)  # the built check, with its message
    if quantizable_share(model) == 0:
        raise ValueError(f"model {model.name!r} has no Dense, EinsumDense or Embedding layer, "
                         "so quantize would change nothing: Keras does not quantize "
                         "convolutions")
    with warnings.catch_warnings():
        # Keras warns once per layer it skips (Input, Flatten, ...): the point of the week
        warnings.filterwarnings("ignore", message="Layer .* does not have a `quantize` method")
        model.quantize(mode)
    # integer products print oneDNN's one-time "falls back to Eigen" notice on some CPUs
    tensorflow_messages.use_up_onednn_data_type_notice()
    return model


def quantized_copy(model, mode="int8"):
    """A copy of a trained functional or sequential ``model`` with its kernels quantized.

    Args:
        model: a built Keras model (its weights are copied, it is not changed).
        mode: "int8" or "int4" (as the installed Keras offers).
    Returns:
        keras.Model, the quantized copy: same inputs and outputs, smaller kernels.
    Raises:
        ValueError: as :func:`quantize`.
    """
    mode = check_mode(mode)
    size.parameter_counts(model)  # the built check, before cloning
    return quantize(layers.copy_of(model), mode)


def quantizable_share(model):
    """Share of ``model``'s parameters inside layers ``quantize`` changes: float in [0, 1]."""
    total, _ = size.parameter_counts(model)
    reachable = sum(layer.count_params() for layer in layers.leaf_layers(model)
                    if isinstance(layer, QUANTIZABLE_LAYERS))
    return reachable / total


def quantized_layer_names(model):
    """Names of the layers of ``model`` whose kernels are quantized (list of str)."""
    return [layer.name for layer in layers.leaf_layers(model)
            if getattr(layer, "quantization_mode", None)]

