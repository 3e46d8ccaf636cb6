"""Held-out MSE of the slides' MNIST autoencoder after the same epochs for five optimizers.

SGD, SGD with momentum, RMSprop, Adam and AdamW, each with Keras' default hyperparameters
(SGD's learning rate 0.01, the others 0.001; momentum 0.9; AdamW weight decay 0.004), plus
SGD and momentum with 100 and 10 times larger rates (the pixel-averaged MSE has tiny gradients,
which Adam's and RMSprop's normalisation ignores but SGD does not), train
``genai_kit.models.autoencoder.build_autoencoder()`` (784-512-256-128) from the same initial
weights on the same batches (``genai_kit.optim.compare.compare_optimizers``), once per seed.
Prints the held-out MSE per optimizer and seed, the mean, and the training time as a ratio to
plain SGD measured in the same run (so that load from other processes cancels out).

    python benchmarks/optimizers_autoencoder.py                    # 5 epochs, seeds 0 1 2
    python benchmarks/optimizers_autoencoder.py --epochs 10 --seeds 0
"""
import argparse

import numpy as np

import genai_kit  # noqa: F401  (before keras: TensorFlow defaults)
from genai_kit import data, optim
from genai_kit.models import autoencoder
from genai_kit.optim import compare

OPTIMIZERS = {
    "SGD": optim.SGD(learning_rate=0.01),
    "SGD momentum 0.9": optim.SGD(learning_rate=0.01, momentum=0.9),
    # the MSE averages over 784 pixels, so its gradients are small: SGD needs a far larger rate
    "SGD lr 1": optim.SGD(learning_rate=1.0),
    "SGD momentum lr 0.1": optim.SGD(learning_rate=0.1, momentum=0.9),
    "RMSprop": optim.RMSprop(learning_rate=0.001),
    "Adam": optim.Adam(learning_rate=0.001),
    "AdamW": optim.AdamW(learning_rate=0.001, weight_decay=0.004),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    train_images, _ = data.load_mnist("train")
    test_images, _ = data.load_mnist("test")
    print(f"{len(train_images)} training / {len(test_images)} held-out images, "
          f"{args.epochs} epochs, batch {args.batch_size}")
    losses = {name: [] for name in OPTIMIZERS}
    seconds = {name: [] for name in OPTIMIZERS}
    for seed in args.seeds:
        results = compare.compare_optimizers(autoencoder.build_autoencoder, OPTIMIZERS,
                                             (train_images,), (test_images,), epochs=args.epochs,
                                             batch_size=args.batch_size, seed=seed, progress=False)
        for name, result in results.items():
            losses[name].append(result["test_loss"])
            seconds[name].append(result["seconds"])
            print(f"seed {seed}  {name:<17} held-out MSE {result['test_loss']:.5f}  "
                  f"{result['seconds']:.1f} s")
    baseline_seconds = np.mean(seconds["SGD"])
    print(f"\n| optimizer | held-out MSE after {args.epochs} epochs (mean of seeds "
          f"{', '.join(map(str, args.seeds))}) | min - max | time / SGD's |")
    print("| --- | --- | --- | --- |")
    for name in OPTIMIZERS:
        print(f"| {OPTIMIZERS[name]!r} | {np.mean(losses[name]):.5f} | {min(losses[name]):.5f} - "
              f"{max(losses[name]):.5f} | {np.mean(seconds[name]) / baseline_seconds:.2f} |")


if __name__ == "__main__":
    main()
