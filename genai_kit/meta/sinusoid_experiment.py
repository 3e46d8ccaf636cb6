"""The MAML paper's sinusoid experiment, one function per step, shared by notebook 09 and
``benchmarks/meta_sinusoid.py``.

Every learner starts from the same seeded 1-40-40-1 network, meta-trains on fresh random
tasks (K support and K query points each, 25 tasks per meta-iteration) and is scored on the
same held-out tasks after 0..10 inner steps of plain gradient descent at alpha = 0.01 on their
K support points, measured on 100 query points per task.
"""
import keras
import numpy as np

from genai_kit import checks
from genai_kit.meta import evaluation, first_order_maml, inner_loop, joint_training, maml, reptile, sinusoid

# meta-training (the paper's section 5.1)
META_BATCH_SIZE = 25  # tasks per meta-iteration
INNER_LEARNING_RATE = 0.01  # alpha, in training and at test time
OUTER_LEARNING_RATE = 1e-3  # Adam, for MAML, first-order MAML and the pretrained baseline
PAPER_ITERATIONS = 70_000
# Reptile: several inner steps (one step would be joint training), plain SGD on theta
REPTILE_INNER_STEPS = 5
REPTILE_OUTER_STEP_SIZE = 0.5  # epsilon, chosen over 0.1 in short trial runs
# evaluation
EVALUATION_QUERY_POINTS = 100
EVALUATION_STEPS = 10

LEARNERS = ("MAML", "first-order MAML", "Reptile", "pretrained")


def build_learner(name, model):
    """The learner called ``name`` (one of ``LEARNERS``) around ``model``, with the settings above."""
    checks.choice("learner", name, LEARNERS)
    if name == "Reptile":
        return reptile.Reptile(model, inner_learning_rate=INNER_LEARNING_RATE,
                               num_inner_steps=REPTILE_INNER_STEPS,
                               outer_step_size=REPTILE_OUTER_STEP_SIZE)
    learner_class = {"MAML": maml.MAML, "first-order MAML": first_order_maml.FirstOrderMAML,
                     "pretrained": joint_training.JointTraining}[name]
    return learner_class(model, inner_learning_rate=INNER_LEARNING_RATE,
                         outer_optimizer=keras.optimizers.Adam(OUTER_LEARNING_RATE))


def train(name, num_shots, num_iterations, seed=0, progress_bar=True):
    """Meta-trains one learner on K-shot sinusoid tasks.

    Args:
        name: one of ``LEARNERS``.
        num_shots: K, int >= 1 (support and query points per training task).
        num_iterations: int >= 1, meta-iterations of ``META_BATCH_SIZE`` tasks.
        seed: int, seeds the initial weights and the task draws.
        progress_bar: show a text progress bar.
    Returns:
        (model, history): the trained ``keras.Sequential``, and ``MetaLearner.fit``'s dict
        ("loss" per iteration, "seconds").
    """
    num_shots = sinusoid.check_num_shots(num_shots)
    model = sinusoid.build_regressor(seed=seed)
    learner = build_learner(name, model)
    history = learner.fit(lambda rng: sinusoid.sample_tasks(META_BATCH_SIZE, num_shots, rng=rng),
                          num_iterations, seed=seed, progress_bar=progress_bar)
    return model, history


def held_out_tasks(num_tasks, num_shots, seed=1_000_000):
    """Test tasks: K support points, ``EVALUATION_QUERY_POINTS`` query points, a seed no
    training run uses by default."""
    return sinusoid.sample_tasks(num_tasks, num_shots, num_query=EVALUATION_QUERY_POINTS,
                                 rng=seed)


def evaluate(model, tasks, num_steps=EVALUATION_STEPS):
    """Query MSE of every task after 0..num_steps inner steps at ``INNER_LEARNING_RATE``:
    numpy (num_tasks, num_steps + 1)."""
    return evaluation.scores_after_steps(model, tasks, INNER_LEARNING_RATE, num_steps)


def adapted_curves(model, tasks, x, steps=(0, 1, 10)):
    """The network's curve on each task after each number of inner steps on its support set.

    Args:
        model: a trained regressor.
        tasks: ``sinusoid.Tasks`` (only the support sets are used).
        x: float array (n,), where to draw the curves.
        steps: increasing ints >= 0.
    Returns:
        numpy float32 (len(steps), num_tasks, n).
    """
    steps = [checks.integer("steps", step, minimum=0) for step in steps]
    grid = np.asarray(x, np.float32).reshape(-1, 1)
    curves = np.empty((len(steps), len(tasks.support_x), len(grid)), np.float32)
    for task in range(len(tasks.support_x)):
        weights, done = inner_loop.current_weights(model), 0
        for index, step in enumerate(steps):
            weights = inner_loop.adapt(model, weights, tasks.support_x[task],
                                       tasks.support_y[task], INNER_LEARNING_RATE, step - done,
                                       inner_loop.mean_squared_error, second_order=False)
            done = step
            curves[index, task] = np.asarray(inner_loop.predict_with(model, weights, grid))[:, 0]
    return curves
