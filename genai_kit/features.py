"""Feature extractors for the metrics: what a trained network sees in an image.

An extractor is called on images and returns ``(features, probabilities)``: the features
feed FID, KID and precision/recall, the class probabilities the Inception Score.

- :class:`MnistFeatures` (offline, seconds on a CPU): the kit's small MNIST classifier,
  128-d features and 10 digit probabilities. Takes MNIST digits (n, 28, 28, 1) and the
  64x64 colour digits of the DCGAN week (converted to grey and resized, see
  :func:`to_mnist_digits`).
- :class:`InceptionFeatures`: Keras' InceptionV3 with ImageNet weights, the network of
  the published IS and FID, 2048-d pool features and 1000 class probabilities.

:func:`classify_digits` labels digits with the MNIST classifier.
"""
import functools

import keras
import numpy as np
import tensorflow as tf

from genai_kit import batches, checks, pixels
from genai_kit.models import mnist_classifier

MNIST_SIZE = 28
INCEPTION_SIZE = 299


def to_mnist_digits(images, value_range=(0, 1)):
    """Converts digit images to the MNIST classifier's input: (n, 28, 28, 1) in [0, 1].

    Colour images are averaged to grey, resized to 28x28 by area averaging and then
    stretched per image so the background (the median pixel) is 0 and the brightest
    pixel 1: a coloured digit on a coloured background becomes white on black, like
    MNIST. Grey images are only resized (MNIST is already white on black).

    Args:
        images: float (n, H, W, 1 or 3), e.g. MNIST (n, 28, 28, 1) in [0, 1] or the
            colour digits (n, 64, 64, 3) in [-1, 1].
        value_range: (low, high) of ``images``.
    Returns:
        numpy float32 (n, 28, 28, 1) in [0, 1].
    """
    images = pixels.check_images(images, value_range=value_range)
    images = pixels.to_unit_range(images, value_range)
    colour = images.shape[-1] == 3
    digits = images.mean(axis=-1, keepdims=True) if colour else images
    if digits.shape[1:3] != (MNIST_SIZE, MNIST_SIZE):
        digits = tf.image.resize(digits, (MNIST_SIZE, MNIST_SIZE), method="area").numpy()
    if colour:
        background = np.median(digits, axis=(1, 2, 3), keepdims=True)
        brightest = digits.max(axis=(1, 2, 3), keepdims=True)
        digits = (digits - background) / np.maximum(brightest - background, 1e-6)
    return np.clip(digits, 0.0, 1.0).astype(np.float32)


class MnistFeatures:
    """The kit's MNIST classifier as a feature extractor (offline).

    Args:
        weights_path: classifier weights; default: the weights shipped with the kit.
        batch_size: images per forward pass.

    Call it as ``features, probabilities = extractor(images, value_range=(0, 1))`` with
    images as in :func:`to_mnist_digits`; features are float32 (n, 128),
    probabilities float32 (n, 10).
    """

    name = "mnist"
    feature_dim = 128
    num_classes = mnist_classifier.NUM_CLASSES

    def __init__(self, weights_path=None, batch_size=1000):
        classifier = mnist_classifier.load_mnist_classifier(weights_path)
        self.model = mnist_classifier.feature_and_probability_model(classifier)
        self.batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                         hint=": images per forward pass")

    def __call__(self, images, value_range=(0, 1), progress=False):
        digits = to_mnist_digits(images, value_range)
        return tuple(batches.predict_in_batches(self.model, digits, self.batch_size, progress,
                                                "MNIST features"))


class InceptionFeatures:
    """InceptionV3 (keras.applications) as a feature extractor: the network of IS and FID.

    Images are rescaled to [0, 255], grey ones repeated to 3 channels, resized to 299x299
    with bilinear interpolation (as the original TensorFlow FID code) and scaled by
    ``keras.applications.inception_v3.preprocess_input`` to [-1, 1]; the network runs with
    ``training=False``. Outputs: the 2048-d global average pool (FID, KID, precision/recall)
    and the 1000 ImageNet class probabilities (IS).

    Keras' InceptionV3 is not the 2015 graph the papers used (torch-fidelity and the
    original TF code ship that one), so FID/IS from it are not comparable with published
    numbers; compare models with each other, at equal sample counts.

    Args:
        weights: "imagenet" (downloaded once by Keras into ~/.keras/models; needs the
            network, e.g. on Colab), a local path to the full InceptionV3 weights file
            ``inception_v3_weights_tf_dim_ordering_tf_kernels.h5`` for offline machines,
            or None for random weights (tests only: the numbers mean nothing).
        batch_size: images per forward pass (memory grows with it; lower it on a small GPU).
    """

    name = "inception"
    feature_dim = 2048
    num_classes = 1000

    def __init__(self, weights="imagenet", batch_size=64):
        network = keras.applications.InceptionV3(include_top=True, weights=weights)
        self.model = keras.Model(network.input,
                                 [network.get_layer("avg_pool").output, network.output])
        self.batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                         hint=": images per forward pass")

    @staticmethod
    def preprocess(images):
        """[0, 1] images (n, H, W, 1 or 3) -> InceptionV3 input (n, 299, 299, 3) in [-1, 1]."""
        levels = np.asarray(images, dtype=np.float32) * 255.0
        if levels.shape[-1] == 1:
            levels = np.repeat(levels, 3, axis=-1)
        resized = tf.image.resize(levels, (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear")
        return keras.applications.inception_v3.preprocess_input(resized.numpy())

    def __call__(self, images, value_range=(0, 1), progress=False):
        images = pixels.check_images(images, value_range=value_range)
        images = pixels.to_unit_range(images, value_range)
        return tuple(batches.map_in_batches(
            lambda batch: self.model(self.preprocess(batch), training=False), images,
            self.batch_size, progress, "Inception features"))


@functools.lru_cache(maxsize=None)
def mnist_features():
    """The shared :class:`MnistFeatures` with the shipped weights (built once per session)."""
    return MnistFeatures()


@functools.lru_cache(maxsize=None)
def inception_features():
    """The shared :class:`InceptionFeatures` with ImageNet weights (downloaded, built once)."""
    return InceptionFeatures()


def get_extractor(extractor):
    """"mnist" / "inception" -> the shared MnistFeatures / InceptionFeatures, else itself.

    Any callable ``extractor(images, value_range=..., progress=...) -> (features,
    probabilities)`` works where the kit takes an extractor.
    """
    if extractor == "mnist":
        return mnist_features()
    if extractor == "inception":
        return inception_features()
    if callable(extractor):
        return extractor
    raise ValueError(f"unknown extractor {extractor!r}: use \"mnist\", \"inception\" or an "
                     "object called as extractor(images, value_range) -> (features, probabilities)")


def classify_digits(images, value_range=(0, 1)):
    """Labels digit images with the kit's MNIST classifier.

    Args:
        images: MNIST digits (n, 28, 28, 1) or colour digits (n, 64, 64, 3), see
            :func:`to_mnist_digits`.
        value_range: (low, high) of ``images``, e.g. (-1, 1) for a tanh generator.
    Returns:
        (labels, confidences): int64 (n,) predicted digit, float32 (n,) its probability.
    """
    _, probabilities = mnist_features()(images, value_range=value_range)
    return probabilities.argmax(axis=1).astype(np.int64), probabilities.max(axis=1)
