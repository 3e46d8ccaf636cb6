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


def test_colour_spread_of_the_colour_digits_is_the_painting_ranges():
    images, _ = data.colour_digits("test")
    spread = evaluation.colour_spread(images, value_range=(-1, 1))
    # each channel is uniform over a range 0.35 wide: std 0.35 / sqrt(12) = 0.101, measured
    # on 500 images (the estimate's own relative error is about 1 / sqrt(2 * 500) = 3%)
    assert spread["stroke"] == pytest.approx(0.101, abs=0.012)
    assert spread["background"] == pytest.approx(0.101, abs=0.012)


def test_colour_spread_of_digits_painted_in_one_colour_is_near_zero():
    strokes, _ = data.load_mnist("test", source="bundled")
    background, stroke = np.array([0.1, 0.1, 0.2], "float32"), np.array([0.2, 0.9, 0.6], "float32")
    one_colour = background + (stroke - background) * strokes
    spread = evaluation.colour_spread(one_colour)
    # only how much of each digit's brightest 5% is full stroke varies
    assert spread["stroke"] < 0.03 and spread["background"] < 1e-6


class _DigitsOnRequest:
    """A stand-in conditional model: real digits of the requested class when guided (s > 0),
    arbitrary digits at s = 0."""
    conditional, num_classes = True, 10

    def __init__(self, images, labels):
        self.by_class = [images[labels == digit] for digit in range(10)]
        self.images = images

    def sample(self, num_samples, class_labels, guidance_scale, seed):
        if guidance_scale == 0:
            return self.images[:num_samples]
        return np.stack([self.by_class[label][index // 10]
                         for index, label in enumerate(class_labels)])


def test_guidance_adherence_is_the_share_showing_the_requested_digit():
    images, labels = data.load_mnist("test", source="bundled")
    adherence = evaluation.guidance_adherence(_DigitsOnRequest(images, labels),
                                              scales=(0.0, 3.0), num_samples=200)
    assert adherence[3.0] >= 0.97  # the classifier's held-out accuracy
    # unrelated digits show the requested one about as often as chance (0.1)
    assert adherence[0.0] < 0.25


def test_guidance_adherence_refuses_an_unconditional_model():
    with pytest.raises(ValueError, match="class-conditional"):
        evaluation.guidance_adherence(object())


def test_model_report_of_a_decoder_has_the_common_figures_and_its_own():
    class RealDigits:
        latent_shape = (1,)

        def __init__(self):
            self.images, _ = data.load_mnist("train", source="bundled")

        def generate(self, latents):
            return self.images[:len(latents)]

        def reconstruct(self, images):
            return images

    report = evaluation.model_report(RealDigits(), num_samples=300)
    assert report["num_samples"] == 300 and report["num_real"] == 500
    assert report["recognised"] > 0.95 and report["effective_classes"] > 9.5
    assert report["fid"] < 10
    assert report["mse"] == 0.0  # a perfect reconstruction
