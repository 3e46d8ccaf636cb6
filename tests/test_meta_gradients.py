"""MAML's meta-gradient against finite differences; first-order MAML is it without the Hessian."""
import numpy as np
import pytest
import tensorflow as tf

from genai_kit import meta
from genai_kit.meta import inner_loop, sinusoid
from tolerances import FLOAT32_EPS, FLOAT64_EPS, assert_rounding_close, network_roundings

INNER_LEARNING_RATE = 0.1  # large, so that the Hessian term is far from negligible
# central differences: truncation error ~ h^2 |f'''| / 6, rounding ~ eps |f| / h; h = 1e-5
# balances them for values and derivatives of order one in float64
STEP = 1e-5


def _tiny_problem(dtype="float64", num_inner_steps=1):
    model = sinusoid.build_regressor(hidden_units=(5,), dtype=dtype, seed=3)
    tasks = sinusoid.sample_tasks(3, 4, num_query=4, rng=7)
    task_tensors = tuple(tf.constant(array, dtype) for array in tasks[:4])
    return model, task_tensors, num_inner_steps


def _meta_loss(learner, weights, tasks):
    losses = [learner.adapted_query_loss(weights, *(part[i] for part in tasks))
              for i in range(tasks[0].shape[0])]
    return float(tf.add_n(losses)) / len(losses)


def _finite_difference_gradient(function, weights, step=STEP):
    """Central differences of ``function(list of arrays) -> float``, one entry at a time."""
    arrays = [np.array(weight, dtype=np.float64) for weight in weights]
    gradient = [np.zeros_like(array) for array in arrays]
    for array, gradient_array in zip(arrays, gradient):
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + step
            above = function([tf.constant(a) for a in arrays])
            array[index] = original - step
            below = function([tf.constant(a) for a in arrays])
            array[index] = original
            gradient_array[index] = (above - below) / (2 * step)
    return gradient


def _finite_difference_tolerance(model, magnitude):
    """Rounding part: each of the two loss values is off by a float64 rounding bound (forward,
    backward, the inner step and the forward again: four passes through the network), and
    their difference is divided by 2h."""
    roundings = 4 * network_roundings(model)
    return 2 * roundings * FLOAT64_EPS * magnitude / (2 * STEP)


def _truncation_error(estimate, coarser):
    """Richardson: D(h) - f' ~ c h^2, so D(2h) - D(h) ~ 3 c h^2 and |D(h) - f'| ~ |D(2h) - D(h)| / 3;
    twice that, to be safe."""
    return [2 * np.abs(coarse - fine) / 3 for fine, coarse in zip(estimate, coarser)]


@pytest.mark.parametrize("num_inner_steps", [1, 2])
def test_second_order_meta_gradient_equals_finite_differences(num_inner_steps):
    model, tasks, steps = _tiny_problem(num_inner_steps=num_inner_steps)
    learner = meta.MAML(model, inner_learning_rate=INNER_LEARNING_RATE, num_inner_steps=steps)
    weights = inner_loop.current_weights(model)
    meta_loss, gradients = learner.meta_gradient(weights, tasks)
    assert float(meta_loss) == pytest.approx(_meta_loss(learner, weights, tasks), rel=1e-12)
    estimate = _finite_difference_gradient(lambda w: _meta_loss(learner, w, tasks), weights)
    coarser = _finite_difference_gradient(lambda w: _meta_loss(learner, w, tasks), weights,
                                          step=2 * STEP)
    tolerance = _finite_difference_tolerance(model, magnitude=max(1.0, float(meta_loss)))
    for gradient, expected, truncation in zip(gradients, estimate,
                                              _truncation_error(estimate, coarser)):
        np.testing.assert_array_less(np.abs(np.asarray(gradient) - expected),
                                     tolerance + truncation + FLOAT64_EPS)
    # and the test can fail: first-order MAML's gradient is far from this one
    _, first_order = meta.FirstOrderMAML(model, inner_learning_rate=INNER_LEARNING_RATE,
                                         num_inner_steps=steps).meta_gradient(weights, tasks)
    largest_gap = max(np.max(np.abs(np.asarray(a) - b)) for a, b in zip(first_order, estimate))
    assert largest_gap > 100 * tolerance


