import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance

from genai_kit import metrics
from tolerances import FLOAT64_EPS, assert_rounding_close, rounding_tolerance


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
    # float64 throughout: the covariance sums 500 products, the eigenvalue problem of a 32 x 32
    # matrix rounds about 32 times per entry; the trace terms (about 32) cancel
    covariance_trace = np.trace(np.cov(features, rowvar=False))
    assert_rounding_close(metrics.frechet_distance(features, features), 0.0,
                          roundings=500 + 32 * 32, magnitude=covariance_trace, eps=FLOAT64_EPS)


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
    # float64: a Cholesky factor, two d x d products and a symmetric eigenvalue problem, each
    # about d roundings per entry, at the size of the traces; LAPACK's kernels differ by CPU
    magnitude = np.sum(variances_a) + np.sum(variances_b) + np.sum((mean_a - mean_b) ** 2)
    assert_rounding_close(fid, expected, roundings=4 * dimension, magnitude=magnitude,
                          eps=FLOAT64_EPS)


def test_fid_matches_scipy_sqrtm_on_general_covariances():
    statistics_a = metrics.feature_statistics(correlated_features(400, 48, seed=2))
    statistics_b = metrics.feature_statistics(correlated_features(300, 48, seed=3, shift=0.3))
    root = scipy.linalg.sqrtm(statistics_a.covariance @ statistics_b.covariance).real
    expected = (np.sum((statistics_a.mean - statistics_b.mean) ** 2)
                + np.trace(statistics_a.covariance) + np.trace(statistics_b.covariance)
                - 2 * np.trace(root))
    # two float64 routes to the same trace (Schur-based sqrtm against Cholesky and eigh) on
    # 48 x 48 matrices: a few d roundings per entry at the size of the traces
    magnitude = np.trace(statistics_a.covariance) + np.trace(statistics_b.covariance)
    assert_rounding_close(metrics.frechet_distance(statistics_a, statistics_b), expected,
                          roundings=4 * 48, magnitude=magnitude, eps=FLOAT64_EPS)


def test_feature_statistics_use_the_unbiased_covariance_of_np_cov():
    features = correlated_features(50, 6, seed=4)
    statistics = metrics.feature_statistics(features)
    # float64 sums of 50 products, in whatever order each implementation picks
    assert_rounding_close(statistics.covariance, np.cov(features, rowvar=False), roundings=2 * 50,
                          magnitude=np.abs(features).max() ** 2, eps=FLOAT64_EPS)
    assert_rounding_close(statistics.mean, features.mean(axis=0), roundings=50,
                          magnitude=np.abs(features).max(), eps=FLOAT64_EPS)
    assert statistics.count == 50


def test_fid_from_cached_statistics_equals_fid_from_features(tmp_path):
    real = correlated_features(300, 16, seed=5)
    fake = correlated_features(300, 16, seed=6, shift=0.5)
    metrics.save_statistics(tmp_path / "real.npz", metrics.feature_statistics(real))
    cached = metrics.load_statistics(tmp_path / "real.npz")
    assert cached.count == 300
    # .npz files store float64 bit for bit, so both routes compute the same numbers
    assert metrics.frechet_distance(cached, fake) == metrics.frechet_distance(real, fake)


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
    # float64: a mean of 100 rows and sums over 10 classes of p log p per split
    tolerance = rounding_tolerance(10.0, 100 + 10 + 4, eps=FLOAT64_EPS)
    assert mean == pytest.approx(10.0, abs=tolerance) and std == pytest.approx(0.0, abs=tolerance)


def test_inception_score_of_a_constant_prediction_is_one():
    probabilities = np.tile([0.1, 0.6, 0.3], (200, 1))
    # exp(KL of every row from the mean row): float64 means of 200 rows, sums over 3 classes
    assert_rounding_close(metrics.inception_score(probabilities)[0], 1.0, roundings=200 + 3 + 4,
                          eps=FLOAT64_EPS)


def test_inception_score_uses_contiguous_splits():
    # first half all class 0, second half all class 1: each contiguous split sees one class
    probabilities = np.eye(2)[np.repeat([0, 1], 50)]
    # float64, 50 rows per split and 2 classes
    tolerance = rounding_tolerance(2.0, 100 + 2 + 4, eps=FLOAT64_EPS)
    assert metrics.inception_score(probabilities, splits=2) == pytest.approx((1.0, 0.0),
                                                                             abs=tolerance)
    assert metrics.inception_score(probabilities, splits=1)[0] == pytest.approx(2.0, abs=tolerance)


def test_inception_score_matches_the_kl_definition():
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((300, 7)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    marginal = probabilities.mean(axis=0)
    kl = np.sum(probabilities * (np.log(probabilities) - np.log(marginal)), axis=1)
    # float64: sums over 7 classes, a mean over 300 rows, then exp (which keeps relative error)
    assert_rounding_close(metrics.inception_score(probabilities, splits=1)[0], np.exp(kl.mean()),
                          roundings=300 + 2 * 7 + 4, eps=FLOAT64_EPS)


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
    # float32 kernels (a dot product of 3, + 1, a cube), summed in float64 over 81 entries:
    # the rounding is float32's at the size of the largest kernel value
    both = np.vstack([x, y])
    largest_kernel = np.abs((both @ both.T / 3 + 1) ** 3).max()
    # three such averages (within x, within y, between) make the MMD
    tolerance = rounding_tolerance(largest_kernel, 3 + 4)
    assert mean == pytest.approx(within_x + within_y - 2 * between, abs=3 * tolerance)
    # every "subset" is the whole set, in another order: the same value to rounding
    assert std == pytest.approx(0.0, abs=3 * tolerance)


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
    # the kit compares float32 squared distances |a|^2 + |b|^2 - 2 a.b: a point within that
    # rounding of a ball's border could fall either way, so count with the borders moved by it
    largest_norm = max(np.einsum("ij,ij->i", features, features).max() for features in (real, fake))
    band = rounding_tolerance(4 * largest_norm, 5 + 3)  # squared distances, 5-d dot products

    def fraction_inside(distances, radii, shift):
        return np.mean((distances ** 2 <= radii[None, :] ** 2 + shift).any(axis=1))

    precision_bounds = [fraction_inside(between, real_radii, shift) for shift in (-band, band)]
    recall_bounds = [fraction_inside(between.T, fake_radii, shift) for shift in (-band, band)]
    # no point of these sets lies that close to a border, so the brute-force answer is exact
    assert precision_bounds[0] == precision_bounds[1] and recall_bounds[0] == recall_bounds[1]
    expected_precision, expected_recall = precision_bounds[0], recall_bounds[0]
    for batch_size in (7, 1000):
        precision, recall = metrics.precision_recall(real, fake, k=k, batch_size=batch_size)
        # fractions of counts out of 90 and 120: equal counts give the same float
        assert precision == expected_precision and recall == expected_recall
    assert 0 < expected_precision < 1 and 0 < expected_recall < 1
