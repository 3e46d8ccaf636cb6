"""Week 10's table: size, speed and quality of each technique against the float32 model.

Classifier rows (the dense 784-256-128-10 classifier on the bundled digits, accuracy on the
500 held-out digits): float32, mixed float16 and bfloat16, LoRA (digits 0-4 adapted to 5-9,
beside a full fine-tune), int8 and int4, 50/75/90% pruned, and the distilled and scratch
students (10 labels per class, over 3 seeds, with and without the other training digits as
transfer set). Latencies are ratios against the float32 row of
the same run. Generator rows: the shipped VAE's decoder quantized, pruned and adapted with
LoRA to draw sevens, with MNIST-FID, the recognised share and the decoder's bytes.

    python benchmarks/efficient_models.py               # the full run (the README's table)
    python benchmarks/efficient_models.py --epochs 5 --skip-generator
    python benchmarks/efficient_models.py --only-precision     # speed per dtype policy
"""
import argparse
import time

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)

from genai_kit import config
from genai_kit.efficient import (batch_size, comparison, digits, distillation, generator,
                                 mixed_precision, quantization, size)


def classifier_rows(epochs, seed):
    images, labels = digits.split("train")
    test = digits.split("test")
    rows = []
    for policy in mixed_precision.POLICIES:
        started = time.perf_counter()
        model, _ = mixed_precision.train_under_policy(policy, images, labels, epochs=epochs,
                                                      seed=seed)
        throughput = mixed_precision.training_throughput(model, images, labels, 256)
        rows.append(comparison.measure(policy, model, *test))
        print(f"{policy}: trained in {time.perf_counter() - started:.0f} s, "
              f"{throughput:,.0f} training examples/s at batch 256", flush=True)
        if policy == "float32":
            baseline = model
    shift = comparison.lora_shift(seed=seed)
    shifted_test = digits.split("test", comparison.SHIFTED_DIGITS)
    rows.append(comparison.measure("full fine-tune", shift["full"], *shifted_test, task="5-9 after 0-4"))
    rows.append(comparison.measure(f"LoRA rank {comparison.LORA_RANK}", shift["lora"], *shifted_test,
                                   task="5-9 after 0-4"))
    print(f"LoRA: {shift['trainable_share']:.2%} trainable, recovers {shift['recovered']:.1%} "
          f"of the full fine-tune's accuracy; {shift['accuracy']}", flush=True)
    for mode in quantization.installed_modes():
        rows.append(comparison.measure(mode, quantization.quantized_copy(baseline, mode), *test))
        kernels = size.weight_bytes(quantization.quantized_copy(baseline, mode), kernels_only=True)
        print(f"{mode}: kernel bytes {kernels / size.weight_bytes(baseline, kernels_only=True):.3f}x "
              "float32", flush=True)
    for row, measured in comparison.pruning_rows(baseline, images, labels, *test, seed=seed):
        rows.append(row)
        print(f"{row['name']}: measured sparsity {measured:.4f}", flush=True)
    return rows, baseline


def precision_speed(policies, rounds=3, num_batches=40):
    """Training and inference speed per policy: the policies take turns, best of ``rounds``."""
    images, labels = digits.split("train")
    models = {policy: mixed_precision.train_under_policy(policy, images[:512], labels[:512],
                                                         epochs=1)[0] for policy in policies}
    training = dict.fromkeys(policies, 0.0)
    inference = dict.fromkeys(policies, float("inf"))
    for _ in range(rounds):
        for policy, model in models.items():
            training[policy] = max(training[policy], mixed_precision.training_throughput(
                model, images, labels, 256, num_batches=num_batches))
            inference[policy] = min(inference[policy], size.latency(model, 256))
    for policy in policies:
        print(f"{policy}: training {training[policy]:,.0f} examples/s "
              f"({training[policy] / training['float32']:.2f}x float32), inference at batch 256 "
              f"{inference[policy] * 1e3:.2f} ms ({inference[policy] / inference['float32']:.2f}x)",
              flush=True)


