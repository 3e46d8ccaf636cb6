"""Held-out quality and training speed of the kit's autoencoder and VAE (week 2 and 3 numbers).

Three models train on the same MNIST digits (offline: the bundled 4,500 / 500 subset) with
``fit``, batch 128, Adam at 0.001:

- ``baseline``: the slides' autoencoder as a student writes it from the slide, a plain
  ``keras.Sequential`` (784 -> 512 -> 256 -> 128 -> 256 -> 512 -> 784, ReLU, sigmoid, MSE);
- ``kit_autoencoder``: ``autoencoder.build_autoencoder()``, the same network in the kit;
- ``kit_vae``: ``vae.build_vae()`` (16-d latent, same dense body, beta = 1).

The variants are interleaved over ``--repeats`` rounds, so load from other processes on a
shared machine falls on all of them alike. Printed per variant: held-out MSE (autoencoders)
or held-out ELBO with its reconstruction/KL split in nats (VAE) after ``--epochs`` epochs,
the median seconds per epoch (first epoch, which traces the graph, left out), and the
ratio of each to the baseline measured in the same run.

    python benchmarks/autoencoders.py                    # 5 epochs, 1 round
    python benchmarks/autoencoders.py --epochs 50 --repeats 2
"""
import argparse
import statistics
import time

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)
import keras
import numpy as np

from genai_kit import data
from genai_kit.models import autoencoder, vae

VARIANTS = ("baseline", "kit_autoencoder", "kit_vae")
BATCH_SIZE = 128


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def baseline_autoencoder():
    """The slide, typed in directly: no kit code."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(784, activation="sigmoid"),
        keras.layers.Reshape((28, 28, 1)),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def run(variant, train, test, epochs, seed):
    keras.utils.set_random_seed(seed)
    timer = EpochTimer()
    if variant == "kit_vae":
        model = vae.build_vae(seed=seed)
        model.fit(train, epochs=epochs, batch_size=BATCH_SIZE, callbacks=[timer], verbose=0)
        quality = model.elbo(test)
    else:
        model = baseline_autoencoder() if variant == "baseline" else autoencoder.build_autoencoder(seed=seed)
        model.fit(train, train, epochs=epochs, batch_size=BATCH_SIZE, callbacks=[timer], verbose=0)
        quality = {"mse": float(model.evaluate(test, test, verbose=0, batch_size=500))}
    timed = timer.seconds[1:] or timer.seconds
    return quality, statistics.median(timed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    arguments = parser.parse_args()
    train, _ = data.load_mnist("train")
    test, _ = data.load_mnist("test")
    print(f"data: {len(train)} train / {len(test)} test digits, {arguments.epochs} epochs, "
          f"batch {BATCH_SIZE}, {arguments.repeats} round(s)")
    results = {variant: [] for variant in VARIANTS}
    for round_index in range(arguments.repeats):
        for variant in VARIANTS:
            quality, seconds = run(variant, train, test, arguments.epochs, seed=round_index)
            results[variant].append((quality, seconds))
            shown = ", ".join(f"{key} {value:.4g}" for key, value in quality.items())
            print(f"round {round_index + 1} {variant:16s} {shown}; {seconds:.2f} s/epoch")
    baseline_seconds = statistics.median(seconds for _, seconds in results["baseline"])
    baseline_mse = statistics.median(quality["mse"] for quality, _ in results["baseline"])
    print("\nmedians over rounds (ratios: variant / baseline in this run)")
    for variant, runs in results.items():
        seconds = statistics.median(seconds for _, seconds in runs)
        keys = runs[0][0].keys()
        quality = {key: statistics.median(run_quality[key] for run_quality, _ in runs) for key in keys}
        shown = ", ".join(f"{key} {value:.4g}" for key, value in quality.items())
        mse_ratio = f", MSE x{quality['mse'] / baseline_mse:.2f}" if "mse" in quality else ""
        print(f"{variant:16s} {shown}; {seconds:.2f} s/epoch (time x{seconds / baseline_seconds:.2f}"
              f"{mse_ratio})")
    mse_5 = statistics.median(quality["mse"] for quality, _ in results["kit_autoencoder"])
    if arguments.epochs == 5:
        print(f"\ntarget: kit autoencoder held-out MSE after 5 epochs <= 0.03: "
              f"{'met' if mse_5 <= 0.03 else 'NOT met'} ({mse_5:.4f})")
    print(f"compression ratio {autoencoder.compression_ratio():.3f}x; "
          f"a constant mean-digit guess scores MSE {np.mean((test - train.mean(axis=0)) ** 2):.4f}")


if __name__ == "__main__":
    main()
