"""The numpy optimizers against keras.optimizers, and their hyperparameter checks."""
import keras
import numpy as np
import pytest

from genai_kit import optim
from genai_kit.optim import paths
from tolerances import assert_rounding_close

NUM_STEPS = 200
# float32 roundings of one update of the most involved rule (Adam with decay: moments, bias
# corrections, a square root and a division); a trajectory adds them up step by step
ROUNDINGS_PER_STEP = 16


def _least_squares_problem(seed=0):
    """A linear regression with a weight matrix and a bias: two named parameters."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(64, 8)).astype(np.float32)
    targets = rng.normal(size=(64, 3)).astype(np.float32)

    def gradient_fn(params):
        residual = inputs @ params["kernel"] + params["bias"] - targets
        return {"kernel": inputs.T @ residual / len(inputs), "bias": residual.mean(axis=0)}

    start = {"kernel": rng.normal(size=(8, 3)).astype(np.float32),
             "bias": np.zeros(3, dtype=np.float32)}
    return gradient_fn, start


CONFIGURATIONS = {
    "sgd": lambda: optim.SGD(learning_rate=0.05),
    "sgd_momentum": lambda: optim.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov": lambda: optim.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda: optim.SGD(learning_rate=0.05, weight_decay=0.1),
    "rmsprop": lambda: optim.RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: optim.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5),
    "adam": lambda: optim.Adam(learning_rate=0.01),
    "adam_large_epsilon": lambda: optim.Adam(learning_rate=0.01, beta_1=0.8, epsilon=0.1),
    "adamw": lambda: optim.AdamW(learning_rate=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_numpy_optimizer_follows_the_keras_trajectory(name):
    gradient_fn, start = _least_squares_problem()
    ours = optim.trajectory(CONFIGURATIONS[name](), gradient_fn, start, NUM_STEPS)
    theirs = optim.trajectory(CONFIGURATIONS[name]().to_keras(), gradient_fn, start, NUM_STEPS)
    for key in start:
        assert ours[key].shape == (NUM_STEPS + 1, *start[key].shape)
        # the problem is solved far enough that a wrong convention would show up in digit 3
        assert not np.allclose(ours[key][0], ours[key][-1], atol=1e-2)
        assert_rounding_close(ours[key], theirs[key], roundings=NUM_STEPS * ROUNDINGS_PER_STEP)


@pytest.mark.parametrize("name", ["sgd_momentum", "adam", "rmsprop"])
def test_numpy_optimizer_follows_keras_on_the_rosenbrock_valley(name):
    optimizer = CONFIGURATIONS[name]()
    optimizer.learning_rate = 1e-3  # small enough for every optimizer to stay in the valley
    ours = paths.optimizer_path(optimizer, "rosenbrock", NUM_STEPS)
    theirs = paths.optimizer_path(optimizer.__class__(**optimizer.get_config()).to_keras(),
                                  "rosenbrock", NUM_STEPS)
    assert_rounding_close(ours, theirs, roundings=NUM_STEPS * ROUNDINGS_PER_STEP)


def test_learning_rate_schedule_is_read_at_the_step_count_like_keras():
    gradient_fn, start = _least_squares_problem(seed=1)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    ours = optim.trajectory(optim.Adam(schedule), gradient_fn, start, 50)
    theirs = optim.trajectory(keras.optimizers.Adam(schedule), gradient_fn, start, 50)
    assert_rounding_close(ours["kernel"], theirs["kernel"], roundings=50 * ROUNDINGS_PER_STEP)


def test_sgd_without_momentum_steps_against_the_gradient():
    params = {"w": np.array([1.0, -2.0], dtype=np.float32)}
    optim.SGD(learning_rate=0.1).step(params, {"w": np.array([0.5, -1.0], dtype=np.float32)})
    assert_rounding_close(params["w"], [0.95, -1.9], roundings=2)  # w - lr * g


def test_sgd_momentum_accumulates_steps_on_a_constant_gradient():
    params = {"w": np.zeros(1, dtype=np.float32)}
    optimizer = optim.SGD(learning_rate=0.1, momentum=0.9)
    for _ in range(200):
        optimizer.step(params, {"w": np.ones(1, dtype=np.float32)})
    # the velocity tends to learning_rate / (1 - momentum) = 1 per step, ten times plain SGD
    # (1 - 0.9^200 = 1 - 7e-10 of the way there), to the rounding of 200 updates of 2 operations
    assert_rounding_close(optimizer.state["w"]["velocity"], [-1.0], roundings=2 * 200)


def test_adam_first_step_moves_every_weight_by_the_learning_rate():
    params = {"w": np.zeros(3, dtype=np.float32)}
    gradient = np.array([0.01, 5.0, -300.0])
    optim.Adam(learning_rate=0.01).step(params, {"w": gradient.astype(np.float32)})
    # bias correction makes the first step learning_rate * sign(grad), whatever the scale;
    # Keras' epsilon (1e-7, added to sqrt(v) before the correction) shortens it a little:
    # after one step m = (1 - beta_1) g and v = (1 - beta_2) g^2, so the update is
    # lr sqrt(1 - beta_2) / (1 - beta_1) * m / (sqrt(v) + epsilon), written with the float32
    # values of the settings: 1 - beta_2 cancels, and float32's 0.999 (off by 2e-8) moves it
    # by 2e-5, far more than the rounding of the update itself
    learning_rate, beta_1, beta_2, epsilon = (np.float64(np.float32(value))
                                              for value in (0.01, 0.9, 0.999, 1e-7))
    m = np.float64(np.float32(1 - 0.9)) * gradient
    v = np.float64(np.float32(1 - 0.999)) * gradient ** 2
    expected = -learning_rate * np.sqrt(1 - beta_2) / (1 - beta_1) * m / (np.sqrt(v) + epsilon)
    assert np.abs(expected - [-0.01, -0.01, 0.01]).max() < 4e-6
    assert_rounding_close(params["w"], expected, roundings=ROUNDINGS_PER_STEP)


def test_adamw_decays_weights_geometrically_when_the_gradient_is_zero():
    params = {"w": np.array([2.0, -0.001], dtype=np.float32)}
    optimizer = optim.AdamW(learning_rate=0.1, weight_decay=0.5)
    for _ in range(10):
        optimizer.step(params, {"w": np.zeros(2, dtype=np.float32)})
    # decoupled decay scales every weight by (1 - lr * wd) per step; L2 in the gradient,
    # rescaled by Adam, would instead move both weights by about lr per step
    expected = np.array([2.0, -0.001]) * 0.95 ** 10
    for weight, value in zip(params["w"], expected):  # each to its own size: 10 updates
        assert_rounding_close(weight, value, roundings=10 * ROUNDINGS_PER_STEP)


def test_to_keras_builds_the_twin_with_the_same_settings():
    ours = optim.RMSprop(learning_rate=0.02, rho=0.8, momentum=0.3, epsilon=1e-6)
    twin = ours.to_keras()
    assert isinstance(twin, keras.optimizers.RMSprop)
    assert (twin.rho, twin.momentum, twin.epsilon) == (0.8, 0.3, 1e-6)
    # a float32 variable holds 0.02 to within half a float32 ulp (6e-8 relative)
    assert float(twin.learning_rate) == pytest.approx(0.02, rel=1e-7)


@pytest.mark.parametrize("make_optimizer, message", [
    (lambda: optim.SGD(learning_rate=-0.1), "learning_rate"),
    (lambda: optim.Adam(learning_rate=0.0), "learning_rate"),
    (lambda: optim.Adam(learning_rate="fast"), "learning_rate"),
    (lambda: optim.Adam(beta_1=1.0), "beta_1"),
    (lambda: optim.Adam(beta_2=-0.1), "beta_2"),
    (lambda: optim.AdamW(beta_2=1.5), "beta_2"),
    (lambda: optim.Adam(epsilon=0.0), "epsilon"),
    (lambda: optim.SGD(momentum=1.0), "momentum"),
    (lambda: optim.SGD(nesterov="yes"), "nesterov"),
    (lambda: optim.RMSprop(rho=float("nan")), "rho"),
    (lambda: optim.RMSprop(momentum=-0.5), "momentum"),
    (lambda: optim.AdamW(weight_decay=-0.01), "weight_decay"),
    (lambda: optim.AdamW(weight_decay=None), "weight_decay"),
])
def test_invalid_hyperparameters_raise_a_clear_error(make_optimizer, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer()


def test_step_rejects_gradients_that_do_not_match_the_parameters():
    optimizer = optim.Adam()
    params = {"w": np.zeros((2, 3), dtype=np.float32)}
    with pytest.raises(ValueError, match="same names"):
        optimizer.step(params, {"v": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="shape"):
        optimizer.step(params, {"w": np.zeros(3)})
    with pytest.raises(ValueError, match="float numpy array"):
        optimizer.step({"w": [0.0, 1.0]}, {"w": [0.0, 1.0]})
