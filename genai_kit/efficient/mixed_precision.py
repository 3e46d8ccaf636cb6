"""Mixed precision: compute in 16 bits, keep the weights and the loss in float32.

A Keras dtype policy names two types: the one a layer computes in and the one its weights
are stored in. ``"mixed_float16"`` and ``"mixed_bfloat16"`` compute in 16 bits and store
float32 weights, so each update is still added in full precision. The output layer of the
week's models is float32 (``dtype="float32"``), so logits and the loss are too.

float16 has 5 exponent bits: small gradients underflow to 0. Keras therefore wraps the
optimizer of a ``mixed_float16`` model in a ``LossScaleOptimizer``, which multiplies the
loss by a large factor before the gradient and divides the gradient after, lowering the
factor whenever a step overflows. bfloat16 keeps float32's 8 exponent bits and needs no
scaling, at the price of 8 bits of mantissa instead of 11.

Speed depends on the hardware: GPUs and CPUs with native 16-bit instructions (AVX512-BF16,
AMX, AVX512-FP16) gain; on other CPUs the 16-bit products are emulated and slower than
float32. ``benchmarks/efficient_models.py`` measures it on the machine at hand.
"""
import time

import keras
import numpy as np

from genai_kit import checks, precision, tensorflow_messages
from genai_kit.efficient import digits

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def check_policy(policy):
    """``policy`` after checking it is one of :data:`POLICIES`."""
    return checks.choice("policy", policy, POLICIES)


def train_under_policy(policy, images, labels, epochs=10, seed=0,
                       build=digits.build_dense_classifier, **train_arguments):
    """Builds and trains a classifier whose layers compute in ``policy``.

    The global Keras policy is set only while the model is built and compiled, and is
    restored afterwards even if building or training fails.

    Args:
        policy: one of :data:`POLICIES`.
        images, labels: as ``digits.train_classifier``.
        build: a function ``seed -> keras.Model`` returning logits in float32.
        train_arguments: passed on to ``digits.train_classifier`` (batch_size, ...).
    Returns:
        (model, history).
    """
    policy = check_policy(policy)
    if policy == "mixed_float16":
        # float16 products print oneDNN's one-time "falls back to Eigen" notice on most CPUs
        tensorflow_messages.use_up_onednn_data_type_notice()
    with precision.policy_scope(policy):
        model = build(seed=seed)
        digits.compile_classifier(model, train_arguments.pop("learning_rate",
                                                             digits.LEARNING_RATE))
    history = digits.train_classifier(model, images, labels, epochs=epochs, seed=seed,
                                      compile=False, **train_arguments)
    return model, history


def training_throughput(model, images, labels, batch_size=digits.BATCH_SIZE, num_batches=20):
    """Training examples per second of a compiled ``model``, after one untimed step.

    Args:
        model: a compiled Keras model.
        images, labels: at least ``batch_size`` examples.
        batch_size, num_batches: positive ints; the timed steps cycle through the data.
    Returns:
        float, examples per second (tracing and warm-up excluded).
    """
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    num_batches = checks.integer("num_batches", num_batches, minimum=1)
    if len(images) < batch_size:
        raise ValueError(f"need at least batch_size = {batch_size} examples, got "
                         f"{len(images)}: pass more data or a smaller batch_size")
    if not model.compiled:
        raise ValueError(f"model {model.name!r} is not compiled: compile it (or train it "
                         "once) before measuring its training speed")
    starts = np.arange(num_batches + 1) * batch_size % (len(images) - batch_size + 1)
    model.train_on_batch(images[:batch_size], labels[:batch_size])  # trace and warm up
    start_time = time.perf_counter()
    for start in starts[1:]:
        model.train_on_batch(images[start:start + batch_size], labels[start:start + batch_size])
    return num_batches * batch_size / (time.perf_counter() - start_time)


def compute_dtypes(model):
    """{layer name: compute dtype} of a model's layers with weights, e.g. to see "float16"."""
    return {layer.name: layer.compute_dtype for layer in model.layers if layer.weights}


def is_loss_scaled(model):
    """Whether ``model``'s optimizer scales the loss (a ``LossScaleOptimizer``): bool."""
    return isinstance(getattr(model, "optimizer", None), keras.optimizers.LossScaleOptimizer)
