"""The week's baseline: a dense digit classifier on the kit's real MNIST digits.

Every technique of the week is measured against this float32 model. It is dense on purpose:
Keras quantizes only Dense, EinsumDense and Embedding layers, and low-rank adapters are
clearest on a matrix. (The kit's CNN judge, ``models.mnist_classifier``, keeps 86% of its
parameters in convolutions; :mod:`genai_kit.efficient.quantization` says what that means.)

    (x, y), (x_test, y_test) = digits.split("train"), digits.split("test")
    model = digits.build_dense_classifier(seed=0)
    digits.train_classifier(model, x, y, epochs=20)
    digits.accuracy(model, x_test, y_test)

The models output logits (no softmax), so that distillation can soften them with a
temperature and losses are computed from logits.
"""
import keras
import numpy as np

from genai_kit import checks, data, pixels
from genai_kit.batches import predict_in_batches

# architecture
HIDDEN_UNITS = (256, 128)
# optimization
LEARNING_RATE = 1e-3
BATCH_SIZE = 64
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)


def split(split_name="train", digits=None, source="bundled", num_examples=None):
    """MNIST digits of one split, optionally only some classes.

    Args:
        split_name: "train" or "test".
        digits: an iterable of classes in 0..9 to keep (e.g. range(5)); None keeps all.
        source: as ``data.load_mnist``; "bundled" (the default) works offline.
        num_examples: keep the first n digits after the class filter (None keeps all).
    Returns:
        (images, labels): float32 (n, 28, 28, 1) in [0, 1] and int64 (n,) in 0..9.
    """
    images, labels = data.load_mnist(split_name, source=source)
    if digits is not None:
        digits = sorted({checks.integer("digit", digit, minimum=0, maximum=9)
                         for digit in digits})
        if not digits:
            raise ValueError("digits is empty: pass the classes to keep, e.g. digits=range(5)")
        keep = np.isin(labels, digits)
        images, labels = images[keep], labels[keep]
    if num_examples is not None:
        num_examples = checks.integer("num_examples", num_examples, minimum=1)
        images, labels = images[:num_examples], labels[:num_examples]
    return images, labels


def check_digits(images, labels=None, name="images"):
    """(images, labels) as float32 (n, 28, 28, 1) in [0, 1] and int64 (n,) in 0..9.

    Args:
        images: array-like (n, 28, 28, 1), n >= 1, in [0, 1] (``pixels.check_images``).
        labels: None, or n whole numbers in 0..9.
        name: the images' argument name, for the message.
    Raises:
        ValueError: a wrong shape, range or label, with the fix.
    """
    images = pixels.check_images(images, IMAGE_SHAPE, pixels.UNIT_RANGE)
    if not len(images):
        raise ValueError(f"{name} is empty: pass at least one digit")
    if labels is None:
        return images, None
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {len(images)} integers, one per image, got shape "
                         f"{labels.shape} and dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"labels must be in 0..{NUM_CLASSES - 1}, got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return images, labels.astype(np.int64)


def compiled_classifier(seed=0):
    """:func:`build_dense_classifier` compiled by :func:`compile_classifier`, ready to train."""
    return compile_classifier(build_dense_classifier(seed=seed))


def build_dense_classifier(hidden_units=HIDDEN_UNITS, seed=0, name="dense_classifier"):
    """An MLP 784 -> hidden_units -> 10 logits, ReLU between layers.

    Args:
        hidden_units: widths of the hidden Dense layers, each a positive int.
        seed: seeds the weight initialisers, so the same seed gives the same model.
    Returns:
        keras.Model: float32 (n, 28, 28, 1) in [0, 1] -> logits (n, 10), built.
    """
    hidden_units = [checks.integer("hidden units", units, minimum=1) for units in hidden_units]
    inputs = keras.Input(shape=IMAGE_SHAPE, name="digits")
    x = keras.layers.Flatten()(inputs)
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{index}",
                               kernel_initializer=keras.initializers.GlorotUniform(seed + index))(x)
    # the output layer stays float32 under a mixed policy: logits and the loss in full precision
    outputs = keras.layers.Dense(
        NUM_CLASSES, name="logits", dtype="float32",
        kernel_initializer=keras.initializers.GlorotUniform(seed + len(hidden_units)))(x)
    return keras.Model(inputs, outputs, name=name)


def compile_classifier(model, learning_rate=LEARNING_RATE):
    """Compiles ``model`` (logits out) with Adam, cross-entropy from logits and accuracy."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def train_classifier(model, images, labels, epochs=20, batch_size=BATCH_SIZE,
                     learning_rate=LEARNING_RATE, seed=0, callbacks=(), compile=True):
    """Trains a logits classifier with Adam on (images, labels); returns the History.

    Args:
        model: a Keras model, (n, 28, 28, 1) -> logits (n, 10).
        images, labels: float32 (n, 28, 28, 1) in [0, 1], int (n,) in 0..9.
        epochs, batch_size: positive ints.
        seed: seeds the shuffling (``keras.utils.set_random_seed``).
        callbacks: Keras callbacks (e.g. pruning's).
        compile: False keeps a compilation the caller made (its optimizer, its loss).
    """
    epochs = checks.integer("epochs", epochs, minimum=1)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    images, labels = check_digits(images, labels)
    keras.utils.set_random_seed(seed)
    if compile:
        compile_classifier(model, learning_rate)
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size,
                     callbacks=list(callbacks), verbose=0, shuffle=True)


def accuracy(model, images, labels, batch_size=256):
    """Share of ``images`` whose highest output is the label: float in [0, 1]."""
    outputs = predict_in_batches(model, images, batch_size=batch_size)
    return float(np.mean(np.argmax(outputs, axis=-1) == np.asarray(labels)))
