"""Hyperparameter search: grid and random search with k-fold cross-validation, from scratch.

The from-scratch version follows the course text: for every configuration,
train on k - 1 folds, score on the held-out fold, average over the folds, keep the best.
:func:`keras_tuner_search` runs the same search space with KerasTuner (``GridSearch``,
``RandomSearch``, ``Hyperband``) so the two can be compared; KerasTuner scores each trial
on one validation set instead of k folds.

A search space is a dict name -> candidates, the names being the keyword arguments of the
model-building function:

- a list of values, e.g. ``{"latent_dim": [16, 32, 64]}``: grid search tries each, random
  search picks one uniformly;
- a ``scipy.stats`` distribution, e.g. ``{"learning_rate": scipy.stats.loguniform(1e-4, 1e-1)}``:
  random search only (as scikit-learn's ``RandomizedSearchCV``).

Objectives return a loss: lower is better.
"""
import dataclasses
import importlib.util
import itertools
import numbers
import tempfile
import time

import keras
import numpy as np

from genai_kit import tensorflow_messages
from genai_kit.progress import progress_bar

TUNERS = ("grid", "random", "hyperband")


@dataclasses.dataclass
class SearchResult:
    """What a search tried and what it found.

    Attributes:
        trials: list of dicts, one per configuration, best first: ``params`` (dict),
            ``mean_loss`` (float), ``std_loss`` (float, over the folds; 0 for one split),
            ``fold_losses`` (list of floats).
        seconds: wall time of the whole search.
        method: "grid", "random", "keras_tuner_grid", ...
        tuner: the KerasTuner tuner for the keras_tuner_* methods (its results, its folder).
    """

    trials: list
    seconds: float
    method: str
    tuner: object = None

    @property
    def best_params(self):
        return self.trials[0]["params"]

    @property
    def best_loss(self):
        return self.trials[0]["mean_loss"]

    def table(self, max_rows=None):
        """The trials as a text table, best first."""
        trials = self.trials[:max_rows]
        names = list(trials[0]["params"]) if trials else []
        header = ["rank", *names, "mean_loss", "std_loss"]
        rows = [[str(rank + 1), *(_format_value(trial["params"][name]) for name in names),
                 f"{trial['mean_loss']:.5f}", f"{trial['std_loss']:.5f}"]
                for rank, trial in enumerate(trials)]
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
        lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths))
                 for row in [header, *rows]]
        return "\n".join([f"{self.method}: {len(self.trials)} trials in {self.seconds:.1f} s",
                          *lines])


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def kfold_indices(num_examples, num_folds=5, shuffle=True, seed=0):
    """Splits ``range(num_examples)`` into k folds for cross-validation.

    Args:
        num_examples: int, size of the data set.
        num_folds: int k in [2, num_examples].
        shuffle: shuffle the indices (with ``seed``) before cutting them into folds.
    Returns:
        list of k pairs (train_indices, validation_indices) of int arrays; every index is in
        exactly one validation fold, fold sizes differ by at most one.
    """
    if not isinstance(num_folds, numbers.Integral) or not 2 <= num_folds <= num_examples:
        raise ValueError(f"num_folds must be an integer in [2, {num_examples}] (the number of "
                         f"examples), got {num_folds!r}")
    indices = np.arange(num_examples)
    if shuffle:
        indices = np.random.default_rng(seed).permutation(num_examples)
    folds = np.array_split(indices, num_folds)
    return [(np.concatenate(folds[:k] + folds[k + 1:]), folds[k]) for k in range(num_folds)]


def _check_space(space, grid):
    if not isinstance(space, dict) or not space:
        raise ValueError("the search space must be a non-empty dict name -> list of values or "
                         f"scipy.stats distribution, got {space!r}")
    for name, candidates in space.items():
        if isinstance(candidates, (list, tuple)):
            if not candidates:
                raise ValueError(f"space[{name!r}] is an empty list: give at least one value")
        elif grid:
            raise ValueError(f"grid search needs a list of values for {name!r}, got {candidates!r}: "
                             "use e.g. [1e-4, 1e-3, 1e-2], or random search for distributions")
        elif not hasattr(candidates, "rvs"):
            raise ValueError(f"space[{name!r}] must be a list of values or a scipy.stats "
                             f"distribution (with .rvs), got {candidates!r}")


def parameter_grid(space):
    """Every combination of a space of lists, in order: {"a": [1, 2], "b": [3]} -> 2 dicts."""
    _check_space(space, grid=True)
    names = list(space)
    return [dict(zip(names, values)) for values in itertools.product(*space.values())]


