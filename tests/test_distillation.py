import numpy as np
import pytest

from genai_kit.batches import predict_in_batches
from genai_kit.efficient import digits, distillation
from genai_kit.models import mnist_classifier
from tolerances import assert_rounding_close, network_roundings

# short runs, long enough for the distilled students to pull clearly ahead
COMPARE_STEPS = 200
COMPARE_SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def classifier():
    return mnist_classifier.load_mnist_classifier()


@pytest.fixture(scope="module")
def teacher(classifier):
    return distillation.teacher_logits_model(classifier)


@pytest.fixture(scope="module")
def comparison(teacher):
    """Distilled (with the unlabeled digits as transfer set) against scratch, 10 labels a class."""
    return distillation.compare(num_per_class=10, seeds=COMPARE_SEEDS, steps=COMPARE_STEPS,
                                teacher=teacher)


# ---------------------------------------------------------------------------- the teacher
def test_softmax_of_teacher_logits_is_the_classifiers_probabilities(classifier, teacher):
    images, _ = digits.split("test")
    probabilities = predict_in_batches(classifier, images[:200])
    logits = predict_in_batches(teacher, images[:200])
    shifted = logits - logits.max(axis=-1, keepdims=True)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    # the two calls may use different kernels: the CNN's roundings, at probabilities' size
    assert_rounding_close(softmax, probabilities, roundings=network_roundings(classifier),
                          magnitude=1.0)
    assert np.all(logits <= 0.0)  # log-probabilities


def test_teacher_is_frozen(teacher):
    assert not teacher.trainable
    assert teacher.trainable_weights == []


# ---------------------------------------------------------------------------- the data
def test_low_label_subset_has_num_per_class_digits_of_every_class():
    images, labels, unlabeled_images = distillation.low_label_subset(7, seed=0)
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 7))
    assert images.shape == (70, 28, 28, 1)
    assert unlabeled_images.shape == (4500 - 70, 28, 28, 1)
    # the chosen and the unlabeled digits are the training set, split without overlap
    all_images, all_labels = digits.split("train")
    rows = {image.tobytes() for image in all_images}
    chosen = {image.tobytes() for image in images}
    others = {image.tobytes() for image in unlabeled_images}
    assert chosen.isdisjoint(others) and chosen | others == rows
    # the labels belong to their images
    label_of = {image.tobytes(): label for image, label in zip(all_images, all_labels)}
    assert [label_of[image.tobytes()] for image in images] == labels.tolist()


def test_low_label_subset_is_mixed_not_sorted_by_class():
    _, labels, _ = distillation.low_label_subset(10, seed=0)
    assert not np.all(np.diff(labels) >= 0)


def test_low_label_subset_same_seed_same_digits_other_seed_other_digits():
    first, first_labels, _ = distillation.low_label_subset(10, seed=3)
    again, again_labels, _ = distillation.low_label_subset(10, seed=3)
    other, _, _ = distillation.low_label_subset(10, seed=4)
    np.testing.assert_array_equal(first, again)  # the same choice: exactly equal
    np.testing.assert_array_equal(first_labels, again_labels)
    shared = {image.tobytes() for image in first} & {image.tobytes() for image in other}
    assert len(shared) < 20  # 10 of 450 per class twice: about 2 in common by chance


# ---------------------------------------------------------------------------- the models
def test_student_has_under_a_quarter_of_the_teachers_parameters(teacher):
    student = distillation.build_student(seed=0)
    assert student.output.shape[1:] == (10,)
    assert student.count_params() * 4 < teacher.count_params()


def test_student_weights_depend_only_on_the_seed():
    first, again = distillation.build_student(seed=5), distillation.build_student(seed=5)
    other = distillation.build_student(seed=6)
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)  # the same initialiser seeds: exactly equal
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


# ---------------------------------------------------------------------------- distillation
def test_distilled_students_beat_scratch_students_on_every_seed(comparison):
    assert len(comparison["distilled"]) == len(COMPARE_SEEDS)
    assert comparison["distilled_mean"] >= comparison["scratch_mean"] + 0.03
    for distilled, scratch in zip(comparison["distilled"], comparison["scratch"]):
        assert distilled > scratch


def test_distilled_students_agree_with_the_teacher_more_often(comparison):
    for distilled, scratch in zip(comparison["distilled_agreement"],
                                  comparison["scratch_agreement"]):
        assert distilled > scratch


def test_comparison_reports_means_spreads_and_the_teacher(comparison):
    for kind in ("distilled", "scratch"):
        accuracies = comparison[kind]
        assert comparison[f"{kind}_mean"] == pytest.approx(np.mean(accuracies))
        assert comparison[f"{kind}_std"] == pytest.approx(np.std(accuracies, ddof=1))
        assert all(0.5 < accuracy <= 1.0 for accuracy in accuracies)  # far above chance
    assert comparison["teacher"] > 0.98
    assert comparison["student_parameters"] * 4 < comparison["teacher_parameters"]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("temperature", [0.0, -2.0])
def test_distill_refuses_a_temperature_that_is_not_positive(teacher, temperature):
    images, labels, _ = distillation.low_label_subset(1, seed=0)
    with pytest.raises(ValueError, match=r"temperature must be > 0.*e\.g\. temperature=4"):
        distillation.distill(teacher, distillation.build_student(), images, labels,
                             temperature=temperature, steps=1)


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_distill_refuses_a_student_loss_weight_outside_zero_one(teacher, weight):
    images, labels, _ = distillation.low_label_subset(1, seed=0)
    with pytest.raises(ValueError, match=r"student_loss_weight must be in \[0.0, 1.0\].*e\.g\. 0\.5"):
        distillation.distill(teacher, distillation.build_student(), images, labels,
                             student_loss_weight=weight, steps=1)


@pytest.mark.parametrize("num_per_class", [0, 451])
def test_low_label_subset_refuses_more_digits_than_a_class_has(num_per_class):
    with pytest.raises(ValueError, match=r"num_per_class must be in \[1, 450\].*450 digits of each"):
        distillation.low_label_subset(num_per_class)


def test_compare_refuses_a_bad_temperature_before_training():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        distillation.compare(temperature=0.0, teacher=object())


def test_distill_refuses_pixels_in_0_255(teacher):
    images, labels, _ = distillation.low_label_subset(1, seed=0)
    with pytest.raises(ValueError, match="divide by 255"):
        distillation.distill(teacher, distillation.build_student(), images * 255, labels,
                             steps=1)
