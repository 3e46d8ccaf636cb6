"""Training throughput of the kit's DCGAN against a plain keras.io-style DCGAN, images/s on CPU.

Both train the assignment's architecture (Dense 16,384; transposed convs 128/64/32 with batch
normalization and LeakyReLU; convs 32/128/256) on in-memory 64x64x3 batches of 128 with
``model.fit``. Each variant runs in its own fresh process, as a student runs it:

- ``baseline``: keras.io's ``dcgan_overriding_train_step.py`` pattern (fakes made once for the
  discriminator step, again for the generator step; sigmoid output), default TensorFlow settings,
  genai_kit never imported. ``TF_ENABLE_ONEDNN_OPTS`` is removed from its environment.
- ``baseline_onednn``: the same code with ``TF_ENABLE_ONEDNN_OPTS=1``, to separate the
  gain of oneDNN from the gain of the kit's train_step.
- ``kit``: ``import genai_kit`` first, then ``dcgan.DCGAN`` with its defaults: oneDNN on,
  fused batch normalization, and ``dtype_policy="auto"``, which is mixed bfloat16 on a CPU
  with bfloat16 instructions (float32 weights, optimizer state, batch statistics, logits and
  losses; bfloat16 activations) and float32 elsewhere.
- ``kit_float32``: the kit with ``dtype_policy="float32"``: the baseline's arithmetic, so
  the gain is the kit's train_step and fused batch normalization alone.
- ``kit_no_onednn``: the kit with ``TF_ENABLE_ONEDNN_OPTS=0`` (then "auto" is float32).
- ``kit_keras_bn`` (not in the default list, an ablation): the kit with Keras' own
  ``BatchNormalization`` in place of ``FusedBatchNormalization``, to measure the fused kernel's share.

The variants are interleaved over ``--repeats`` rounds, so that load from other processes on a
shared machine falls on all of them alike; the script prints each run, the median images/s per
variant and the ratios to the baseline, in wall-clock images/s (what a student sees) and in
images per CPU-second of the process (steadier when other processes share the CPU).

    python benchmarks/dcgan_throughput.py                 # 3 rounds, 4 warm-up + 8 timed steps
    python benchmarks/dcgan_throughput.py --repeats 5 --steps 12
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH_SIZE = 128
LATENT_DIM = 100
VARIANTS = ("baseline", "baseline_onednn", "kit", "kit_float32", "kit_no_onednn")


def _variant_environment(variant):
    env = dict(os.environ)
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if variant == "baseline_onednn":
        env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    if variant == "kit_no_onednn":
        env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    return env


def _baseline_gan():
    """keras.io's DCGAN pattern with the assignment's architecture (a student's plain version)."""
    import keras
    import tensorflow as tf
    from keras import layers, ops

    generator = keras.Sequential(
        [
            keras.Input(shape=(LATENT_DIM,)),
            layers.Dense(8 * 8 * 256, use_bias=False),
            layers.Reshape((8, 8, 256)),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Conv2D(3, 5, padding="same", activation="tanh"),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(64, 64, 3)),
            layers.Conv2D(32, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(256, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.seed_generator = keras.random.SeedGenerator(1337)

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real_images):
            batch_size = ops.shape(real_images)[0]
            random_latent_vectors = keras.random.normal(
                shape=(batch_size, self.latent_dim), seed=self.seed_generator
            )
            generated_images = self.generator(random_latent_vectors)
            combined_images = ops.concatenate([generated_images, real_images], axis=0)
            labels = ops.concatenate(
                [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0
            )
            labels += 0.05 * tf.random.uniform(tf.shape(labels))
            with tf.GradientTape() as tape:
                predictions = self.discriminator(combined_images)
                d_loss = self.loss_fn(labels, predictions)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            random_latent_vectors = keras.random.normal(
                shape=(batch_size, self.latent_dim), seed=self.seed_generator
            )
            misleading_labels = ops.zeros((batch_size, 1))
            with tf.GradientTape() as tape:
                predictions = self.discriminator(self.generator(random_latent_vectors))
                g_loss = self.loss_fn(misleading_labels, predictions)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_metric.update_state(d_loss)
            self.g_loss_metric.update_state(g_loss)
            return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=LATENT_DIM)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        g_optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        loss_fn=keras.losses.BinaryCrossentropy(),
    )
    return gan


def _kit_gan(dtype_policy="auto", keras_batch_norm=False):
    import genai_kit  # noqa: F401  (first, as a student's notebook does: sets TF defaults)
    import keras
    from genai_kit.models import dcgan

    if keras_batch_norm:
        dcgan.FusedBatchNormalization = keras.layers.BatchNormalization

    gan = dcgan.DCGAN(dcgan.build_dcgan_generator(dtype_policy=dtype_policy),
                      dcgan.build_dcgan_discriminator(dtype_policy=dtype_policy))
    gan.compile(
        generator_optimizer=dcgan.default_optimizer(),
        discriminator_optimizer=dcgan.default_optimizer(),
    )
    return gan


def measure(variant, warmup_steps, timed_steps):
    """Images per second of ``fit`` on in-memory batches, after ``warmup_steps`` (tracing)."""
    if variant.startswith("kit"):
        gan = _kit_gan("float32" if variant == "kit_float32" else "auto",
                       keras_batch_norm=variant == "kit_keras_bn")
    else:
        gan = _baseline_gan()
    import keras
    import numpy as np
    import tensorflow as tf

    # what the generator's convolutions compute in (the baseline: Keras' default float32)
    compute_dtype = next(layer.compute_dtype for layer in gan.generator.layers
                         if isinstance(layer, keras.layers.Conv2DTranspose))

    images = np.random.default_rng(0).uniform(-1, 1, (BATCH_SIZE, 64, 64, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensors(images).repeat()

    class StepClock(keras.callbacks.Callback):
        """Wall and CPU time at the end of every batch."""

        def __init__(self):
            super().__init__()
            self.wall = []
            self.cpu = []

        def on_train_batch_end(self, batch, logs=None):
            self.wall.append(time.perf_counter())
            self.cpu.append(time.process_time())

    # one fit call, timed from the end of the last warm-up step to the end of the last step:
    # the set-up and tear-down of fit itself (seconds, once per call) are not training speed
    clock = StepClock()
    gan.fit(dataset, epochs=1, steps_per_epoch=warmup_steps + timed_steps, callbacks=[clock],
            verbose=0)
    elapsed = clock.wall[-1] - clock.wall[warmup_steps - 1]
    cpu_seconds = clock.cpu[-1] - clock.cpu[warmup_steps - 1]
    # CPU seconds are less sensitive than wall time to other processes on a shared machine
    return (timed_steps * BATCH_SIZE / elapsed, timed_steps * BATCH_SIZE / cpu_seconds,
            compute_dtype)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=4, help="steps not timed (tracing, caches)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per run")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        rate, per_cpu_second, compute_dtype = measure(args.child, args.warmup, args.steps)
        print(json.dumps({"variant": args.child, "images_per_second": rate,
                          "images_per_cpu_second": per_cpu_second,
                          "compute_dtype": compute_dtype}))
        return

    variants = args.variants.split(",")
    rates = {variant: [] for variant in variants}
    cpu_rates = {variant: [] for variant in variants}
    for round_index in range(1, args.repeats + 1):
        for variant in variants:
            command = [sys.executable, __file__, "--child", variant,
                       "--warmup", str(args.warmup), "--steps", str(args.steps)]
            result = subprocess.run(command, env=_variant_environment(variant),
                                    capture_output=True, text=True, check=False)
            if result.returncode != 0:
                sys.exit(f"{variant} failed:\n{result.stderr[-3000:]}")
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            rates[variant].append(measured["images_per_second"])
            cpu_rates[variant].append(measured["images_per_cpu_second"])
            print(f"round {round_index} {variant:>16}: {rates[variant][-1]:7.1f} images/s, "
                  f"{cpu_rates[variant][-1]:6.1f} images per CPU-second "
                  f"({measured['compute_dtype']} activations)", flush=True)

    print(f"\nbatch {BATCH_SIZE}, {args.steps} timed steps after {args.warmup} warm-up steps, "
          f"median of {args.repeats} interleaved fresh-process runs (os.cpu_count()={os.cpu_count()})")
    for unit, table in (("images/s", rates), ("images per CPU-second", cpu_rates)):
        baseline = statistics.median(table[variants[0]])
        for variant in variants:
            median = statistics.median(table[variant])
            print(f"{variant:>16}: {median:7.1f} {unit:<22} {median / baseline:5.2f}x {variants[0]}")
        if "baseline" in table and "kit" in table:
            per_round = [kit / base for kit, base in zip(table["kit"], table["baseline"])]
            print(f"kit / baseline per round ({unit}): "
                  + ", ".join(f"{ratio:.2f}" for ratio in per_round))


if __name__ == "__main__":
    main()
