"""Reference optimizers in numpy, step for step the same as their ``keras.optimizers`` twins.

Each class has the name, parameters and defaults of the Keras optimizer it mirrors, and a
``step(params, grads)`` that updates a dict of numpy arrays in place. The test suite runs every
one beside Keras from the same start and checks that the trajectories agree to float32
round-off, so the formulas below are exactly what ``model.fit`` does.

Where the course text differs from Keras:

- Weight decay. The course adds ``weight_decay * param`` to the gradient (L2 regularisation,
  which Adam then rescales per coordinate). Keras (and this module) decays the weights
  directly, ``param -= learning_rate * weight_decay * param``, before the gradient step:
  *decoupled* decay, the "W" in AdamW (Loshchilov & Hutter, 2019).
- Adam's epsilon. The course divides by ``sqrt(v_hat) + epsilon`` with the bias-corrected
  ``v_hat`` and ``epsilon=1e-8``. Keras folds both bias corrections into the step size and
  divides by ``sqrt(v) + epsilon`` with the uncorrected ``v`` and ``epsilon=1e-7`` (the
  "efficient version" of Kingma & Ba, section 2). The two agree when epsilon is negligible.
- SGD momentum. Both keep a velocity ``v = momentum * v - learning_rate * grad`` and add it
  to the parameters; Keras also offers Nesterov's look-ahead (``nesterov=True``).
"""
import numbers

import keras
import numpy as np

from genai_kit import checks


def _check_number(name, value, low, high, low_inclusive=True, hint=""):
    """A real number in [low, high) (or (low, high)): ``checks.number``."""
    return checks.number(name, value, low, high, low_inclusive=low_inclusive,
                         high_inclusive=False, hint=hint)


def _check_fraction(name, value):
    """A decay rate in [0, 1): the share of the old average that is kept at each step."""
    return _check_number(name, value, 0.0, 1.0,
                         hint=f": {name} is the share of the running average kept at each step, "
                              "typical values are 0.9 to 0.999")


def _check_epsilon(value):
    return _check_number("epsilon", value, 0.0, np.inf, low_inclusive=False,
                         hint=": it must be positive to avoid dividing by zero")


class Optimizer:
    """Shared bookkeeping: hyperparameter checks, per-parameter state, weight decay, step count.

    Args:
        learning_rate: float > 0, or a callable ``step -> float`` such as a
            ``keras.optimizers.schedules.LearningRateSchedule`` (called with the number of
            steps taken so far, as Keras does).
        weight_decay: None or float >= 0, decoupled decay ``param -= lr * weight_decay * param``
            applied before the gradient step, as every Keras optimizer does.
    """

    def __init__(self, learning_rate, weight_decay=None):
        if not callable(learning_rate):
            _check_number("learning_rate", learning_rate, 0.0, np.inf, low_inclusive=False,
                          hint=": the step goes against the gradient only for a positive "
                               "rate; try 1e-3 for Adam or 1e-2 for SGD")
        if weight_decay is not None:
            weight_decay = _check_number("weight_decay", weight_decay, 0.0, np.inf,
                                         hint=": use None or 0 for no decay")
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.iterations = 0
        self.state = {}  # parameter name -> dict of slot arrays (velocity, moments, ...)

    def current_learning_rate(self):
        """The learning rate used by the next step (a schedule is evaluated at ``iterations``)."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def step(self, params, grads):
        """Applies one update to every array of ``params``, in place.

        Args:
            params: dict name -> numpy float array (e.g. float32), updated in place.
            grads: dict with the same names -> gradients of the loss, same shapes.
        """
        _check_params_and_grads(params, grads)
        learning_rate = self.current_learning_rate()
        for name, param in params.items():
            # compute in the parameter's own dtype, as Keras does with float32 variables
            dtype = param.dtype.type
            grad = np.asarray(grads[name], dtype=param.dtype)
            if name not in self.state:
                self.state[name] = self.build_state(param)
            if self.weight_decay:
                param -= param * dtype(self.weight_decay) * dtype(learning_rate)
            self.update(param, grad, dtype(learning_rate), self.state[name])
        self.iterations += 1

    def build_state(self, param):
        """The slots one parameter needs (dict of arrays shaped like ``param``)."""
        return {}

    def update(self, param, grad, learning_rate, state):
        """The optimizer's own rule: updates ``param`` (and ``state``) in place."""
        raise NotImplementedError

    def get_config(self):
        """The hyperparameters, named as in Keras: ``keras.optimizers.X(**get_config())`` works."""
        return {"learning_rate": self.learning_rate, "weight_decay": self.weight_decay}

    def to_keras(self):
        """The matching, freshly built ``keras.optimizers`` optimizer with the same settings."""
        return getattr(keras.optimizers, type(self).__name__)(**self.get_config())

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({settings})"


