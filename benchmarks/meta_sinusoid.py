"""MAML, first-order MAML, Reptile and the pretrained baseline on the MAML paper's sinusoids.

Each learner meta-trains from the same seeded 1-40-40-1 network on fresh K-shot sinusoid
tasks (25 per meta-iteration, ``genai_kit.meta.sinusoid_experiment``), then adapts to the
same ``--tasks`` held-out tasks with 0..10 gradient steps (alpha = 0.01) on their K support
points and is scored on 100 query points per task. Printed per learner and K: the query MSE
after 0, 1 and 10 steps with its 95% confidence interval over the tasks, and the wall time per
1,000 meta-iterations (the first iteration, which traces the graph, left out). The reference
lines need no training: predicting 0 scores 4.25, the best task-agnostic prediction 3.01.

    python benchmarks/meta_sinusoid.py                              # the paper: 70,000 iterations, K = 5 and 10
    python benchmarks/meta_sinusoid.py --shots 10 --iterations 20000
    python benchmarks/meta_sinusoid.py --learners MAML --shots 10 --iterations 3000 --tasks 100
"""
import argparse

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)

from genai_kit.meta import evaluation, sinusoid, sinusoid_experiment as experiment


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", default=",".join(experiment.LEARNERS),
                        help=f"comma-separated, from {', '.join(experiment.LEARNERS)}")
    parser.add_argument("--shots", type=int, nargs="+", default=[5, 10], help="K values")
    parser.add_argument("--iterations", type=int, default=experiment.PAPER_ITERATIONS)
    parser.add_argument("--tasks", type=int, default=600, help="held-out tasks")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    learners = [name.strip() for name in args.learners.split(",")]
    print(f"reference lines: predicting 0 {sinusoid.zero_predictor_mse():.3f}, "
          f"best task-agnostic {sinusoid.task_agnostic_mse():.3f}")
    print("| learner | K | iterations | MSE, 0 steps | MSE, 1 step | MSE, 10 steps "
          "| seconds per 1,000 iterations |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for num_shots in args.shots:
        tasks = experiment.held_out_tasks(args.tasks, num_shots)
        for name in learners:
            model, history = experiment.train(name, num_shots, args.iterations, seed=args.seed,
                                              progress_bar=False)
            losses = experiment.evaluate(model, tasks)
            mean, half_width = evaluation.mean_and_interval(losses)
            per_thousand = 1000 * history["seconds_after_first"] / max(args.iterations - 1, 1)
            cells = " | ".join(f"{mean[s]:.3f} ± {half_width[s]:.3f}" for s in (0, 1, 10))
            print(f"| {name} | {num_shots} | {args.iterations:,} | {cells} | {per_thousand:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
