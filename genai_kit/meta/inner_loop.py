"""The inner loop every learner shares: gradient steps on a task's support set, as fast weights.

Fast weights are a list of tensors in the order of ``model.trainable_variables``. The model is
called on them with ``model.stateless_call``, so its own variables never change and the step
``fast = weights - inner_learning_rate * gradient`` stays inside the computation graph:

    weights --(inner gradient step)--> fast weights --(query loss)--> meta-loss

An outer ``tf.GradientTape`` that watches ``weights`` then differentiates the meta-loss
through the inner step, the gradient's own derivative (the Hessian term) included. Copying
the fast weights into the model with ``set_weights`` or ``assign`` would cut that path: the
outer tape would see no connection between the meta-loss and ``weights``.

With ``second_order=False`` the inner gradient is treated as a constant (``tf.stop_gradient``),
so d(fast)/d(weights) is the identity and the outer gradient is the query loss's gradient at
the fast weights: first-order MAML.
"""
import tensorflow as tf
from keras import ops

from genai_kit import checks


def mean_squared_error(targets, predictions):
    """Mean over all entries of (predictions - targets)^2; float tensors of one shape -> scalar."""
    return ops.mean(ops.square(predictions - targets))


def sparse_cross_entropy(labels, logits):
    """Mean cross-entropy of integer labels (n,) in [0, classes) against logits (n, classes)."""
    one_hot = ops.one_hot(ops.cast(labels, "int32"), ops.shape(logits)[-1], dtype=logits.dtype)
    return -ops.mean(ops.sum(one_hot * ops.log_softmax(logits, axis=-1), axis=-1))


def sparse_accuracy(labels, logits):
    """Share of the n examples whose largest logit is at their label; scalar in [0, 1].

    Written as "the label's logit is the largest" rather than with argmax, which
    ``tf.vectorized_map`` cannot vectorise (it would fall back to a loop, with a warning).
    """
    one_hot = ops.one_hot(ops.cast(labels, "int32"), ops.shape(logits)[-1], dtype=logits.dtype)
    label_logits = ops.sum(one_hot * logits, axis=-1)
    return ops.mean(ops.cast(label_logits >= ops.max(logits, axis=-1), "float32"))


def check_inner_learning_rate(inner_learning_rate):
    """The inner step size as a float, or a ValueError with the fix (it must be > 0)."""
    return checks.number(
        "inner_learning_rate", inner_learning_rate, low=0.0, low_inclusive=False,
        hint=": the inner loop takes gradient *descent* steps on the support set, so its step "
             "size must be positive, e.g. inner_learning_rate=0.01 (the MAML paper's sinusoid "
             "setting)")


def current_weights(model):
    """The model's trainable weights as a list of tensors (a snapshot to start fast weights from)."""
    return [tf.convert_to_tensor(variable.value) for variable in model.trainable_variables]


def predict_with(model, weights, x):
    """The model's output on ``x`` with ``weights`` in place of its trainable variables.

    Args:
        model: a built Keras model.
        weights: list of tensors shaped like ``model.trainable_variables``.
        x: a batch the model takes, e.g. (n, 1) for the sinusoid regressor.
    Returns:
        the model's output tensor; the model's variables are left as they were.
    """
    outputs, _ = model.stateless_call(weights, [v.value for v in model.non_trainable_variables], x)
    return outputs


def loss_with(model, weights, x, y, loss):
    """``loss(y, model(x))`` with ``weights`` as the trainable variables; a scalar tensor."""
    return loss(y, predict_with(model, weights, x))


def gradient_step(model, weights, x, y, inner_learning_rate, loss, second_order=True):
    """One step of gradient descent on (x, y), as fast weights.

    Args:
        model, weights, x, y, loss: as in :func:`loss_with`.
        inner_learning_rate: float > 0, alpha.
        second_order: True to keep the step differentiable through the gradient (MAML);
            False to treat the gradient as a constant (first-order MAML, Reptile, evaluation).
    Returns:
        list of tensors, ``weights - alpha * d loss / d weights``.
    """
    with tf.GradientTape() as tape:
        tape.watch(weights)
        value = loss_with(model, weights, x, y, loss)
    gradients = tape.gradient(value, weights, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    if not second_order:
        gradients = [tf.stop_gradient(gradient) for gradient in gradients]
    return [weight - inner_learning_rate * gradient for weight, gradient in zip(weights, gradients)]


def adapt(model, weights, x, y, inner_learning_rate, num_steps, loss, second_order=True):
    """``num_steps`` gradient steps on (x, y) from ``weights``; returns the fast weights (a list).

    ``num_steps`` is a Python int (the loop is unrolled in the graph); 0 returns ``weights``.
    """
    for _ in range(num_steps):
        weights = gradient_step(model, weights, x, y, inner_learning_rate, loss, second_order)
    return weights
