"""A small CNN that reads MNIST digits: the kit's offline judge of generated digits.

The metrics of week 5 need a network that "knows" the data: the Inception network knows
ImageNet photos, this one knows handwritten digits. Its softmax gives MNIST Inception
Scores (at most 10) and digit labels for generated samples; its 128-d ``features`` layer
gives MNIST-FID, KID and precision/recall in seconds on a CPU.

The weights ship with the kit (``assets/mnist_classifier.weights.h5``, about 0.5 MB) and are
reproduced by ``python scripts/train_mnist_classifier.py``: trained on the 4,500 bundled
training digits with random rotations, shifts and zooms; accuracy on the 500 bundled test
digits it never saw is recorded in assets/README.md.
"""
import keras

from genai_kit import config

WEIGHTS_ASSET = "mnist_classifier.weights.h5"
FEATURES_LAYER = "features"
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def build_mnist_classifier(feature_dim=128, dropout=0.3):
    """The untrained classifier: four conv blocks, a feature layer, a softmax.

    Args:
        feature_dim: width of the penultimate ``features`` layer (the metric features).
        dropout: dropout rate before the softmax (active only in training).
    Returns:
        keras.Model: float32 (n, 28, 28, 1) in [0, 1] -> softmax probabilities (n, 10).
    """
    inputs = keras.Input(shape=IMAGE_SHAPE, name="digits")
    x = inputs
    # narrow early layers on large maps keep it fast: 20,000 digits in about a second
    for filters in (16, 32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        if filters != 128:
            x = keras.layers.MaxPooling2D()(x)  # 28 -> 14 -> 7 -> 3
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURES_LAYER)(x)
    x = keras.layers.Dropout(dropout)(features)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_classifier")


def load_mnist_classifier(weights_path=None):
    """The trained classifier.

    Args:
        weights_path: a ``.weights.h5`` file; default: the weights shipped in assets/.
    Returns:
        keras.Model: float32 (n, 28, 28, 1) in [0, 1] (white digit on black, as MNIST)
        -> softmax probabilities (n, 10). For other images (64x64 colour digits,
        generator outputs in [-1, 1]) use ``genai_kit.features.classify_digits``.
    """
    model = build_mnist_classifier()
    model.load_weights(config.asset_path(WEIGHTS_ASSET) if weights_path is None else weights_path)
    return model


def feature_and_probability_model(classifier):
    """A two-output view of a classifier: images -> (features (n, 128), probabilities (n, 10))."""
    return keras.Model(
        classifier.input,  # one input, not a list: direct calls then take an array
        [classifier.get_layer(FEATURES_LAYER).output, classifier.output],
        name="mnist_features",
    )
