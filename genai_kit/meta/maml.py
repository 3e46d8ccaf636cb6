"""MAML, second order (Finn, Abbeel and Levine, 2017, Algorithm 1).

For each task i of a batch:

1. fast weights  theta_i' = theta - alpha * grad L_support_i(theta)   (the inner loop)
2. query loss    L_query_i(theta_i')

and the meta-gradient is grad_theta of mean_i L_query_i(theta_i'), differentiated *through*
step 1. By the chain rule that is (I - alpha * H_i) grad L_query_i(theta_i'), with H_i the
Hessian of the support loss at theta: the second-order term. Here it comes from nested
``tf.GradientTape``s: the inner tape takes the support gradient, the outer tape (which watches
theta) records that computation too and differentiates it.
"""
import tensorflow as tf

from genai_kit.meta import inner_loop, learner


class MAML(learner.MetaLearner):
    """Second-order MAML. Arguments as in :class:`genai_kit.meta.learner.MetaLearner`."""

    second_order = True

    def adapted_query_loss(self, weights, support_x, support_y, query_x, query_y):
        """L_query(theta') for one task, theta' after the inner steps; a scalar tensor."""
        fast_weights = inner_loop.adapt(self.model, weights, support_x, support_y,
                                        self.inner_learning_rate, self.num_inner_steps,
                                        self.loss, second_order=self.second_order)
        return inner_loop.loss_with(self.model, fast_weights, query_x, query_y, self.loss)

    def meta_gradient(self, weights, tasks):
        """(mean query loss after adaptation, its gradient with respect to ``weights``).

        Args:
            weights: list of tensors, theta.
            tasks: (support_x, support_y, query_x, query_y), tasks on axis 0.
        """
        with tf.GradientTape() as outer_tape:
            outer_tape.watch(weights)
            query_losses = learner.per_task(
                lambda *task: self.adapted_query_loss(weights, *task), tasks)
            meta_loss = tf.reduce_mean(query_losses)
        return meta_loss, outer_tape.gradient(meta_loss, weights)
