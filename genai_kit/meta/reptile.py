"""Reptile (Nichol, Achiam and Schulman, 2018, Algorithm 2, the batched version).

For each task i of a batch, take ``num_inner_steps`` plain gradient steps on its data from
theta, reaching phi_i; then move theta toward the adapted weights:

    theta <- theta + epsilon * mean_i (phi_i - theta)

No query loss is differentiated and no Hessian is needed. The update is handed to the outer
optimizer as the "gradient" theta - mean_i phi_i, so with the default SGD(learning_rate=epsilon)
it is exactly the line above. Reptile trains on all of a task's points (support and query);
with one inner step it reduces to joint training on all tasks, so it needs several.
"""
import keras
import tensorflow as tf

from genai_kit.meta import inner_loop, learner


class Reptile(learner.MetaLearner):
    """Reptile. Arguments as in ``MetaLearner``; the default outer optimizer is
    ``keras.optimizers.SGD(outer_step_size)``, epsilon, and ``num_inner_steps`` defaults to 5."""

    def __init__(self, model, loss=inner_loop.mean_squared_error, inner_learning_rate=0.01,
                 num_inner_steps=5, outer_optimizer=None, outer_step_size=0.1):
        if outer_optimizer is None:
            outer_optimizer = keras.optimizers.SGD(outer_step_size)
        super().__init__(model, loss, inner_learning_rate, num_inner_steps, outer_optimizer)

    def adapted_weights(self, weights, support_x, support_y, query_x, query_y):
        """phi for one task: the inner steps on all its points. Returns (loss at theta, phi)."""
        x = tf.concat([support_x, query_x], axis=0)
        y = tf.concat([support_y, query_y], axis=0)
        loss_before = inner_loop.loss_with(self.model, weights, x, y, self.loss)
        fast_weights = inner_loop.adapt(self.model, weights, x, y, self.inner_learning_rate,
                                        self.num_inner_steps, self.loss, second_order=False)
        return loss_before, fast_weights

    def meta_gradient(self, weights, tasks):
        """(mean loss at theta before adaptation, theta - mean_i phi_i as a list)."""
        losses, fast_weights = learner.per_task(
            lambda *task: self.adapted_weights(weights, *task), tasks)
        mean_fast_weights = learner.mean_over_tasks(fast_weights)
        return tf.reduce_mean(losses), [weight - fast for weight, fast
                                        in zip(weights, mean_fast_weights)]
