"""5-way 1-shot and 5-shot digits: MAML and Reptile against training from scratch.

MAML and Reptile meta-train on the bundled training digits 0-4 with labels permuted in every
episode (``genai_kit.meta.few_shot``), then adapt to 5-way episodes of digits 5-9 from the
bundled test images, classes they never saw. The baseline trains a freshly initialised network
of the same shape on each support set alone (50 plain gradient steps at 0.1). Printed: query
accuracy with its 95% confidence interval over ``--episodes`` episodes, after 1 and 10 steps
for the meta-learners and after 50 steps for the baseline.

    python benchmarks/meta_digits.py                       # 5,000 iterations, 600 episodes
    python benchmarks/meta_digits.py --iterations 500 --episodes 100
"""
import argparse

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)

from genai_kit.meta import evaluation, few_shot


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--episodes", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| learner | K | iterations | accuracy, 0 steps | after 1 step | after 10 steps "
          "| after 50 steps | seconds per 1,000 iterations |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for num_shots in args.shots:
        episodes = few_shot.held_out_episodes(num_shots, args.episodes)
        mean, half = evaluation.mean_and_interval(few_shot.from_scratch_accuracy(episodes))
        print(f"| from scratch | {num_shots} | - | {mean[0]:.3f} | {mean[1]:.3f} ± {half[1]:.3f} "
              f"| {mean[10]:.3f} ± {half[10]:.3f} | {mean[50]:.3f} ± {half[50]:.3f} | - |",
              flush=True)
        for name in few_shot.LEARNERS:
            model, history = few_shot.meta_train(name, num_shots, args.iterations, seed=args.seed,
                                                 progress_bar=False)
            scores = few_shot.accuracy_after_steps(model, episodes,
                                                   few_shot.inner_learning_rate(name), 10)
            mean, half = evaluation.mean_and_interval(scores)
            per_thousand = 1000 * history["seconds_after_first"] / max(args.iterations - 1, 1)
            print(f"| {name} | {num_shots} | {args.iterations:,} | {mean[0]:.3f} "
                  f"| {mean[1]:.3f} ± {half[1]:.3f} | {mean[10]:.3f} ± {half[10]:.3f} | - "
                  f"| {per_thousand:.2f} |", flush=True)


if __name__ == "__main__":
    main()
