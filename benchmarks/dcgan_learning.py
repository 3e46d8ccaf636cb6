"""Does the kit's DCGAN learn digits, in float32 and in mixed bfloat16? Same run, same seeds.

Trains notebook 04's quick configuration (the assignment's architecture with every width
divided by ``--width-divisor``, batch ``--batch-size``, Adam 1e-4 with beta_1 = 0.5) on the
offline 64x64 colour digits for ``--steps`` steps, once per dtype policy and seed, then reads
1,000 samples with the kit's MNIST classifier (``evaluation.digit_report``): the share
recognised at confidence > 0.9 (chance for a classifier that guessed: 10% of digits, but a
confident classifier can exceed that on blobs, so the untrained generator is printed too)
and the effective number of digit classes among them (10 = all digits equally, 1 = collapse).

    python benchmarks/dcgan_learning.py                     # 500 steps, seeds 0 and 1
    python benchmarks/dcgan_learning.py --steps 1000 --seeds 0 1 2
"""
import argparse
import statistics
import time

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)
import keras

from genai_kit import data, evaluation, latent
from genai_kit.models import dcgan

POLICIES = ("float32", "mixed_bfloat16")
NUM_SAMPLES = 1000


def train_and_read(dtype_policy, seed, steps, width_divisor, batch_size):
    """(untrained report, trained report, training seconds) of one run."""
    keras.utils.set_random_seed(seed)
    generator = dcgan.build_dcgan_generator(
        base_channels=dcgan.GENERATOR_BASE_CHANNELS // width_divisor,
        filters=tuple(width // width_divisor for width in dcgan.GENERATOR_FILTERS),
        dtype_policy=dtype_policy,
    )
    discriminator = dcgan.build_dcgan_discriminator(
        filters=tuple(width // width_divisor for width in dcgan.DISCRIMINATOR_FILTERS),
        dtype_policy=dtype_policy,
    )
    gan = dcgan.DCGAN(generator, discriminator, seed=seed)
    gan.compile()
    latents = latent.latent_batch(gan, NUM_SAMPLES, seed=1)
    untrained = evaluation.digit_report(gan.generate(latents))
    dataset = data.image_dataset("colour_digits", image_size=64, batch_size=batch_size,
                                 seed=seed).repeat()
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    return untrained, evaluation.digit_report(gan.generate(latents)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--width-divisor", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    recognised = {policy: [] for policy in POLICIES}
    for seed in args.seeds:
        for policy in POLICIES:
            untrained, trained, seconds = train_and_read(
                policy, seed, args.steps, args.width_divisor, args.batch_size)
            recognised[policy].append(trained["recognised"])
            print(f"seed {seed} {policy:>14}: untrained {untrained['recognised']:5.1%} "
                  f"({untrained['effective_classes']:.1f} classes) -> after {args.steps} steps "
                  f"{trained['recognised']:5.1%} recognised, "
                  f"{trained['effective_classes']:.1f} effective classes, {seconds:.0f} s",
                  flush=True)
    print(f"\nwidths / {args.width_divisor}, batch {args.batch_size}, {args.steps} steps, "
          f"{NUM_SAMPLES} samples, confidence > 0.9")
    for policy in POLICIES:
        print(f"{policy:>14}: median recognised {statistics.median(recognised[policy]):.1%} "
              f"over seeds {args.seeds}")


if __name__ == "__main__":
    main()
