import genai_kit  # noqa: F401  (sets TF defaults before keras)
import numpy as np
import pytest

from genai_kit import data, features
from genai_kit.models import mnist_classifier
from tolerances import assert_rounding_close


@pytest.fixture(scope="module")
def test_digits():
    return data.load_mnist("test", source="bundled")


def test_mnist_classifier_held_out_accuracy_is_at_least_97_percent(test_digits):
    images, labels = test_digits  # the 500 bundled digits the classifier never trained on
    probabilities = mnist_classifier.load_mnist_classifier().predict(images, verbose=0)
    assert probabilities.shape == (500, 10)
    # a float32 softmax over 10 classes and its sum: a few roundings per class at size 1
    assert_rounding_close(probabilities.sum(axis=1), 1.0, roundings=2 * 10 + 4, magnitude=1.0)
    assert np.mean(probabilities.argmax(axis=1) == labels) >= 0.97


def test_classify_digits_reads_colour_digits_in_tanh_range(test_digits):
    colour_images, labels = data.colour_digits("test")
    predicted, confidences = features.classify_digits(colour_images, value_range=(-1, 1))
    assert predicted.dtype == np.int64 and confidences.shape == (500,)
    assert np.mean(predicted == labels) >= 0.97
    assert np.all((confidences > 0.1) & (confidences <= 1.0))


def test_to_mnist_digits_turns_colour_digits_back_into_mnist(test_digits):
    images, _ = test_digits
    colour_images, _ = data.colour_digits("test")
    converted = features.to_mnist_digits(colour_images, value_range=(-1, 1))
    assert converted.shape == (500, 28, 28, 1) and converted.dtype == np.float32
    assert 0.0 <= converted.min() and converted.max() <= 1.0
    # white on black again: close to the original digits, pixel by pixel
    assert np.abs(converted - images).mean() < 0.05


def test_mnist_features_are_128_d_and_separate_the_digits(test_digits):
    images, labels = test_digits
    extracted, probabilities = features.mnist_features()(images)
    assert extracted.shape == (500, 128) and probabilities.shape == (500, 10)
    centroids = np.stack([extracted[labels == digit].mean(axis=0) for digit in range(10)])
    nearest = np.argmin(((extracted[:, None] - centroids[None]) ** 2).sum(axis=-1), axis=1)
    assert np.mean(nearest == labels) > 0.95


def test_images_outside_the_declared_range_are_a_clear_error():
    with pytest.raises(ValueError, match="value_range=\\(-1, 1\\)"):
        features.to_mnist_digits(np.full((2, 28, 28, 1), -0.5, np.float32))
    with pytest.raises(ValueError, match="channel axis"):
        features.to_mnist_digits(np.zeros((2, 28, 28), np.float32))


def test_inception_preprocessing_gives_299_pixel_colour_images_in_unit_tanh_range():
    grey = np.linspace(0, 1, 2 * 32 * 32).reshape(2, 32, 32, 1).astype(np.float32)
    prepared = features.InceptionFeatures.preprocess(grey)
    assert prepared.shape == (2, 299, 299, 3)
    # not rounding: bilinear resizing averages the first and last pixels with their neighbours,
    # which lie 1/2048 of the grey ramp inwards, so the ends reach -1 and 1 within 0.01
    assert prepared.min() == pytest.approx(-1.0, abs=0.01)
    assert prepared.max() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(prepared[..., 0], prepared[..., 2])


def test_inception_features_have_2048_dims_and_1000_probabilities():
    extractor = features.InceptionFeatures(weights=None, batch_size=2)  # random weights, offline
    extracted, probabilities = extractor(np.random.default_rng(0).uniform(size=(3, 40, 40, 3)))
    assert extracted.shape == (3, 2048) and probabilities.shape == (3, 1000)
    # the same over 1,000 classes
    assert_rounding_close(probabilities.sum(axis=1), 1.0, roundings=2 * 1000 + 4, magnitude=1.0)
