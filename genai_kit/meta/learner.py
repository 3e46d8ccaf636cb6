"""What every meta-learner shares: the outer loop over batches of tasks.

A meta-learner holds a Keras model whose weights are the meta-parameters theta (the
initialisation that adapts quickly), an inner step size alpha and an outer optimizer. Each
meta-iteration

1. draws a batch of tasks (support and query sets),
2. computes the learner's meta-gradient from them (:meth:`MetaLearner.meta_gradient`, the one
   thing the learners differ in), the tasks side by side with ``tf.vectorized_map``,
3. applies it to theta with the outer optimizer.

Steps 2-3 run as one compiled ``tf.function``; a batch of tasks always has the same shapes, so
it is traced once.
"""
import time

import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks, progress, tensorflow_messages
from genai_kit.meta import inner_loop


class MetaLearner:
    """Base class: subclasses define ``meta_gradient(weights, tasks)``.

    Args:
        model: a built Keras model; its trainable weights are theta and are updated in place.
        loss: function (targets, outputs) -> scalar tensor, e.g. ``inner_loop.mean_squared_error``.
        inner_learning_rate: alpha, float > 0, the step size of the inner gradient steps.
        num_inner_steps: int >= 1, gradient steps on the support set per task.
        outer_optimizer: a Keras optimizer for theta; None for the learner's default.
    """

    default_outer_learning_rate = 1e-3

    def __init__(self, model, loss=inner_loop.mean_squared_error, inner_learning_rate=0.01,
                 num_inner_steps=1, outer_optimizer=None):
        if not getattr(model, "built", False) or not model.trainable_variables:
            raise ValueError("model must be a built Keras model with trainable weights: build it "
                             "with an Input layer, e.g. sinusoid.build_regressor()")
        self.model = model
        self.loss = loss
        self.inner_learning_rate = inner_loop.check_inner_learning_rate(inner_learning_rate)
        self.num_inner_steps = checks.integer(
            "num_inner_steps", num_inner_steps, minimum=1,
            hint=": the inner loop needs at least one gradient step on the support set")
        self.outer_optimizer = outer_optimizer or keras.optimizers.Adam(
            self.default_outer_learning_rate)
        self._compiled_step = tf.function(self._step)

    # ------------------------------------------------------------------ one meta-iteration
    def meta_gradient(self, weights, tasks):
        """(meta-loss, list of gradients like ``weights``) for a batch of tasks; see subclasses.

        Args:
            weights: list of tensors, theta.
            tasks: (support_x, support_y, query_x, query_y), each with the tasks on axis 0.
        """
        raise NotImplementedError

    def _step(self, support_x, support_y, query_x, query_y):
        weights = inner_loop.current_weights(self.model)
        meta_loss, gradients = self.meta_gradient(weights, (support_x, support_y, query_x, query_y))
        self.outer_optimizer.apply(gradients, self.model.trainable_variables)
        return meta_loss

    def meta_train_step(self, tasks):
        """One meta-iteration on a batch of tasks (anything with support_x, support_y, query_x,
        query_y arrays, tasks on axis 0); returns the meta-loss before the update, a float."""
        # one trace per learner: TensorFlow counts the traces of every learner's step together
        with tensorflow_messages.models_built_per_trial():
            return float(self._compiled_step(tasks.support_x, tasks.support_y,
                                             tasks.query_x, tasks.query_y))

    def current_meta_gradient(self, tasks):
        """The meta-gradient at the model's weights now, without applying it.

        Args:
            tasks: anything with support_x, support_y, query_x, query_y (tasks on axis 0).
        Returns:
            (meta-loss float, list of numpy arrays shaped like the trainable weights).
        """
        with tensorflow_messages.models_built_per_trial():
            meta_loss, gradients = tf.function(self.meta_gradient)(
                inner_loop.current_weights(self.model),
                (tasks.support_x, tasks.support_y, tasks.query_x, tasks.query_y))
        return float(meta_loss), [np.asarray(gradient) for gradient in gradients]

    # ------------------------------------------------------------------ the outer loop
    def fit(self, sample_batch, num_iterations, seed=0, progress_bar=True):
        """Meta-trains for ``num_iterations`` batches of tasks.

        Args:
            sample_batch: function (numpy Generator) -> a batch of tasks, e.g.
                ``lambda rng: sinusoid.sample_tasks(25, 10, rng=rng)``.
            num_iterations: int >= 1.
            seed: int, seeds the task draws (the model's initial weights are seeded where it
                is built).
            progress_bar: show a text progress bar.
        Returns:
            dict: "loss", numpy (num_iterations,) of meta-losses; "seconds", the wall time;
            "seconds_after_first", the wall time of every iteration but the first (which
            traces the graph).
        """
        num_iterations = checks.integer("num_iterations", num_iterations, minimum=1)
        rng = np.random.default_rng(seed)
        losses = np.empty(num_iterations)
        bar = progress.progress_bar(total=num_iterations, desc=type(self).__name__,
                                    disable=not progress_bar)
        start = time.perf_counter()
        with bar:
            for iteration in range(num_iterations):
                losses[iteration] = self.meta_train_step(sample_batch(rng))
                if iteration == 0:
                    after_first = time.perf_counter()
                if iteration % 100 == 99 or iteration == num_iterations - 1:
                    bar.update(iteration + 1 - bar.n)
                    bar.set_postfix(loss=f"{losses[max(0, iteration - 99):iteration + 1].mean():.3f}",
                                    refresh=False)
        end = time.perf_counter()
        return {"loss": losses, "seconds": end - start, "seconds_after_first": end - after_first}


def per_task(function, tasks):
    """``function(support_x, support_y, query_x, query_y)`` on every task, side by side.

    Returns what ``function`` returns, stacked on a new axis 0 (``tf.vectorized_map``).
    """
    return tf.vectorized_map(lambda task: function(*task), tuple(tasks))


def mean_over_tasks(per_task_gradients):
    """The mean over axis 0 of each stacked gradient (a list)."""
    return [tf.reduce_mean(gradient, axis=0) for gradient in per_task_gradients]
