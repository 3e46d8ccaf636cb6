import genai_kit  # noqa: F401  (sets TF defaults before keras)
import numpy as np
import pytest

from genai_kit import data, evaluation, sampling


@pytest.fixture(scope="module")
def real():
    images, _ = data.load_mnist("train", source="bundled")
    return evaluation.extract(images)


@pytest.fixture(scope="module")
def test_digits():
    return data.load_mnist("test", source="bundled")


class ReplayGenerator:
    """A protocol 'generator' that returns stored images, picked by the latents."""

    latent_shape = (1,)

    def __init__(self, images):
        self.images = images

    def generate(self, latents):
        order = np.argsort(np.argsort(latents[:, 0]))
        return self.images[order % len(self.images)]


SCORES = {"is", "is_std", "fid", "kid", "kid_std", "precision", "recall"}


def test_held_out_real_digits_score_like_real_data(real, test_digits):
    scores = evaluation.evaluate(test_digits[0], real, progress=False)
    assert SCORES | {"num_samples", "num_real"} == set(scores)
    assert scores["num_samples"] == 500 and scores["num_real"] == 4500
    assert scores["is"] > 8.5           # at most 10 with 10 classes
    assert scores["fid"] < 1.0
    assert abs(scores["kid"]) < 3 * scores["kid_std"] + 0.05
    assert scores["precision"] > 0.8 and scores["recall"] > 0.8


def test_noise_scores_as_badly_as_possible(real):
    noise = np.random.default_rng(0).uniform(size=(500, 28, 28, 1)).astype(np.float32)
    scores = evaluation.evaluate(noise, real, progress=False, kid_subsets=10)
    assert scores["is"] < 2.0
    assert scores["fid"] > 100.0
    assert scores["precision"] == 0.0 and scores["recall"] == 0.0


def test_a_single_digit_is_precise_but_not_diverse(real, test_digits):
    images, labels = test_digits
    ones = images[labels == 1]
    scores = evaluation.evaluate(ones, real, progress=False, include=("is", "precision_recall"))
    assert "fid" not in scores
    assert scores["is"] < 1.5
    assert scores["precision"] > 0.85 and scores["recall"] < 0.2


def test_a_generator_is_evaluated_on_its_samples(real, test_digits):
    generator = ReplayGenerator(test_digits[0])
    from_generator = evaluation.evaluate(generator, real, num_samples=500, progress=False,
                                         kid_subsets=10)
    images = sampling.generate_images(generator, 500, seed=0)
    from_images = evaluation.evaluate(images, real, progress=False, kid_subsets=10)
    # the same 500 images (the same seed), then the same extraction and metrics: the same bits
    assert from_generator == from_images


def test_unknown_metric_names_are_a_clear_error(real, test_digits):
    with pytest.raises(ValueError, match="unknown metrics"):
        evaluation.evaluate(test_digits[0], real, include=("fid", "ssim"))


def test_digit_report_of_real_digits_recognises_nearly_all_ten_classes(test_digits):
    report = evaluation.digit_report(test_digits[0])
    assert report["recognised"] > 0.95
    assert report["effective_classes"] > 9.8  # the bundled test set has 50 of each digit
    assert report["counts"].shape == (10,) and report["counts"].sum() > 475


def test_digit_report_of_one_repeated_digit_is_one_class(test_digits):
    images, labels = test_digits
    sevens = images[labels == 7][:1].repeat(20, axis=0)
    report = evaluation.digit_report(sevens)
    # exp(entropy) of one class: exp(-1 log 1) = exp(0), exactly 1
    assert report["recognised"] == 1.0 and report["effective_classes"] == 1.0
    assert report["counts"][7] == 20


def test_digit_report_shows_that_a_confident_classifier_reads_noise_as_one_digit():
    # why the rate alone proves nothing: noise is "recognised", but all as the same digit
    noise = np.random.default_rng(0).uniform(0, 1, (200, 28, 28, 1)).astype("float32")
    report = evaluation.digit_report(noise)
    assert report["effective_classes"] < 1.5
    with pytest.raises(ValueError, match="confidence_threshold"):
        evaluation.digit_report(noise, confidence_threshold=1.5)


def test_digit_report_when_nothing_is_recognised_has_no_classes(monkeypatch):
    unsure = (np.array([3, 5, 7]), np.array([0.4, 0.5, 0.6], "float32"))
    monkeypatch.setattr(evaluation.features, "classify_digits", lambda images, value_range: unsure)
    report = evaluation.digit_report(np.zeros((3, 28, 28, 1), "float32"))
    assert report["recognised"] == 0.0 and report["effective_classes"] == 0.0
    assert report["counts"].sum() == 0
