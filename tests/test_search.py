"""Grid and random search with k-fold cross-validation, KerasTuner, and the optimizer comparison."""
import os

import numpy as np
import pytest
import scipy.stats

from genai_kit import data, optim
from genai_kit.models import autoencoder
from tolerances import assert_rounding_close
from genai_kit.optim import compare, search


def _learning_rate_only_objective(params, train, validation):
    """A loss that depends on the learning rate only (best at 10**-2.3), not on the batch size."""
    return (np.log10(params["learning_rate"]) + 2.3) ** 2


def test_kfold_validation_folds_partition_the_data():
    folds = search.kfold_indices(10, num_folds=3, seed=1)
    assert len(folds) == 3
    validation = np.concatenate([fold[1] for fold in folds])
    np.testing.assert_array_equal(np.sort(validation), np.arange(10))
    for train, held_out in folds:
        assert len(np.intersect1d(train, held_out)) == 0
        assert len(train) + len(held_out) == 10
    assert sorted(len(fold[1]) for fold in folds) == [3, 3, 4]


@pytest.mark.parametrize("num_folds", [1, 11, 2.5])
def test_kfold_rejects_impossible_fold_counts(num_folds):
    with pytest.raises(ValueError, match="num_folds"):
        search.kfold_indices(10, num_folds)


def test_parameter_grid_has_every_combination_once():
    grid = search.parameter_grid({"learning_rate": [1e-3, 1e-2], "latent_dim": [16, 32, 64]})
    assert len(grid) == 6
    assert {(p["learning_rate"], p["latent_dim"]) for p in grid} == {
        (lr, dim) for lr in (1e-3, 1e-2) for dim in (16, 32, 64)}


def test_grid_search_rejects_a_distribution_and_empty_lists():
    with pytest.raises(ValueError, match="grid search needs a list"):
        search.parameter_grid({"learning_rate": scipy.stats.loguniform(1e-4, 1e-1)})
    with pytest.raises(ValueError, match="empty"):
        search.parameter_grid({"latent_dim": []})


def test_random_samples_are_reproducible_and_inside_the_space():
    space = {"learning_rate": scipy.stats.loguniform(1e-4, 1e-1), "latent_dim": [16, 32]}
    first = search.sample_parameters(space, 50, seed=3)
    assert first == search.sample_parameters(space, 50, seed=3)
    assert first != search.sample_parameters(space, 50, seed=4)
    rates = np.array([p["learning_rate"] for p in first])
    assert rates.min() >= 1e-4 and rates.max() <= 1e-1
    # log-uniform: about a third of the samples in each decade
    assert 8 <= np.sum(rates < 1e-3) <= 25
    assert {p["latent_dim"] for p in first} == {16, 32}
    with pytest.raises(ValueError, match="trials"):
        search.sample_parameters(space, 0)


def test_cross_validation_scores_every_fold_on_held_out_data():
    data = (np.arange(12, dtype=np.float32),)
    seen = []

    def objective(params, train, validation):
        assert len(np.intersect1d(train[0], validation[0])) == 0
        seen.append(validation[0])
        return validation[0].mean() * params["scale"]

    result = search.cross_validate(objective, {"scale": 2.0}, data, num_folds=4)
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), data[0])
    assert len(result["fold_losses"]) == 4
    # the fold means average to the data mean: 2 * 5.5, to the rounding of 12 additions
    assert_rounding_close(result["mean_loss"], 11.0, roundings=12 + 4)
    assert result["std_loss"] > 0


def test_grid_search_finds_the_best_grid_point_best_first():
    space = {"learning_rate": [1e-4, 1e-3, 1e-2, 1e-1], "batch_size": [32, 128]}
    result = search.grid_search(_learning_rate_only_objective, space, (np.zeros(6),),
                                num_folds=2, progress=False)
    assert len(result.trials) == 8
    assert result.best_params["learning_rate"] == 1e-2
    losses = [trial["mean_loss"] for trial in result.trials]
    assert losses == sorted(losses)
    assert "learning_rate" in result.table() and "8 trials" in result.table()