def _check_params_and_grads(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise ValueError("params and grads must be dicts name -> numpy array, e.g. "
                         "{'w': w, 'b': b}; got " f"{type(params).__name__} and {type(grads).__name__}")
    if set(params) != set(grads):
        raise ValueError(f"grads must have the same names as params: params has {sorted(params)}, "
                         f"grads has {sorted(grads)}")
    for name, param in params.items():
        if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
            raise ValueError(f"params[{name!r}] must be a float numpy array so that it can be "
                             "updated in place; wrap it with np.array(value, dtype=np.float32)")
        grad = checks.float_array(f"grads[{name!r}]", grads[name], dtype=param.dtype)
        if grad.shape != param.shape:
            raise ValueError(f"grads[{name!r}] has shape {grad.shape}, but "
                             f"params[{name!r}] has shape {param.shape}")
        checks.check_finite(f"grads[{name!r}]", grad,
                            ": the loss or its gradient overflowed; lower the learning rate, "
                            "or clip the gradients before the step")


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as ``keras.optimizers.SGD``.

    ``velocity = momentum * velocity - learning_rate * grad``, then ``param += velocity``
    (Nesterov: ``param += momentum * velocity - learning_rate * grad``). With
    ``momentum=0`` it is plain ``param -= learning_rate * grad``.

    Args:
        learning_rate: float > 0 or a schedule.
        momentum: float in [0, 1): how much of the previous step is kept.
        nesterov: bool, use Nesterov's look-ahead momentum.
        weight_decay: None or float >= 0 (decoupled, see ``Optimizer``).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.momentum = _check_fraction("momentum", momentum)
        if not isinstance(nesterov, bool):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = nesterov

    def build_state(self, param):
        return {"velocity": np.zeros_like(param)} if self.momentum else {}

    def update(self, param, grad, learning_rate, state):
        if not self.momentum:
            param -= grad * learning_rate
            return
        momentum = param.dtype.type(self.momentum)
        velocity = state["velocity"]
        velocity[...] = velocity * momentum - grad * learning_rate
        if self.nesterov:
            param += velocity * momentum - grad * learning_rate
        else:
            param += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides each step by a running root mean square of the gradient, as ``keras.optimizers.RMSprop``.

    ``mean_square = rho * mean_square + (1 - rho) * grad**2``;
    ``increment = learning_rate * grad / sqrt(mean_square + epsilon)``;
    with momentum ``velocity = momentum * velocity + increment`` and ``param -= velocity``,
    otherwise ``param -= increment``. Note that epsilon sits *inside* the square root.

    Args:
        learning_rate: float > 0 or a schedule.
        rho: float in [0, 1), decay of the mean square.
        momentum: float in [0, 1).
        epsilon: float > 0, keeps the division finite where gradients are zero.
        weight_decay: None or float >= 0 (decoupled, see ``Optimizer``).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho = _check_fraction("rho", rho)
        self.momentum = _check_fraction("momentum", momentum)
        self.epsilon = _check_epsilon(epsilon)

    def build_state(self, param):
        state = {"mean_square": np.zeros_like(param)}
        if self.momentum:
            state["velocity"] = np.zeros_like(param)
        return state

    def update(self, param, grad, learning_rate, state):
        dtype = param.dtype.type
        mean_square = state["mean_square"]
        mean_square[...] = dtype(self.rho) * mean_square + dtype(1 - self.rho) * np.square(grad)
        increment = learning_rate * grad / np.sqrt(mean_square + dtype(self.epsilon))
        if self.momentum:
            velocity = state["velocity"]
            velocity[...] = dtype(self.momentum) * velocity + increment
            param -= velocity
        else:
            param -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adaptive moment estimation, as ``keras.optimizers.Adam``.

    At step t = 1, 2, ...:
    ``m = beta_1 * m + (1 - beta_1) * grad`` (first moment, a momentum);
    ``v = beta_2 * v + (1 - beta_2) * grad**2`` (second moment, as in RMSprop);
    ``step_size = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` (both bias corrections);
    ``param -= step_size * m / (sqrt(v) + epsilon)``.

    Args:
        learning_rate: float > 0 or a schedule.
        beta_1: float in [0, 1), decay of the first moment.
        beta_2: float in [0, 1), decay of the second moment.
        epsilon: float > 0.
        weight_decay: None or float >= 0 (decoupled, see ``Optimizer``; AdamW sets it).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.beta_1 = _check_fraction("beta_1", beta_1)
        self.beta_2 = _check_fraction("beta_2", beta_2)
        self.epsilon = _check_epsilon(epsilon)

    def build_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param)}

    def update(self, param, grad, learning_rate, state):
        dtype = param.dtype.type
        step_number = dtype(self.iterations + 1)
        beta_1_power = dtype(self.beta_1) ** step_number
        beta_2_power = dtype(self.beta_2) ** step_number
        step_size = learning_rate * np.sqrt(dtype(1) - beta_2_power) / (dtype(1) - beta_1_power)
        m, v = state["m"], state["v"]
        m += (grad - m) * dtype(1 - self.beta_1)  # = beta_1 * m + (1 - beta_1) * grad
        v += (np.square(grad) - v) * dtype(1 - self.beta_2)
        param -= m * step_size / (np.sqrt(v) + dtype(self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``keras.optimizers.AdamW``.

    Each step first shrinks the weights, ``param -= learning_rate * weight_decay * param``,
    then takes the Adam step. Unlike L2 regularisation (adding ``weight_decay * param`` to
    the gradient, the course text's version), the decay is not rescaled by Adam's ``1/sqrt(v)``,
    so every weight decays at the same rate.

    Args:
        learning_rate: float > 0 or a schedule.
        weight_decay: float >= 0, Keras' default 0.004.
        beta_1, beta_2, epsilon: as in ``Adam``.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay >= 0 (Keras' default is 0.004); "
                             "use Adam for no decay")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay)


def trajectory(optimizer, gradient_fn, initial_params, num_steps):
    """Runs ``num_steps`` updates from ``initial_params`` and records every iterate.

    Works for the kit's numpy optimizers and for any ``keras.optimizers`` optimizer (then the
    parameters live in ``keras.Variable``s and Keras applies its own update), so the two can
    be compared from the same start on the same problem.

    Args:
        optimizer: a ``genai_kit.optim`` optimizer or a fresh ``keras.optimizers.Optimizer``.
        gradient_fn: callable(params dict name -> numpy array) -> dict of gradients, same names
            and shapes.
        initial_params: dict name -> array; copied to float32, never modified.
        num_steps: int >= 0.
    Returns:
        dict name -> float32 array (num_steps + 1, *shape): the start, then one row per step.
    """
    if not isinstance(num_steps, numbers.Integral) or num_steps < 0:
        raise ValueError(f"num_steps must be an integer >= 0, got {num_steps!r}")
    params = {name: np.array(value, dtype=np.float32) for name, value in initial_params.items()}
    history = {name: [value.copy()] for name, value in params.items()}
    if isinstance(optimizer, Optimizer):
        def take_step():
            optimizer.step(params, gradient_fn(params))
            return params
    else:
        variables = {name: keras.Variable(value, name=name) for name, value in params.items()}

        def take_step():
            current = {name: keras.ops.convert_to_numpy(variable)
                       for name, variable in variables.items()}
            grads = gradient_fn(current)
            optimizer.apply_gradients([(keras.ops.convert_to_tensor(grads[name], "float32"),
                                        variables[name]) for name in variables])
            return {name: keras.ops.convert_to_numpy(variable)
                    for name, variable in variables.items()}
    for _ in range(num_steps):
        for name, value in take_step().items():
            history[name].append(np.array(value, dtype=np.float32))
    return {name: np.stack(values) for name, values in history.items()}
