import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance

from genai_kit import metrics


def householder_reflection(dimension, seed):
    """A random orthogonal matrix I - 2 v v^T (much cheaper than a QR at 2048-d)."""
    direction = np.random.default_rng(seed).standard_normal(dimension)
    direction /= np.linalg.norm(direction)
    return np.eye(dimension) - 2.0 * np.outer(direction, direction)


def correlated_features(n, dimension, seed, shift=0.0):
    """n samples of one fixed correlated Gaussian per dimension (the seed picks the samples)."""
    mixing = np.random.default_rng(dimension).standard_normal((dimension, dimension))
    samples = np.random.default_rng(seed).standard_normal((n, dimension))
    return samples @ mixing / np.sqrt(dimension) + shift


# ---------------------------------------------------------------------------- FID
def test_fid_of_identical_sets_is_zero():
    features = correlated_features(500, 32, seed=0)
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("dimension", [64, 2048])
def test_fid_of_gaussians_with_commuting_covariances_equals_closed_form(dimension):
    rng = np.random.default_rng(dimension)
    variances_a = rng.uniform(0.1, 2.0, dimension)
    variances_b = rng.uniform(0.1, 2.0, dimension)
    mean_a, mean_b = rng.standard_normal(dimension), rng.standard_normal(dimension)
    expected = (np.sum((mean_a - mean_b) ** 2)
                + np.sum(variances_a + variances_b - 2 * np.sqrt(variances_a * variances_b)))
    # the same rotation of two diagonal covariances: full matrices that still commute
    rotation = householder_reflection(dimension, seed=1)
    covariance_a = (rotation * variances_a) @ rotation.T
    covariance_b = (rotation * variances_b) @ rotation.T
    fid = metrics.frechet_distance(metrics.FeatureStatistics(mean_a, covariance_a, 10**5),
                                   metrics.FeatureStatistics(mean_b, covariance_b, 10**5))
    assert fid == pytest.approx(expected, rel=1e-8)


def test_fid_matches_scipy_sqrtm_on_general_covariances():
    statistics_a = metrics.feature_statistics(correlated_features(400, 48, seed=2))
    statistics_b = metrics.feature_statistics(correlated_features(300, 48, seed=3, shift=0.3))
    root = scipy.linalg.sqrtm(statistics_a.covariance @ statistics_b.covariance).real
    expected = (np.sum((statistics_a.mean - statistics_b.mean) ** 2)
                + np.trace(statistics_a.covariance) + np.trace(statistics_b.covariance)
                - 2 * np.trace(root))
    assert metrics.frechet_distance(statistics_a, statistics_b) == pytest.approx(expected, rel=1e-10)