def test_first_order_maml_is_maml_without_the_hessian_term():
    # one inner step: MAML's gradient is mean_i (I - alpha H_i) g_i with g_i the query gradient
    # at the adapted weights, H_i the support loss's Hessian at theta; first-order MAML's is
    # mean_i g_i. So MAML = first-order MAML - alpha * mean_i H_i g_i, with H_i g_i from
    # central differences of the support gradient along g_i.
    model, tasks, _ = _tiny_problem()
    weights = inner_loop.current_weights(model)
    _, second_order = meta.MAML(model, inner_learning_rate=INNER_LEARNING_RATE).meta_gradient(
        weights, tasks)
    _, first_order = meta.FirstOrderMAML(
        model, inner_learning_rate=INNER_LEARNING_RATE).meta_gradient(weights, tasks)

    def support_gradient(at, x, y):
        with tf.GradientTape() as tape:
            tape.watch(at)
            loss = inner_loop.loss_with(model, at, x, y, inner_loop.mean_squared_error)
        return [np.asarray(g) for g in tape.gradient(loss, at)]

    def hessian_term(step):
        """mean_i H_i g_i by central differences of the support gradient along g_i."""
        num_tasks = tasks[0].shape[0]
        total = [np.zeros(np.shape(w)) for w in weights]
        for i in range(num_tasks):
            support_x, support_y, query_x, query_y = (part[i] for part in tasks)
            fast = inner_loop.gradient_step(model, weights, support_x, support_y,
                                            INNER_LEARNING_RATE, inner_loop.mean_squared_error)
            with tf.GradientTape() as tape:
                tape.watch(fast)
                query_loss = inner_loop.loss_with(model, fast, query_x, query_y,
                                                  inner_loop.mean_squared_error)
            query_gradient = [np.asarray(g) for g in tape.gradient(query_loss, fast)]
            above = support_gradient([w + step * g for w, g in zip(weights, query_gradient)],
                                     support_x, support_y)
            below = support_gradient([w - step * g for w, g in zip(weights, query_gradient)],
                                     support_x, support_y)
            for part, a, b in zip(total, above, below):
                part += (a - b) / (2 * step) / num_tasks
        return total

    estimate, coarser = hessian_term(STEP), hessian_term(2 * STEP)
    rounding = _finite_difference_tolerance(model, magnitude=1.0)
    for so, fo, hessian, truncation in zip(second_order, first_order, estimate,
                                           _truncation_error(estimate, coarser)):
        gap = np.abs(np.asarray(so) - (np.asarray(fo) - INNER_LEARNING_RATE * hessian))
        np.testing.assert_array_less(gap, INNER_LEARNING_RATE * (rounding + truncation)
                                     + FLOAT64_EPS)


def test_first_order_gradient_is_the_mean_query_gradient_at_the_adapted_weights():
    model, tasks, _ = _tiny_problem()
    weights = inner_loop.current_weights(model)
    _, first_order = meta.FirstOrderMAML(
        model, inner_learning_rate=INNER_LEARNING_RATE).meta_gradient(weights, tasks)
    expected = [np.zeros(np.shape(w)) for w in weights]
    for i in range(tasks[0].shape[0]):
        support_x, support_y, query_x, query_y = (part[i] for part in tasks)
        # an independent inner step: the gradient from a plain tape on the model's variables
        with tf.GradientTape() as tape:
            loss = inner_loop.mean_squared_error(support_y, model(support_x))
        support_gradient = tape.gradient(loss, model.trainable_variables)
        fast = [np.asarray(w) - INNER_LEARNING_RATE * np.asarray(g)
                for w, g in zip(weights, support_gradient)]
        original = model.get_weights()
        model.set_weights(fast)
        with tf.GradientTape() as tape:
            loss = inner_loop.mean_squared_error(query_y, model(query_x))
        for total, g in zip(expected, tape.gradient(loss, model.trainable_variables)):
            total += np.asarray(g) / tasks[0].shape[0]
        model.set_weights(original)
    for actual, desired in zip(first_order, expected):
        # the same float64 operations in another order (vectorised over tasks)
        assert_rounding_close(actual, desired, roundings=4 * network_roundings(model),
                              magnitude=1.0, eps=FLOAT64_EPS)


def test_float32_meta_gradient_equals_float64_to_float32_rounding():
    model64, tasks64, _ = _tiny_problem("float64")
    model32, tasks32, _ = _tiny_problem("float32")
    model32.set_weights([w.astype(np.float32) for w in model64.get_weights()])
    model64.set_weights(model32.get_weights())  # the same (float32-representable) weights
    _, gradients64 = meta.MAML(model64, inner_learning_rate=INNER_LEARNING_RATE).meta_gradient(
        inner_loop.current_weights(model64), tasks64)
    _, gradients32 = meta.MAML(model32, inner_learning_rate=INNER_LEARNING_RATE).meta_gradient(
        inner_loop.current_weights(model32), tasks32)
    # the float32 chain: inputs rounded to float32, then forward, backward, the inner step,
    # forward and the second-order backward (five passes) through the network
    roundings = 5 * network_roundings(model32) + 1
    magnitude = max(1.0, max(float(np.max(np.abs(g))) for g in gradients64))
    for actual, desired in zip(gradients32, gradients64):
        assert_rounding_close(actual, desired, roundings=roundings, magnitude=magnitude,
                              eps=FLOAT32_EPS)
