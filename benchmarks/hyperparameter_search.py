"""Grid versus random search at equal trial budget on the MNIST autoencoder, and their cost.

Searches the autoencoder's learning rate and latent size (``build_autoencoder(learning_rate=,
latent_dim=)``) with the same budget of trials:

- from scratch (``genai_kit.optim.search``): grid search over 3 x 3 values and random search
  over the same box (log-uniform learning rate, uniform integer latent size), each configuration
  scored by k-fold cross-validation;
- KerasTuner: GridSearch and RandomSearch over the same space with the same budget, and
  Hyperband (which sets its own number of trials), each trial scored on one validation split.

Every search's best configuration is then retrained on all training images and scored on the
held-out test images, so the searches are compared on the same footing. Wall times are
printed as ratios to the from-scratch grid search measured in the same run.

    python benchmarks/hyperparameter_search.py                       # 9 trials, 3 folds, 2 epochs
    python benchmarks/hyperparameter_search.py --trials 4 --folds 2 --epochs 1 --examples 1000
"""
import argparse

import numpy as np
import scipy.stats

import genai_kit  # noqa: F401  (before keras: TensorFlow defaults)
from genai_kit import data
from genai_kit.models import autoencoder
from genai_kit.optim import search

GRID_SPACE = {"learning_rate": [1e-4, 1e-3, 1e-2], "latent_dim": [16, 64, 128]}
RANDOM_SPACE = {"learning_rate": scipy.stats.loguniform(1e-4, 1e-2),
                "latent_dim": scipy.stats.randint(16, 129)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=9, help="budget of every search but Hyperband")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--examples", type=int, default=None, help="training images used (default all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train_images, _ = data.load_mnist("train")
    test_images, _ = data.load_mnist("test")
    train_images = train_images[:args.examples]
    grid_space = GRID_SPACE
    if args.trials < 9:  # a smaller grid for a smaller budget: 2 x 2
        grid_space = {name: values[::2] for name, values in GRID_SPACE.items()}
    objective = search.keras_model_objective(autoencoder.build_autoencoder, epochs=args.epochs,
                                             seed=args.seed)
    results = {
        "grid (from scratch)": search.grid_search(objective, grid_space, (train_images,),
                                                  num_folds=args.folds, seed=args.seed),
        "random (from scratch)": search.random_search(objective, RANDOM_SPACE, (train_images,),
                                                      num_trials=args.trials, num_folds=args.folds,
                                                      seed=args.seed),
    }
    # KerasTuner scores on one split: the last fold's worth of the training images
    split = len(train_images) - len(train_images) // args.folds
    train, validation = (train_images[:split],), (train_images[split:],)
    for tuner, space in [("grid", grid_space), ("random", RANDOM_SPACE), ("hyperband", RANDOM_SPACE)]:
        results[f"KerasTuner {tuner}"] = search.keras_tuner_search(
            autoencoder.build_autoencoder, space, train, validation, tuner=tuner,
            max_trials=args.trials, epochs=args.epochs, seed=args.seed, progress=False)
    for result in results.values():
        print(result.table(max_rows=3), "\n")

    baseline_seconds = results["grid (from scratch)"].seconds
    print(f"| search | trials | best learning_rate | best latent_dim | search loss | "
          f"test MSE of best, retrained ({args.epochs} epochs) | time / grid's |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, result in results.items():
        best = result.best_params
        test_loss = objective(best, (train_images,), (test_images,))
        print(f"| {label} | {len(result.trials)} | {best['learning_rate']:.3g} | "
              f"{best['latent_dim']} | {result.best_loss:.5f} | {test_loss:.5f} | "
              f"{result.seconds / baseline_seconds:.2f} |")
    print(f"\nfrom-scratch grid search: {baseline_seconds:.0f} s; "
          f"{len(train_images)} training images, {args.folds} folds, {args.epochs} epochs per fit; "
          f"distinct learning rates tried: grid {len(set(t['params']['learning_rate'] for t in results['grid (from scratch)'].trials))}, "
          f"random {len(set(np.round([t['params']['learning_rate'] for t in results['random (from scratch)'].trials], 12)))}")


if __name__ == "__main__":
    main()