def distillation_rows(seed_count):
    result = distillation.compare(seeds=tuple(range(seed_count)))
    print(f"distillation, {distillation.NUM_PER_CLASS} labels per class, {seed_count} seeds: "
          f"distilled {result['distilled_mean']:.3f} ± {result['distilled_std']:.3f}, scratch "
          f"{result['scratch_mean']:.3f} ± {result['scratch_std']:.3f}, teacher "
          f"{result['teacher']:.3f}; parameters {result['student_parameters']:,} (student) and "
          f"{result['teacher_parameters']:,} (teacher)", flush=True)
    alone = distillation.compare(seeds=tuple(range(seed_count)), use_unlabeled=False)
    print(f"the same without the transfer set (the labelled digits only): distilled "
          f"{alone['distilled_mean']:.3f} ± {alone['distilled_std']:.3f}, scratch "
          f"{alone['scratch_mean']:.3f} ± {alone['scratch_std']:.3f}", flush=True)
    return result


def generator_table(seed):
    variants = {"float32": generator.load_vae, "int8": lambda: generator.quantized_vae("int8"),
                "int4": lambda: generator.quantized_vae("int4"),
                "pruned 50%": lambda: generator.pruned_vae(0.5, seed=seed),
                "pruned 75%": lambda: generator.pruned_vae(0.75, seed=seed)}
    print("| VAE decoder | parameters | decoder bytes | decoder gzip bytes | MNIST-FID | recognised |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, make in variants.items():
        figures = generator.generator_figures(make(), seed=seed)
        print(f"| {name} | {figures['parameters']:,} | {figures['decoder_bytes']:,} | "
              f"{figures['decoder_gzip_bytes']:,} | {figures['fid']:.1f} | "
              f"{figures['recognised']:.1%} |", flush=True)
    print("\n| VAE adapted to draw 7s | trainable | MNIST-FID to the training 7s | drawn as 7 |")
    print("| --- | ---: | ---: | ---: |")
    for name, make in {"shipped": generator.load_vae,
                       f"LoRA rank {comparison.LORA_RANK}": lambda: generator.lora_vae(seed=seed),
                       "full fine-tune": lambda: generator.finetuned_vae(seed=seed)}.items():
        figures = generator.generator_figures(make(), digit=7, seed=seed)
        print(f"| {name} | {figures['trainable']:,} of {figures['parameters']:,} | "
              f"{figures['fid']:.1f} | {figures['drawn_as_digit']:.1%} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the distillation runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-generator", action="store_true")
    parser.add_argument("--only-precision", nargs="*", metavar="POLICY",
                        help="only the speed of these policies against float32 (default: all "
                             "three), e.g. under ONEDNN_MAX_CPU_ISA=AVX2 --only-precision "
                             "mixed_float16")
    args = parser.parse_args()
    print(config.accelerator_report(), flush=True)
    if args.only_precision is not None:
        precision_speed(["float32"] + [policy for policy in (args.only_precision
                                                             or mixed_precision.POLICIES[1:])])
        return
    rows, baseline = classifier_rows(args.epochs, args.seed)
    result = distillation_rows(args.seeds)
    print()
    print(comparison.markdown_table(rows))
    print(f"| distilled student | {result['student_parameters']:,} | | | | | | "
          f"{result['distilled_mean']:.1%} ± {result['distilled_std']:.1%} | 10 labels per class |")
    print(f"| scratch student | {result['student_parameters']:,} | | | | | | "
          f"{result['scratch_mean']:.1%} ± {result['scratch_std']:.1%} | 10 labels per class |")
    throughputs = batch_size.throughput_by_batch_size(*digits.split("train"))
    print("\ntraining examples per second by batch size: "
          + ", ".join(f"{batch}: {rate:,.0f}" for batch, rate in throughputs.items()))
    print(f"largest batch within 64 MB (estimate): {batch_size.largest_batch_within(baseline, 64e6):,}")
    if not args.skip_generator:
        print()
        generator_table(args.seed)


if __name__ == "__main__":
    main()