def sample_parameters(space, num_samples, seed=0):
    """``num_samples`` random configurations: lists are sampled uniformly, distributions by ``rvs``.

    Returns:
        list of dicts name -> value (python scalars), reproducible for a given ``seed``.
    """
    _check_space(space, grid=False)
    if not isinstance(num_samples, numbers.Integral) or num_samples < 1:
        raise ValueError(f"the number of trials must be an integer >= 1, got {num_samples!r}")
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(num_samples):
        params = {}
        for name, candidates in space.items():
            if isinstance(candidates, (list, tuple)):
                value = candidates[rng.integers(len(candidates))]
            else:
                value = candidates.rvs(random_state=rng)
            params[name] = value.item() if isinstance(value, np.generic) else value
        samples.append(params)
    return samples


def _split(data, indices):
    return tuple(array[indices] for array in data)


def cross_validate(objective, params, data, num_folds=3, seed=0):
    """k-fold cross-validation of one configuration.

    Args:
        objective: callable(params, train, validation) -> float loss, where ``train`` and
            ``validation`` are tuples of arrays cut from ``data`` (e.g. ``(images,)`` or
            ``(inputs, targets)``).
        params: dict of hyperparameters passed to ``objective``.
        data: tuple of arrays with the same first dimension.
        num_folds: k.
        seed: seed of the fold shuffle; the same seed gives every configuration the same folds.
    Returns:
        dict with params, mean_loss, std_loss, fold_losses.
    """
    data = tuple(np.asarray(array) for array in data)
    if not data or len({len(array) for array in data}) != 1:
        raise ValueError("data must be a tuple of arrays with the same number of examples, "
                         f"got lengths {[len(array) for array in data]}")
    fold_losses = [float(objective(params, _split(data, train), _split(data, validation)))
                   for train, validation in kfold_indices(len(data[0]), num_folds, seed=seed)]
    return {"params": params, "mean_loss": float(np.mean(fold_losses)),
            "std_loss": float(np.std(fold_losses)), "fold_losses": fold_losses}


def _run_search(method, configurations, objective, data, num_folds, seed, progress):
    start = time.perf_counter()
    with tensorflow_messages.models_built_per_trial():
        trials = [cross_validate(objective, params, data, num_folds, seed)
                  for params in progress_bar(configurations, desc=f"{method} search",
                                             disable=not progress)]
    trials.sort(key=lambda trial: np.nan_to_num(trial["mean_loss"], nan=np.inf))
    return SearchResult(trials, time.perf_counter() - start, method)


def grid_search(objective, space, data, num_folds=3, seed=0, progress=True):
    """Tries every combination of ``space`` (lists only) with k-fold cross-validation.

    Returns:
        SearchResult, best first; ``len(parameter_grid(space))`` trials of ``num_folds`` fits each.
    """
    return _run_search("grid", parameter_grid(space), objective, data, num_folds, seed, progress)


def random_search(objective, space, data, num_trials, num_folds=3, seed=0, progress=True):
    """Tries ``num_trials`` random configurations of ``space`` with k-fold cross-validation.

    Returns:
        SearchResult, best first.
    """
    return _run_search("random", sample_parameters(space, num_trials, seed), objective, data,
                       num_folds, seed, progress)


def keras_model_objective(build_model, epochs=1, batch_size=128, seed=0):
    """An objective that trains a Keras model built from the hyperparameters.

    Args:
        build_model: callable(**params) -> compiled keras.Model, e.g.
            ``genai_kit.models.autoencoder.build_autoencoder``.
        epochs, batch_size: training settings of every fit.
        seed: ``keras.utils.set_random_seed`` before each build, so configurations start alike.
    Returns:
        callable(params, train, validation) -> validation loss; a one-array tuple ``(x,)``
        trains x -> x (an autoencoder), ``(x, y)`` trains x -> y.
    """
    def objective(params, train, validation):
        keras.utils.set_random_seed(seed)
        model = build_model(**params)
        model.fit(train[0], train[-1], epochs=epochs, batch_size=batch_size, verbose=0)
        loss = model.evaluate(validation[0], validation[-1], batch_size=batch_size, verbose=0)
        return loss[0] if isinstance(loss, (list, tuple)) else loss

    return objective


def _keras_tuner_hyperparameter(hp, name, candidates):
    """Declares one hyperparameter of the kit's space format on KerasTuner's ``hp``."""
    if isinstance(candidates, (list, tuple)):
        return hp.Choice(name, list(candidates))
    kind = candidates.dist.name
    low, high = (float(bound) for bound in candidates.support())
    if kind in ("loguniform", "reciprocal"):
        return hp.Float(name, low, high, sampling="log")
    if kind == "uniform":
        return hp.Float(name, low, high)
    if kind == "randint":
        return hp.Int(name, int(low), int(high))
    raise ValueError(f"KerasTuner has no equivalent of the {kind} distribution for {name!r}: "
                     "use a list, scipy.stats.loguniform, uniform or randint")


