"""Sinusoid regression tasks, as in the MAML paper (Finn, Abbeel and Levine, 2017, section 5.1).

A task is one sine wave ``y = amplitude * sin(x - phase)`` with the amplitude drawn uniformly
from [0.1, 5] and the phase from [0, pi]; its points have x drawn uniformly from [-5, 5]. A
learner sees K points of a task (the support set, "K-shot") and is scored on other points of
the same task (the query set). The network is the paper's MLP 1-40-40-1 with ReLU, trained on
the mean squared error.

Two reference lines need no training and are computed here in closed form:

- predicting 0 everywhere: MSE = E[A^2] / 2 (:func:`zero_predictor_mse`);
- the best prediction that ignores the task, E[y | x] = -(E[A] * 2 / pi) * cos(x), which a
  network trained on all tasks jointly tends to (:func:`task_agnostic_mse`).
"""
import collections

import keras
import numpy as np

from genai_kit import checks

# the task distribution
AMPLITUDE_RANGE = (0.1, 5.0)
PHASE_RANGE = (0.0, np.pi)
INPUT_RANGE = (-5.0, 5.0)
# the network
HIDDEN_UNITS = (40, 40)

Tasks = collections.namedtuple(
    "Tasks", ["support_x", "support_y", "query_x", "query_y", "amplitudes", "phases"])
Tasks.__doc__ = """A batch of sinusoid tasks.

support_x, support_y: float32 (num_tasks, num_shots, 1), the K points a learner adapts on.
query_x, query_y: float32 (num_tasks, num_query, 1), other points of the same tasks.
amplitudes: float64 (num_tasks,) in [0.1, 5]; phases: float64 (num_tasks,) in [0, pi].
"""


def sinusoid(x, amplitude, phase):
    """``amplitude * sin(x - phase)``, elementwise (broadcasts like numpy)."""
    return amplitude * np.sin(np.asarray(x) - phase)


def sample_tasks(num_tasks, num_shots, num_query=None, rng=None):
    """Draws sinusoid tasks with K support and ``num_query`` query points each.

    Args:
        num_tasks: int >= 1.
        num_shots: K, int >= 1: support points per task.
        num_query: int >= 1, query points per task; None for K (as in meta-training).
        rng: a ``numpy.random.Generator`` or an int seed; None for a fresh generator.
    Returns:
        :class:`Tasks`, x in [-5, 5] and y in [-5, 5].
    """
    num_tasks = checks.integer("num_tasks", num_tasks, minimum=1)
    num_shots = check_num_shots(num_shots)
    num_query = num_shots if num_query is None else checks.integer(
        "num_query", num_query, minimum=1, hint=": score a task on at least one point")
    rng = np.random.default_rng(rng)
    amplitudes = rng.uniform(*AMPLITUDE_RANGE, size=num_tasks)
    phases = rng.uniform(*PHASE_RANGE, size=num_tasks)
    x = rng.uniform(*INPUT_RANGE, size=(num_tasks, num_shots + num_query, 1))
    y = sinusoid(x, amplitudes[:, None, None], phases[:, None, None])
    x, y = x.astype(np.float32), y.astype(np.float32)
    return Tasks(x[:, :num_shots], y[:, :num_shots], x[:, num_shots:], y[:, num_shots:],
                 amplitudes, phases)


def check_num_shots(num_shots):
    """K as an int, or a ValueError that says how to fix it (K < 1 leaves nothing to adapt on)."""
    return checks.integer("num_shots", num_shots, minimum=1,
                          hint=": a task needs at least one support point (K >= 1) to adapt "
                               "on, e.g. num_shots=5 or num_shots=10 as in the MAML paper")


def build_regressor(hidden_units=HIDDEN_UNITS, dtype="float32", seed=None):
    """The paper's sinusoid network: MLP 1-40-40-1, ReLU, built.

    Args:
        hidden_units: widths of the hidden layers.
        dtype: "float32", or "float64" for finite-difference checks.
        seed: int for reproducible initial weights; None for Keras' global seed.
    Returns:
        ``keras.Sequential``, (n, 1) float -> (n, 1) float.
    """
    initializer_seeds = np.random.default_rng(seed).integers(0, 2**31, len(hidden_units) + 1)
    layers = [keras.Input((1,), dtype=dtype)]
    for units, layer_seed in zip(hidden_units, initializer_seeds):
        layers.append(keras.layers.Dense(
            units, activation="relu", dtype=dtype,
            kernel_initializer=keras.initializers.GlorotUniform(
                int(layer_seed) if seed is not None else None)))
    layers.append(keras.layers.Dense(1, dtype=dtype, kernel_initializer=keras.initializers.GlorotUniform(
        int(initializer_seeds[-1]) if seed is not None else None)))
    return keras.Sequential(layers, name="sinusoid_regressor")


def _mean_amplitude_squared():
    low, high = AMPLITUDE_RANGE
    return (high**3 - low**3) / (3 * (high - low))


def zero_predictor_mse():
    """MSE of predicting 0 on every task: E[A^2] * E[sin^2] = E[A^2] / 2 (the phase covers half
    a period, so sin^2 averages to 1/2 at every x). Returns a float."""
    return _mean_amplitude_squared() / 2


def task_agnostic_prediction(x):
    """E[y | x] over tasks: E[A] * E[sin(x - phase)] = -(2 E[A] / pi) cos(x), for x array-like."""
    mean_amplitude = sum(AMPLITUDE_RANGE) / 2
    return -(2 * mean_amplitude / np.pi) * np.cos(np.asarray(x))


def task_agnostic_mse():
    """MSE of the best predictor that ignores the task, E[y | x], averaged over x in [-5, 5].

    E[y^2] - E[E[y | x]^2], with E[cos^2 x] = 1/2 + sin(2 * 5) / (4 * 5) over U[-5, 5].
    Returns a float.
    """
    low, high = INPUT_RANGE
    width = high - low
    mean_cos_squared = 0.5 + (np.sin(2 * high) - np.sin(2 * low)) / (4 * width)
    mean_amplitude = sum(AMPLITUDE_RANGE) / 2
    return zero_predictor_mse() - (2 * mean_amplitude / np.pi) ** 2 * mean_cos_squared