def test_random_search_beats_grid_search_when_one_hyperparameter_matters():
    """The argument of Bergstra & Bengio (2012): 9 trials try 9 learning rates, not 3."""
    data = (np.zeros(4),)
    grid = search.grid_search(_learning_rate_only_objective,
                              {"learning_rate": [1e-4, 1e-3, 1e-2], "batch_size": [32, 64, 128]},
                              data, num_folds=2, progress=False)
    random_space = {"learning_rate": scipy.stats.loguniform(1e-4, 1e-2),
                    "batch_size": [32, 64, 128]}
    random_best = [search.random_search(_learning_rate_only_objective, random_space, data,
                                        num_trials=9, num_folds=2, seed=seed,
                                        progress=False).best_loss for seed in range(20)]
    assert len({trial["params"]["learning_rate"] for trial in grid.trials}) == 3
    assert np.median(random_best) < grid.best_loss
    assert np.mean(np.array(random_best) < grid.best_loss) >= 0.7


def _tiny_autoencoder(**params):
    return autoencoder.build_autoencoder(hidden_units=(32,), **params)


@pytest.fixture(scope="module")
def tiny_images():
    images, _ = data.load_mnist("train")
    return images[:96]


def test_keras_model_objective_returns_the_validation_loss(tiny_images):
    objective = search.keras_model_objective(_tiny_autoencoder, epochs=1, batch_size=32)
    loss = objective({"latent_dim": 8}, (tiny_images[:64],), (tiny_images[64:],))
    # one epoch of two batches: below the untrained sigmoid's ~0.23, above a trained model's ~0.02
    assert 0.05 < loss < 0.25


@pytest.mark.parametrize("tuner", ["grid", "random"])
def test_keras_tuner_search_tries_the_space_and_ranks_the_trials(tiny_images, tuner, tmp_path):
    space = {"latent_dim": [4, 8]} if tuner == "grid" else {
        "learning_rate": scipy.stats.loguniform(1e-4, 1e-2), "latent_dim": [4, 8]}
    result = search.keras_tuner_search(_tiny_autoencoder, space, (tiny_images[:64],),
                                       (tiny_images[64:],), tuner=tuner, max_trials=2, epochs=1,
                                       batch_size=32, directory=str(tmp_path), progress=False)
    assert result.method == f"keras_tuner_{tuner}" and len(result.trials) == 2
    assert set(result.best_params) == set(space)
    if tuner == "grid":
        assert {trial["params"]["latent_dim"] for trial in result.trials} == {4, 8}
    else:
        assert all(1e-4 <= trial["params"]["learning_rate"] <= 1e-2 for trial in result.trials)
    assert result.trials[0]["mean_loss"] <= result.trials[1]["mean_loss"]
    assert os.listdir(tmp_path) == [f"{tuner}_search"]


def test_keras_tuner_search_rejects_unknown_tuners_and_distributions(tiny_images):
    with pytest.raises(ValueError, match="tuner must be one of"):
        search.keras_tuner_search(_tiny_autoencoder, {"latent_dim": [4]}, (tiny_images,),
                                  (tiny_images,), tuner="bayesian")
    with pytest.raises(ValueError, match="grid search needs a list"):
        search.keras_tuner_search(_tiny_autoencoder,
                                  {"learning_rate": scipy.stats.loguniform(1e-4, 1e-2)},
                                  (tiny_images,), (tiny_images,), tuner="grid")


def test_plot_search_marks_each_search(tiny_images):
    space = {"learning_rate": [1e-4, 1e-3, 1e-2], "batch_size": [32, 64]}
    grid = search.grid_search(_learning_rate_only_objective, space, (np.zeros(4),), num_folds=2,
                              progress=False)
    figure = search.plot_search({"grid": grid}, "learning_rate", "batch_size")
    assert figure.axes[0].get_xscale() == "log"
    assert len(figure.axes) == 2  # the plot and its loss colour bar


def test_compare_optimizers_starts_every_optimizer_from_the_same_weights(tiny_images):
    results = compare.compare_optimizers(
        lambda: _tiny_autoencoder(latent_dim=8),
        {"SGD tiny": optim.SGD(learning_rate=1e-9), "SGD tiny again": optim.SGD(learning_rate=1e-9),
         "Adam": optim.Adam(learning_rate=1e-2)},
        (tiny_images[:64],), (tiny_images[64:],), epochs=3, batch_size=32, progress=False)
    # two runs of the same optimizer from the same weights on the same batches take the same
    # code path: the same bits
    assert results["SGD tiny"]["test_loss"] == results["SGD tiny again"]["test_loss"]
    assert results["Adam"]["test_loss"] < results["SGD tiny"]["test_loss"]
    assert len(results["Adam"]["history"]["loss"]) == 3
    with pytest.raises(ValueError, match="callable"):
        compare.compare_optimizers(_tiny_autoencoder, {"bad": "adam"}, (tiny_images,),
                                   (tiny_images,), epochs=1, progress=False)
