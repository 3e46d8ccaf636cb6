"""What the in-graph check of every training batch costs a step: fit with it and without it.

``fit`` of the kit's models checks the first batch in Python and every batch in the tf.data
pipeline (``genai_kit.checks.checked_training_data``: one pass of two comparisons over the
batch, the message's numbers computed only when the check fails). This script trains the same
model on the same in-memory dataset through the checked ``fit`` and through plain
``keras.Model.fit`` on the same pipeline with the same final prefetch (the DCGAN's with its
remapper switch, as its ``fit`` does), interleaved (each round the other variant first)
over ``--repeats`` rounds so that load from other processes falls on both alike. Each run
takes ``--warmup`` untimed steps (the step is traced once, before the first round), then
``--steps`` timed ones; it prints the median seconds per step, wall-clock and CPU, and the
ratio checked / unchecked. First it times reading a batch from the pipeline alone, with
and without the check: the check's own cost, which the step hides while the pipeline keeps
ahead of it.

    python benchmarks/input_checks.py                       # DCGAN and diffusion, 3 rounds
    python benchmarks/input_checks.py --models dcgan --repeats 5 --steps 20
"""
import argparse
import statistics
import time

import genai_kit  # noqa: F401  (the kit's TensorFlow defaults, before TensorFlow is imported)
import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks, pixels
from genai_kit.diffusion import settings as diffusion_settings
from genai_kit.models import dcgan


class StepTimer(keras.callbacks.Callback):
    """Wall-clock and CPU seconds per step over the steps after the first ``warmup``."""

    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.warmup - 1:
            self.start = (time.perf_counter(), time.process_time())
            self.first = batch

    def on_train_end(self, logs=None):
        self.last = self.params["steps"] - 1
        steps = self.last - self.first
        wall, cpu = time.perf_counter() - self.start[0], time.process_time() - self.start[1]
        self.per_step = (wall / steps, cpu / steps)


def build(name, batch_size):
    rng = np.random.default_rng(0)
    if name == "dcgan":
        model = dcgan.DCGAN(seed=0)  # the assignment's architecture, 64x64x3
        model.compile()
        images = rng.uniform(-1, 1, (4 * batch_size, 64, 64, 3)).astype("float32")
        dataset = tf.data.Dataset.from_tensor_slices(images)

        def unchecked_fit(*args, **kwargs):
            with dcgan._remapper_off():
                return keras.Model.fit(model, *args, **kwargs)
    else:  # notebook 06's conditional MNIST model
        model = diffusion_settings.build_model(diffusion_settings.FULL)
        images = rng.uniform(0, 1, (4 * batch_size, 28, 28, 1)).astype("float32")
        labels = np.arange(len(images)) % 10
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))

        def unchecked_fit(*args, **kwargs):
            return keras.Model.fit(model, *args, **kwargs)
    return model, dataset.repeat().batch(batch_size, drop_remainder=True), unchecked_fit


def pipeline_cost(dataset, value_range, batches=200):
    """Seconds per batch of reading the dataset alone, with the check and without it."""
    plain = dataset.prefetch(tf.data.AUTOTUNE)
    checked = checks.checked_training_data(
        dataset, lambda images, _: pixels.graph_check_images(images, value_range))
    costs = {}
    for variant, pipeline in (("unchecked", plain), ("checked", checked)) * 2:
        iterator = iter(pipeline)
        next(iterator)
        start = time.perf_counter()
        for _ in range(batches):
            next(iterator)
        costs[variant] = (time.perf_counter() - start) / batches  # the second pass counts
    return costs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["dcgan", "diffusion"],
                        choices=["dcgan", "diffusion"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    arguments = parser.parse_args()
    for name in arguments.models:
        model, dataset, unchecked_fit = build(name, arguments.batch_size)
        value_range = (-1, 1) if name == "dcgan" else (0, 1)
        costs = pipeline_cost(dataset, value_range)
        print(f"{name} reading one batch alone: checked {costs['checked'] * 1e3:.2f} ms, "
              f"unchecked {costs['unchecked'] * 1e3:.2f} ms", flush=True)
        # the same pipeline without the check: the checked one ends with a prefetch too
        plain = dataset.prefetch(tf.data.AUTOTUNE)
        total = arguments.warmup + arguments.steps + 1
        fits = {"checked": lambda *args, **kwargs: model.fit(dataset, *args, **kwargs),
                "unchecked": lambda *args, **kwargs: unchecked_fit(plain, *args, **kwargs)}
        for fit in fits.values():  # trace both once
            fit(epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
        times = {variant: [] for variant in fits}
        for round_index in range(arguments.repeats):
            # alternate which variant goes first, so that an order effect cancels out
            order = list(fits.items())[::1 if round_index % 2 == 0 else -1]
            for variant, fit in order:
                timer = StepTimer(arguments.warmup)
                fit(epochs=1, steps_per_epoch=total, verbose=0, callbacks=[timer], shuffle=False)
                times[variant].append(timer.per_step)
                print(f"{name} round {round_index} {variant}: {timer.per_step[0] * 1e3:.1f} ms "
                      f"wall, {timer.per_step[1] * 1e3:.1f} ms CPU per step", flush=True)
        medians = {variant: [statistics.median(run[i] for run in runs) for i in (0, 1)]
                   for variant, runs in times.items()}
        for kind, index in (("wall", 0), ("CPU", 1)):
            checked, unchecked = medians["checked"][index], medians["unchecked"][index]
            print(f"{name} median {kind} s/step: checked {checked:.4f}, unchecked "
                  f"{unchecked:.4f}, ratio {checked / unchecked:.3f}")


if __name__ == "__main__":
    main()
