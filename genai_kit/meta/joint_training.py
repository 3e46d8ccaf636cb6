"""The pretrained baseline of the MAML paper: one network trained on all tasks jointly.

Each iteration takes an ordinary gradient step on the mean loss over a batch of tasks, all their
points pooled (support and query), at theta itself: no inner loop during training. At test
time it is fine-tuned on a new task's support set with the same inner steps as the
meta-learners. On sinusoids it converges toward the best prediction that ignores the task,
E[y | x] (see :func:`genai_kit.meta.sinusoid.task_agnostic_mse`): averaged over random
phases the waves cancel, and what is left is a flat-ish curve that one gradient step cannot
bend into a particular sine.
"""
import tensorflow as tf

from genai_kit.meta import inner_loop, learner


class JointTraining(learner.MetaLearner):
    """Pretraining on the pooled tasks. Arguments as in ``MetaLearner``; ``inner_learning_rate``
    and ``num_inner_steps`` are not used in training, only kept for fine-tuning at test time."""

    def meta_gradient(self, weights, tasks):
        """(mean loss over the tasks' points at theta, its gradient)."""
        support_x, support_y, query_x, query_y = tasks
        x = tf.concat([support_x, query_x], axis=1)
        y = tf.concat([support_y, query_y], axis=1)
        with tf.GradientTape() as tape:
            tape.watch(weights)
            losses = learner.per_task(
                lambda task_x, task_y: inner_loop.loss_with(self.model, weights, task_x, task_y,
                                                            self.loss), (x, y))
            loss = tf.reduce_mean(losses)
        return loss, tape.gradient(loss, weights)