def keras_tuner_search(build_model, space, train, validation, tuner="random", max_trials=9,
                       epochs=1, batch_size=128, directory=None, seed=0, progress=True):
    """Runs the search with KerasTuner: the library's version of :func:`grid_search` and friends.

    Args:
        build_model: callable(**params) -> compiled keras.Model.
        space: the kit's search space (lists, or scipy loguniform/uniform/randint); grid
            search needs lists.
        train, validation: tuples ``(x,)`` (autoencoder: x -> x) or ``(x, y)``.
        tuner: "grid", "random" or "hyperband".
        max_trials: trial budget of grid/random search (grid stops early when the grid is
            exhausted); Hyperband decides its own number of trials from ``epochs``.
        epochs: epochs per trial; for Hyperband the most epochs any trial gets (``max_epochs``).
        directory: where KerasTuner writes its trial folders; a fresh temporary folder when
            None, so nothing lands in the repository.
        seed: seed of the tuner's sampling.
    Returns:
        SearchResult (one validation split: std_loss is 0), the tuner in ``.tuner``.
    """
    import keras_tuner

    if importlib.util.find_spec("tensorboard") is None:
        # KerasTuner imports TensorBoard's hparams plugin in every trial on the TF backend
        raise ImportError("KerasTuner needs the tensorboard package with TensorFlow: "
                          "pip install tensorboard")
    if tuner not in TUNERS:
        raise ValueError(f"tuner must be one of {TUNERS}, got {tuner!r}")
    _check_space(space, grid=tuner == "grid")

    def build(hp):
        return build_model(**{name: _keras_tuner_hyperparameter(hp, name, candidates)
                              for name, candidates in space.items()})

    directory = tempfile.mkdtemp(prefix="genai_kit_tuner_") if directory is None else directory
    settings = dict(objective="val_loss", seed=seed, directory=directory,
                    project_name=f"{tuner}_search", overwrite=True)
    if tuner == "hyperband":
        search = keras_tuner.Hyperband(build, max_epochs=epochs, factor=3, **settings)
    else:
        tuner_class = keras_tuner.GridSearch if tuner == "grid" else keras_tuner.RandomSearch
        search = tuner_class(build, max_trials=max_trials, **settings)
    start = time.perf_counter()
    with tensorflow_messages.models_built_per_trial():
        search.search(train[0], train[-1], validation_data=(validation[0], validation[-1]),
                      epochs=epochs, batch_size=batch_size, verbose=1 if progress else 0)
    seconds = time.perf_counter() - start
    # Hyperband adds its own bookkeeping ("tuner/epochs", ...) to the values: keep the space's
    trials = [{"params": {name: trial.hyperparameters.values[name] for name in space},
               "mean_loss": float(trial.score),
               "std_loss": 0.0, "fold_losses": [float(trial.score)]}
              for trial in search.oracle.trials.values() if trial.score is not None]
    trials.sort(key=lambda trial: trial["mean_loss"])
    return SearchResult(trials, seconds, f"keras_tuner_{tuner}", tuner=search)


def plot_search(results, x, y=None, ax=None, log_x=True):
    """Where each search looked and what it scored.

    With ``y``: a scatter of the tried configurations in the (x, y) plane, one marker per
    search, colour = loss. Without: loss against ``x``.

    Args:
        results: dict label -> SearchResult.
        x, y: hyperparameter names.
        log_x: logarithmic x axis (learning rates).
    Returns:
        matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    markers = itertools.cycle("osD^v")
    all_losses = [trial["mean_loss"] for result in results.values() for trial in result.trials]
    finite = np.isfinite(all_losses)
    norm = plt.Normalize(min(np.asarray(all_losses)[finite]), max(np.asarray(all_losses)[finite]))
    for label, result in results.items():
        xs = [trial["params"][x] for trial in result.trials]
        losses = [trial["mean_loss"] for trial in result.trials]
        marker = next(markers)
        if y is None:
            ax.scatter(xs, losses, marker=marker, label=label, alpha=0.8)
        else:
            ys = [trial["params"][y] for trial in result.trials]
            points = ax.scatter(xs, ys, c=losses, cmap="viridis_r", norm=norm, marker=marker,
                                s=60, edgecolor="black", label=label)
        best = result.trials[0]["params"]
        ax.scatter(best[x], result.best_loss if y is None else best[y], marker="*", s=250,
                   facecolor="none", edgecolor="red", linewidth=1.5)
    if y is not None:
        ax.figure.colorbar(points, ax=ax, label="validation loss")
        ax.set_ylabel(y)
    else:
        ax.set_ylabel("validation loss")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_title("search results (red star: best of each search)")
    ax.legend(fontsize=8)
    return ax.figure