def test_feature_statistics_use_the_unbiased_covariance_of_np_cov():
    features = correlated_features(50, 6, seed=4)
    statistics = metrics.feature_statistics(features)
    np.testing.assert_allclose(statistics.covariance, np.cov(features, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(statistics.mean, features.mean(axis=0))
    assert statistics.count == 50


def test_fid_from_cached_statistics_equals_fid_from_features(tmp_path):
    real = correlated_features(300, 16, seed=5)
    fake = correlated_features(300, 16, seed=6, shift=0.5)
    metrics.save_statistics(tmp_path / "real.npz", metrics.feature_statistics(real))
    cached = metrics.load_statistics(tmp_path / "real.npz")
    assert cached.count == 300
    assert metrics.frechet_distance(cached, fake) == pytest.approx(
        metrics.frechet_distance(real, fake), rel=1e-12)


def test_fid_with_fewer_samples_than_dimensions_warns_and_stays_finite():
    features_a = correlated_features(20, 64, seed=7)
    features_b = correlated_features(20, 64, seed=8)
    with pytest.warns(UserWarning, match="biased"):
        fid = metrics.frechet_distance(features_a, features_b)
    assert np.isfinite(fid) and fid > 0


@pytest.mark.parametrize("features_b, message", [
    (np.zeros((10, 5)), "different dimensions"),
    (np.full((10, 4), np.nan), "NaN"),
    (np.zeros((1, 4)), "at least 2"),
    (np.zeros(4), "2-d"),
])
def test_fid_rejects_bad_features_with_a_clear_message(features_b, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(np.random.default_rng(0).standard_normal((10, 4)), features_b)


# ----------------------------------------------------------------------------- IS
def test_inception_score_of_one_hot_predictions_spread_evenly_is_number_of_classes():
    probabilities = np.eye(10)[np.arange(1000) % 10]
    mean, std = metrics.inception_score(probabilities, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_a_constant_prediction_is_one():
    probabilities = np.tile([0.1, 0.6, 0.3], (200, 1))
    assert metrics.inception_score(probabilities)[0] == pytest.approx(1.0, abs=1e-12)


def test_inception_score_uses_contiguous_splits():
    # first half all class 0, second half all class 1: each contiguous split sees one class
    probabilities = np.eye(2)[np.repeat([0, 1], 50)]
    assert metrics.inception_score(probabilities, splits=2) == pytest.approx((1.0, 0.0))
    assert metrics.inception_score(probabilities, splits=1)[0] == pytest.approx(2.0)


def test_inception_score_matches_the_kl_definition():
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((300, 7)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    marginal = probabilities.mean(axis=0)
    kl = np.sum(probabilities * (np.log(probabilities) - np.log(marginal)), axis=1)
    assert metrics.inception_score(probabilities, splits=1)[0] == pytest.approx(
        np.exp(kl.mean()), rel=1e-12)


@pytest.mark.parametrize("probabilities, message", [
    (np.array([[2.0, -1.0], [0.5, 0.5]]), ">= 0"),
    (np.array([[3.0, 1.0], [0.5, 0.5]]), "sum to 1"),
    (np.array([[np.nan, 1.0], [0.5, 0.5]]), "NaN"),
])
def test_inception_score_rejects_what_is_not_probabilities(probabilities, message):
    with pytest.raises(ValueError, match=message):
        metrics.inception_score(probabilities, splits=1)


# ---------------------------------------------------------------------------- KID
def test_kid_of_two_samples_of_one_distribution_is_near_zero():
    same = metrics.kernel_inception_distance(
        correlated_features(2000, 16, seed=10), correlated_features(2000, 16, seed=11),
        subsets=20, subset_size=500)
    shifted = metrics.kernel_inception_distance(
        correlated_features(2000, 16, seed=10), correlated_features(2000, 16, seed=11, shift=0.5),
        subsets=20, subset_size=500)
    assert abs(same[0]) < 3 * same[1] + 1e-3
    assert shifted[0] > 50 * abs(same[0])


def test_kid_on_whole_sets_is_the_unbiased_mmd_written_out():
    x = correlated_features(12, 3, seed=12)
    y = correlated_features(9, 3, seed=13, shift=0.2)[:9]
    x = x[:9]

    def kernel(u, v):
        return (u @ v / 3 + 1) ** 3

    m = 9
    within_x = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    within_y = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    between = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    mean, std = metrics.kernel_inception_distance(x, y, subsets=3, subset_size=9)
    # float32 kernels: round-off about 1e-7 of the kernel values (about 1 here)
    assert mean == pytest.approx(within_x + within_y - 2 * between, abs=1e-5)
    assert std == pytest.approx(0.0, abs=1e-6)  # every "subset" is the whole set


def test_kid_caps_subset_size_at_the_sample_count_with_a_warning():
    with pytest.warns(UserWarning, match="subset_size"):
        metrics.kernel_inception_distance(np.eye(5), np.eye(5)[::-1], subsets=2, subset_size=1000)


# ----------------------------------------------------------------- precision/recall
def test_precision_recall_of_identical_sets_is_one_and_one():
    features = correlated_features(300, 8, seed=14)
    assert metrics.precision_recall(features, features) == (1.0, 1.0)


def test_precision_recall_of_far_apart_sets_is_zero_and_zero():
    real = correlated_features(300, 8, seed=15)
    assert metrics.precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_precision_recall_of_a_collapsed_generator_is_precise_but_not_diverse():
    rng = np.random.default_rng(16)
    centres = rng.standard_normal((10, 8)) * 20
    real = centres[np.arange(2000) % 10] + rng.standard_normal((2000, 8))
    fake = centres[0] + rng.standard_normal((1000, 8))
    precision, recall = metrics.precision_recall(real, fake)
    assert precision > 0.8
    assert 0.05 < recall < 0.15


def test_precision_recall_matches_brute_force_and_does_not_depend_on_batching():
    real = correlated_features(120, 5, seed=17)
    fake = correlated_features(90, 5, seed=18, shift=0.3)
    k = 3
    real_distances = scipy.spatial.distance.cdist(real, real)
    fake_distances = scipy.spatial.distance.cdist(fake, fake)
    # column 0 of the sorted rows is the point itself
    real_radii = np.sort(real_distances, axis=1)[:, k]
    fake_radii = np.sort(fake_distances, axis=1)[:, k]
    between = scipy.spatial.distance.cdist(fake, real)
    expected_precision = np.mean((between <= real_radii[None, :]).any(axis=1))
    expected_recall = np.mean((between.T <= fake_radii[None, :]).any(axis=1))
    for batch_size in (7, 1000):
        precision, recall = metrics.precision_recall(real, fake, k=k, batch_size=batch_size)
        assert precision == pytest.approx(expected_precision)
        assert recall == pytest.approx(expected_recall)
    assert 0 < expected_precision < 1 and 0 < expected_recall < 1
