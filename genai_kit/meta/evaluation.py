"""Scoring an initialisation on held-out tasks: adapt on each support set, score on its query set.

The score of a learner is what its weights theta reach on tasks it never saw, after 0, 1, ...,
n plain gradient steps (step size alpha) on each task's support set, measured on the task's
query set. Every learner is scored the same way, the baselines included, so the curves are
comparable. Tasks are adapted side by side (``tf.vectorized_map``); theta is not changed.
"""
import numpy as np
import scipy.stats
import tensorflow as tf
from keras import ops

from genai_kit import checks, tensorflow_messages
from genai_kit.meta import inner_loop


def scores_after_steps(model, tasks, inner_learning_rate, num_steps,
                       loss=inner_loop.mean_squared_error, metric=None, weights=None):
    """The query-set metric of every task after 0..num_steps inner steps.

    Args:
        model: a built Keras model (its weights are theta unless ``weights`` is given).
        tasks: anything with support_x, support_y, query_x, query_y arrays, tasks on axis 0
            (``sinusoid.Tasks``, ``few_shot.Episodes``).
        inner_learning_rate: alpha, float > 0.
        num_steps: int >= 0, the most inner steps.
        loss: what the inner steps descend, (targets, outputs) -> scalar.
        metric: what is reported on the query set, (targets, outputs) -> scalar; None for
            ``loss`` (MSE on sinusoids; pass ``inner_loop.sparse_accuracy`` for accuracy).
        weights: list of tensors to start from instead of the model's own.
    Returns:
        numpy float (num_tasks, num_steps + 1): column s is the metric after s steps.
    """
    inner_learning_rate = inner_loop.check_inner_learning_rate(inner_learning_rate)
    num_steps = checks.integer("num_steps", num_steps, minimum=0)
    metric = metric or loss
    weights = inner_loop.current_weights(model) if weights is None else list(weights)

    def step_one(task):
        task_weights, support_x, support_y = task
        return inner_loop.gradient_step(model, task_weights, support_x, support_y,
                                        inner_learning_rate, loss, second_order=False)

    def score_one(task):
        task_weights, query_x, query_y = task
        outputs = inner_loop.predict_with(model, task_weights, query_x)
        return ops.cast(metric(query_y, outputs), "float64")

    @tf.function
    def score_all(support_x, support_y, query_x, query_y):
        # every task's fast weights side by side (tasks on axis 0); the steps run in a
        # graph loop, so the graph holds one step whatever num_steps is
        num_tasks = tf.shape(support_x)[0]
        fast_weights = [tf.repeat(weight[None], num_tasks, axis=0) for weight in weights]
        scores = tf.TensorArray(tf.float64, size=num_steps + 1)
        scores = scores.write(0, tf.vectorized_map(score_one, (fast_weights, query_x, query_y)))
        for step in tf.range(1, num_steps + 1):
            fast_weights = tf.vectorized_map(step_one, (fast_weights, support_x, support_y))
            scores = scores.write(step, tf.vectorized_map(score_one,
                                                          (fast_weights, query_x, query_y)))
        return tf.transpose(scores.stack())

    # a fresh graph per call (the weights and step count are baked in): its one trace is not a
    # retrace, so TensorFlow's warning about the traces it counts across calls is dropped
    with tensorflow_messages.models_built_per_trial():
        scores = score_all(tasks.support_x, tasks.support_y, tasks.query_x, tasks.query_y)
    return np.asarray(scores, dtype=np.float64)


def mean_and_interval(values, confidence=0.95):
    """Mean of per-task scores and the half-width of its confidence interval (Student's t).

    Args:
        values: array (num_tasks, ...), one row per task; at least 2 tasks.
        confidence: float in (0, 1).
    Returns:
        (mean, half_width): arrays of shape ``values.shape[1:]``; the interval is
        mean +- half_width.
    """
    values = checks.float_array("values", values, dtype=np.float64)
    if values.ndim == 0 or len(values) < 2:
        raise ValueError(f"a confidence interval needs scores of at least 2 tasks, got "
                         f"{values.shape[0] if values.ndim else 'a scalar'}: evaluate more tasks")
    confidence = checks.number("confidence", confidence, 0.0, 1.0, low_inclusive=False,
                               high_inclusive=False)
    count = len(values)
    standard_error = values.std(axis=0, ddof=1) / np.sqrt(count)
    return values.mean(axis=0), scipy.stats.t.ppf((1 + confidence) / 2, count - 1) * standard_error
