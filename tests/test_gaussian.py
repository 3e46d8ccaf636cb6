"""Week 0's class-conditional Gaussian: it generates, and it classifies through Bayes' rule."""
import numpy as np
import pytest

from genai_kit import data
from genai_kit.models.gaussian import ClassConditionalGaussian
from tolerances import assert_rounding_close


@pytest.fixture(scope="module")
def fitted():
    images, labels = data.load_mnist("train", source="bundled")
    return ClassConditionalGaussian(num_components=30).fit(images, labels)


def test_bayes_rule_classifies_held_out_digits_well(fitted):
    images, labels = data.load_mnist("test", source="bundled")
    assert np.mean(fitted.predict(images) == labels) > 0.9


def test_samples_have_image_shape_and_range_and_look_like_their_class(fitted):
    samples = fitted.sample(class_labels=np.repeat(np.arange(10), 5), seed=1)
    assert samples.shape == (50, 28, 28, 1) and samples.dtype == np.float32
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    # the model's own classifier recognises most of its samples' classes
    assert np.mean(fitted.predict(samples) == np.repeat(np.arange(10), 5)) > 0.8


def test_temperature_zero_returns_the_class_mean_and_spread_grows_with_temperature(fitted):
    cold = fitted.sample(class_labels=[3, 3, 3], temperature=0.0, seed=0)
    # float64 decoding, then one rounding to float32 (which two float64 results a few ulps
    # apart can land on either side of): equal to one float32 rounding at pixel size 1
    assert_rounding_close(cold[0], cold[2], roundings=1, magnitude=1.0)
    assert_rounding_close(cold[0], fitted.decode(fitted.class_means[3][None])[0], roundings=1,
                          magnitude=1.0)
    spreads = [fitted.sample(class_labels=np.full(30, 3), temperature=t, seed=0).std(axis=0).mean()
               for t in (0.5, 1.0, 1.5)]
    assert spreads[0] < spreads[1] < spreads[2]


def test_sampling_is_reproducible_from_the_seed(fitted):
    # the same seed along the same code path: the same bits
    np.testing.assert_array_equal(fitted.sample(class_labels=[1, 2], seed=4),
                                  fitted.sample(class_labels=[1, 2], seed=4))


def test_bad_inputs_say_how_to_fix_them(fitted):
    images, labels = data.load_mnist("test", source="bundled")
    with pytest.raises(ValueError, match="divide 0-255 images by 255"):
        ClassConditionalGaussian(10).fit(images * 255, labels)
    with pytest.raises(ValueError, match="too few"):
        ClassConditionalGaussian(60).fit(images, labels)
    with pytest.raises(ValueError, match="positive int"):
        ClassConditionalGaussian(0)
    with pytest.raises(ValueError, match="not in the training labels"):
        fitted.sample(class_labels=[11])
    with pytest.raises(ValueError, match="temperature"):
        fitted.sample(class_labels=[1], temperature=-1)


def test_sampling_without_labels_draws_the_classes_from_their_frequencies(fitted):
    samples = fitted.sample(200, seed=2)
    assert samples.shape == (200, 28, 28, 1)
    labels = fitted.predict(samples)
    assert len(np.unique(labels)) == 10  # every digit appears, as in the training set
    with pytest.raises(ValueError, match="one label per image"):
        fitted.sample(3, class_labels=[1, 2])
