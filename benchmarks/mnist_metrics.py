"""End-to-end time of the MNIST-feature metrics on 10,000 generated vs 10,000 real images.

``evaluation.evaluate(fake_images, real_images)`` with every metric at its default
settings (IS with 10 splits, FID, KID with 100 subsets of 1000, precision/recall with
k = 3): feature extraction of both sets, then the arithmetic. Target: under
10 s on the kit's 2-core CPU.

Offline there are only 5,000 real digits, so the "real" set is the 5,000 bundled digits
plus the same digits shifted one pixel to the right (10,000 images); the "fake" set is
the 5,000 digits shifted one pixel up and down with Gaussian pixel noise (sd 0.1),
clipped to [0, 1]. Online, ``--source tfds`` uses 10,000 real MNIST test digits.

As a same-run baseline for the machine's speed (other jobs share the CPU), the script
also times one 2048 x 2048 float64 matrix product; each stage is printed as seconds and
as a multiple of that product. It also prints the CPU seconds the evaluation used (all
threads): other jobs barely change that, and an idle 2-core machine needs between half of
it and all of it as wall time.

    python benchmarks/mnist_metrics.py
"""
import argparse
import os
import time

import genai_kit  # noqa: F401  (sets TensorFlow defaults before it is imported)
import numpy as np

from genai_kit import data, evaluation, features, metrics

NUM_IMAGES = 10_000
TARGET_SECONDS = 10.0


def image_sets(source):
    """(real, fake) float32 (10000, 28, 28, 1) in [0, 1]."""
    if source == "tfds":
        real, _ = data.load_mnist("test", source="tfds")
        digits, _ = data.load_mnist("train", source="tfds")
        digits = digits[: NUM_IMAGES // 2]
    else:
        train, _ = data.load_mnist("train", source="bundled")
        test, _ = data.load_mnist("test", source="bundled")
        digits = np.concatenate([train, test])
        real = np.concatenate([digits, np.roll(digits, 1, axis=2)])
    shifted = np.concatenate([np.roll(digits, -1, axis=1), np.roll(digits, 1, axis=1)])
    noise = np.random.default_rng(0).normal(0.0, 0.1, shifted.shape)
    fake = np.clip(shifted + noise, 0.0, 1.0).astype(np.float32)
    return real[:NUM_IMAGES], fake[:NUM_IMAGES]


def seconds(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="bundled", choices=("bundled", "tfds"))
    arguments = parser.parse_args()
    real_images, fake_images = image_sets(arguments.source)
    extractor = features.mnist_features()
    extractor(real_images[:100])  # build the model before timing (a one-off)

    matrix = np.random.default_rng(1).standard_normal((2048, 2048))
    _, baseline = seconds(lambda: matrix @ matrix)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"baseline 2048^2 float64 matmul: {baseline:.3f} s")

    cpu_start = time.process_time()
    scores, total = seconds(lambda: evaluation.evaluate(fake_images, real_images, progress=False))
    cpu_seconds = time.process_time() - cpu_start
    print(f"evaluate(10k fake, 10k real), all metrics: {total:.2f} s wall, {cpu_seconds:.2f} CPU s "
          f"(= {total / baseline:.0f} baseline products); target < {TARGET_SECONDS:.0f} s: "
          f"{'PASS' if total < TARGET_SECONDS else 'FAIL'}")
    print("  " + ", ".join(f"{key} {value:.4g}" for key, value in scores.items()))

    # the same work stage by stage
    real, real_seconds = seconds(lambda: evaluation.extract(real_images))
    fake, fake_seconds = seconds(lambda: evaluation.extract(fake_images))
    stages = {
        "features (real, 10k)": real_seconds,
        "features (fake, 10k)": fake_seconds,
        "inception score": seconds(lambda: metrics.inception_score(fake.probabilities))[1],
        "FID": seconds(lambda: metrics.frechet_distance(real.statistics, fake.statistics))[1],
        "KID (100 x 1000)": seconds(
            lambda: metrics.kernel_inception_distance(real.features, fake.features))[1],
        "precision/recall": seconds(
            lambda: metrics.precision_recall(real.features, fake.features))[1],
    }
    for name, stage_seconds in stages.items():
        print(f"  {name:22s} {stage_seconds:6.2f} s  ({stage_seconds / baseline:5.0f} x baseline)")


if __name__ == "__main__":
    main()
