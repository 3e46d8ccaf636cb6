"""Metrics of generative models, computed on features or class probabilities.

Each metric compares what a trained network "sees" in generated images with what it sees in
real ones. The network is chosen in :mod:`genai_kit.features` (Inception for photos, the
kit's MNIST classifier for digits); this module only does the arithmetic, in float64:

- :func:`inception_score` (IS, higher is better) from class probabilities p(y|x);
- :func:`frechet_distance` (FID, lower is better) between Gaussians fitted to features;
- :func:`kernel_inception_distance` (KID, lower is better), unbiased, so comparable
  across sample sizes, unlike FID;
- :func:`precision_recall` (Kynkäänniemi et al. 2019): precision = quality (fakes that
  land on the real manifold), recall = diversity (reals covered by the fake manifold).
"""
import collections
import warnings

import numpy as np
import scipy.linalg
import scipy.special

from genai_kit import checks

FeatureStatistics = collections.namedtuple("FeatureStatistics", ["mean", "covariance", "count"])
FeatureStatistics.__doc__ = """Gaussian fitted to a feature set: mean (d,), covariance (d, d), count n (float64)."""


def _check_features(name, features, min_samples=2):
    """Returns ``features`` as float64 (n, d) or raises a ValueError that says what is wrong."""
    features = checks.float_array(name, features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (n, d) of features, got shape {features.shape}")
    if len(features) < min_samples:
        raise ValueError(f"{name} has {len(features)} samples; at least {min_samples} are needed")
    if not np.all(np.isfinite(features)):
        bad = int(np.count_nonzero(~np.isfinite(features).all(axis=1)))
        raise ValueError(f"{name} contains NaN or inf in {bad} of {len(features)} rows: "
                         "check the generator's output (a diverged model gives NaN)")
    return features


def _check_same_dimension(features_a, features_b, what="features"):
    if features_a.shape[-1] != features_b.shape[-1]:
        raise ValueError(
            f"the two {what} have different dimensions, {features_a.shape[-1]} and "
            f"{features_b.shape[-1]}: extract both with the same feature extractor")


def feature_statistics(features):
    """The Gaussian fitted to a feature set, in float64; save it to reuse real-data statistics.

    Args:
        features: array (n, d), n >= 2.
    Returns:
        FeatureStatistics(mean (d,), covariance (d, d) with ddof=1 as np.cov, count n).
    """
    features = _check_features("features", features)
    mean = features.mean(axis=0)
    centred = features - mean
    covariance = centred.T @ centred / (len(features) - 1)
    return FeatureStatistics(mean, covariance, len(features))


def save_statistics(path, statistics):
    """Writes FeatureStatistics to an ``.npz`` file (e.g. the real data's, computed once)."""
    np.savez(path, mean=statistics.mean, covariance=statistics.covariance,
             count=statistics.count)


def load_statistics(path):
    """Reads FeatureStatistics written by :func:`save_statistics`."""
    with np.load(path) as archive:
        return FeatureStatistics(archive["mean"], archive["covariance"], int(archive["count"]))


def _as_statistics(name, features_or_statistics):
    if isinstance(features_or_statistics, FeatureStatistics):
        return _check_statistics(name, features_or_statistics)
    return feature_statistics(_check_features(name, features_or_statistics))


def _check_statistics(name, statistics):
    """The FeatureStatistics as float64 arrays, after checking their shapes and values."""
    mean = checks.float_array(f"{name}.mean", statistics.mean, dtype=np.float64)
    covariance = checks.float_array(f"{name}.covariance", statistics.covariance,
                                    dtype=np.float64)
    if mean.ndim != 1 or covariance.shape != (len(mean), len(mean)):
        raise ValueError(f"{name} must have a mean (d,) and a covariance (d, d), got shapes "
                         f"{mean.shape} and {covariance.shape}: build it with "
                         "metrics.feature_statistics(features)")
    hint = (": the features it was fitted to had NaN or inf; recompute it with "
            "metrics.feature_statistics(features) from finite features")
    checks.check_finite(f"{name}.mean", mean, hint)
    checks.check_finite(f"{name}.covariance", covariance, hint)
    count = checks.integer(f"{name}.count", statistics.count, minimum=2,
                           hint=": a covariance needs at least 2 samples")
    return FeatureStatistics(mean, covariance, count)


def trace_sqrt_product(covariance_a, covariance_b):
    """tr( sqrt(A B) ) for symmetric positive semi-definite A and B, via eigenvalues.

    A B has the eigenvalues of the symmetric matrix L^T B L where A = L L^T (Cholesky), so the
    trace of its square root is the sum of their square roots: one Cholesky factorisation
    and one symmetric eigenvalue problem, cheaper than ``scipy.linalg.sqrtm``
    (``benchmarks/fid_sqrt.py``) and free of its complex round-off. A singular A (fewer samples than dimensions) has no
    Cholesky factor; then L = sqrt(A) from A's eigendecomposition.
    """
    try:
        factor = scipy.linalg.cholesky(covariance_a, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = scipy.linalg.eigh(covariance_a, check_finite=False)
        factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    symmetric = factor.T @ covariance_b @ factor
    eigenvalues = np.linalg.eigvalsh(symmetric)  # LAPACK syevd: the fastest driver here
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (FID on Inception features).

    FID = ||m_a - m_b||^2 + tr(C_a) + tr(C_b) - 2 tr( sqrt(C_a C_b) ).

    FID is biased: it shrinks as n grows, so compare values only at equal sample counts
    (the literature uses 50,000 generated images).

    Args:
        features_a: array (n_a, d), or FeatureStatistics (e.g. cached real statistics).
        features_b: array (n_b, d), or FeatureStatistics.
    Returns:
        float, >= 0. 0 means identical Gaussians.
    """
    statistics_a = _as_statistics("features_a", features_a)
    statistics_b = _as_statistics("features_b", features_b)
    _check_same_dimension(statistics_a.mean, statistics_b.mean)
    dimension = len(statistics_a.mean)
    smallest = min(statistics_a.count, statistics_b.count)
    if smallest <= dimension:
        warnings.warn(
            f"FID from {smallest} samples of {dimension}-d features: the covariance is "
            "singular and FID is strongly biased at small n; compare FIDs only at equal n",
            stacklevel=2)
    mean_term = float(np.sum((statistics_a.mean - statistics_b.mean) ** 2))
    trace_term = (np.trace(statistics_a.covariance) + np.trace(statistics_b.covariance)
                  - 2.0 * trace_sqrt_product(statistics_a.covariance, statistics_b.covariance))
    return max(mean_term + float(trace_term), 0.0)


def _check_probabilities(probabilities):
    probabilities = checks.float_array("probabilities", probabilities, dtype=np.float64)
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must be (n, num_classes), got shape {probabilities.shape}")
    if not np.all(np.isfinite(probabilities)):
        raise ValueError("probabilities contain NaN or inf: check the classifier's input images")
    if probabilities.min() < 0:
        raise ValueError(f"probabilities must be >= 0, found {probabilities.min():.3g}: "
                         "pass softmax outputs, not logits")
    row_sums = probabilities.sum(axis=1)
    worst = int(np.argmax(np.abs(row_sums - 1)))
    if abs(row_sums[worst] - 1) > 1e-3:
        raise ValueError(f"each row of probabilities must sum to 1, row {worst} sums to "
                         f"{row_sums[worst]:.4g}: pass softmax outputs, not logits")
    return probabilities


def inception_score(probabilities, splits=10):
    """Inception Score: exp( E_x KL( p(y|x) || p(y) ) ), on contiguous splits as the original code.

    High when each image is classified confidently (quality) and the classes are used
    evenly (diversity). Between 1 and the number of classes (10 for MNIST).

    Args:
        probabilities: array (n, num_classes) of softmax outputs p(y|x); rows sum to 1.
        splits: number of contiguous chunks the score is computed on (n >= splits).
    Returns:
        (mean, std) of the score over the splits, floats.
    """
    probabilities = _check_probabilities(probabilities)
    splits = checks.integer("splits", splits)
    if not 1 <= splits <= len(probabilities):
        raise ValueError(f"splits must be between 1 and n = {len(probabilities)}, got {splits}")
    scores = []
    for index in range(splits):
        start = index * len(probabilities) // splits
        stop = (index + 1) * len(probabilities) // splits
        part = probabilities[start:stop]
        marginal = part.mean(axis=0, keepdims=True)                     # p(y)
        # xlogy(p, q) = p log q with 0 log 0 = 0: no NaN for classes that never occur
        kl = scipy.special.xlogy(part, part) - scipy.special.xlogy(part, marginal)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _cubic_kernel(scaled_x, scaled_y):
    """(x . y / d + 1) ** 3 for every pair of rows, given rows already scaled by 1/sqrt(d)."""
    kernel = scaled_x @ scaled_y.T
    kernel += 1.0
    cube = kernel * kernel
    cube *= kernel   # two multiplications, the second in place; numpy computes ** 3 with pow
    return cube


def kernel_inception_distance(features_a, features_b, subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel, over subsets.

    Unlike FID, its estimate is unbiased, so values from different sample sizes compare;
    it is near 0 (and can be slightly negative) for two samples of one distribution.
    The kernel matrices are float32 (faster than float64; about 1e-7 relative round-off,
    far below KID's spread over subsets) and summed in float64.

    Args:
        features_a: array (n_a, d).
        features_b: array (n_b, d).
        subsets: number of random subsets the MMD is averaged over.
        subset_size: samples per subset, capped (with a warning) at min(n_a, n_b).
        seed: seed of the subset draws.
    Returns:
        (mean, std) of MMD^2 over the subsets, floats.
    """
    subsets = checks.integer("subsets", subsets, minimum=1,
                             hint=": KID averages the MMD over at least one subset (100 is usual)")
    subset_size = checks.integer("subset_size", subset_size, minimum=2,
                                 hint=": the unbiased MMD needs pairs of distinct samples "
                                      "(1000 is usual)")
    features_a = _check_features("features_a", features_a)
    features_b = _check_features("features_b", features_b)
    _check_same_dimension(features_a, features_b)
    size = min(subset_size, len(features_a), len(features_b))
    if size < subset_size:
        warnings.warn(f"KID subset_size {subset_size} is more than the {size} samples "
                      f"available; using subsets of {size}", stacklevel=2)
    # k(x, y) = (x . y / d + 1)^3: dividing the features by sqrt(d) once saves a pass per kernel
    scale = 1.0 / np.sqrt(features_a.shape[1])
    scaled_a = (features_a * scale).astype(np.float32)
    scaled_b = (features_b * scale).astype(np.float32)
    rng = np.random.default_rng(seed)
    values = np.empty(subsets)
    for index in range(subsets):
        x = scaled_a[rng.choice(len(scaled_a), size, replace=False)]
        y = scaled_b[rng.choice(len(scaled_b), size, replace=False)]
        kernel_xx, kernel_yy = _cubic_kernel(x, x), _cubic_kernel(y, y)
        # unbiased: leave out the k(x_i, x_i) terms of the within-set averages
        within_x = ((kernel_xx.sum(dtype=np.float64) - np.trace(kernel_xx, dtype=np.float64))
                    / (size * (size - 1)))
        within_y = ((kernel_yy.sum(dtype=np.float64) - np.trace(kernel_yy, dtype=np.float64))
                    / (size * (size - 1)))
        between = _cubic_kernel(x, y).sum(dtype=np.float64) / size**2
        values[index] = within_x + within_y - 2.0 * between
    return float(values.mean()), float(values.std())


def _squared_distances(rows, columns, column_norms):
    """||r - c||^2 for every pair, (len(rows), len(columns)), as |r|^2 + |c|^2 - 2 r.c."""
    distances = (-2.0 * rows) @ columns.T   # scaling the small operand saves a pass
    distances += column_norms[None, :]     # in place: this matrix is the memory peak
    distances += np.einsum("ij,ij->i", rows, rows)[:, None]
    return distances


def _knn_radii(features, k, batch_size):
    """Squared distance of each sample to its k-th nearest neighbour, itself excluded."""
    norms = np.einsum("ij,ij->i", features, features)
    radii = np.empty(len(features), dtype=features.dtype)
    for start in range(0, len(features), batch_size):
        distances = _squared_distances(features[start:start + batch_size], features, norms)
        rows = np.arange(len(distances))
        distances[rows, start + rows] = np.inf   # a sample is not its own neighbour
        # drop the nearest neighbour k - 1 times; the k-th is then the nearest left
        # (k argmin passes are cheaper than np.partition for a small k such as 3)
        for _ in range(k - 1):
            distances[rows, distances.argmin(axis=1)] = np.inf
        radii[start:start + batch_size] = distances.min(axis=1)
    return radii


def precision_recall(real_features, fake_features, k=3, batch_size=1000):
    """Improved precision and recall (Kynkäänniemi et al. 2019) on k-NN manifolds.

    Each set's manifold is the union of balls around its samples, each ball reaching the
    sample's k-th nearest neighbour in its own set. Precision is the fraction of fakes in
    the real manifold (are the samples realistic?), recall the fraction of reals in the
    fake manifold (is the real variety covered?). A mode-collapsed generator has high
    precision and low recall; blurry samples have low precision.

    Distances are computed in float32 (faster than float64; round-off
    only moves points within about 1e-6 of a ball's border), ``batch_size`` rows of a
    distance matrix at a time: 1000 x 10,000 float32 is 40 MB.

    Args:
        real_features: array (n_r, d), n_r > k.
        fake_features: array (n_f, d), n_f > k.
        k: neighbourhood size (the paper uses 3).
        batch_size: rows of the distance matrices held in memory at once.
    Returns:
        (precision, recall), floats in [0, 1].
    """
    k = checks.integer("k", k, minimum=1, hint=": the k-th nearest neighbour needs k >= 1 "
                                              "(the paper uses 3)")
    batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                hint=": rows of a distance matrix per pass, e.g. 1000")
    real = _check_features("real_features", real_features, min_samples=k + 1)
    fake = _check_features("fake_features", fake_features, min_samples=k + 1)
    _check_same_dimension(real, fake)
    real, fake = real.astype(np.float32), fake.astype(np.float32)
    real_radii = _knn_radii(real, k, batch_size)
    fake_radii = _knn_radii(fake, k, batch_size)
    real_norms = np.einsum("ij,ij->i", real, real)
    fake_in_real = np.zeros(len(fake), dtype=bool)
    real_in_fake = np.zeros(len(real), dtype=bool)
    for start in range(0, len(fake), batch_size):
        distances = _squared_distances(fake[start:start + batch_size], real, real_norms)
        fake_in_real[start:start + batch_size] = (distances <= real_radii[None, :]).any(axis=1)
        fake_radii_batch = fake_radii[start:start + batch_size, None]
        real_in_fake |= (distances <= fake_radii_batch).any(axis=0)
    return float(fake_in_real.mean()), float(real_in_fake.mean())
