"""Checks of the numbers and arrays a student passes in: the kit's one home for them.

Every public function checks its arguments once, at the boundary, with these helpers, and
each error names the argument, the value it got, what is allowed and how to fix it::

    num_steps = checks.integer("num_steps", num_steps, minimum=2)
    decay = checks.number("ema_decay", ema_decay, 0.0, 1.0, high_inclusive=False)

What is checked where: image batches in :mod:`genai_kit.pixels`, latents in
:mod:`genai_kit.latent`, features in :mod:`genai_kit.metrics`; they all turn their input
into a float array with :func:`float_array`, so a wrong dtype reads the same everywhere.
Training data (the batches ``fit`` sees, also after the first) is checked with
:func:`checked_training_data`.
"""
import contextlib
import inspect
import numbers
import re

import keras
import numpy as np
import tensorflow as tf

# numpy dtype kinds that convert to float without losing meaning: bool, ints, floats
NUMERIC_KINDS = "biuf"
# starts every message of an in-graph check, so that fit can turn it into a ValueError
IN_GRAPH_MARKER = "genai_kit input check:"


def integer(name, value, minimum=None, maximum=None, hint=""):
    """``value`` as an int, after checking it is a whole number in [minimum, maximum].

    Refuses floats with a fractional part (2.9 is not silently 2) and bools.

    Args:
        name: the argument's name, for the message.
        value: an int, a numpy integer, or a float with no fractional part (3.0).
        minimum, maximum: inclusive bounds; None for none.
        hint: text appended to the message, e.g. ": draw at least one sample".
    Returns:
        int.
    """
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and np.isfinite(value) and float(value).is_integer())
    if isinstance(value, bool) or not whole:
        example = round(value) if isinstance(value, numbers.Real) and np.isfinite(value) else 1
        raise ValueError(f"{name} must be a whole number, got {value!r}: pass an int, e.g. "
                         f"{name}={max(example, minimum if minimum is not None else example)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            allowed = f">= {minimum}"
        elif minimum is None:
            allowed = f"<= {maximum}"
        else:
            allowed = f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {allowed}, got {value}{hint}")
    return value


def choice(name, value, allowed):
    """``value`` if it is one of ``allowed``; else a ValueError listing the choices."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(map(repr, allowed))}")
    return value


def number(name, value, low=-np.inf, high=np.inf, low_inclusive=True, high_inclusive=True,
           hint=""):
    """``value`` as a float, after checking it is a real number in the given interval.

    Args:
        name: the argument's name, for the message.
        value: a real number (not a bool, not NaN).
        low, high: the interval's ends.
        low_inclusive, high_inclusive: whether the ends are allowed.
        hint: text appended to the message.
    Returns:
        float.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    above_low = value >= low if low_inclusive else value > low
    below_high = value <= high if high_inclusive else value < high
    if not (above_low and below_high) or np.isnan(value):
        if high == np.inf and low > -np.inf:
            allowed = f"{'>=' if low_inclusive else '>'} {low:g}"
        else:
            allowed = (f"in {'[' if low_inclusive else '('}{low}, {high}"
                       f"{']' if high_inclusive else ')'}")
        raise ValueError(f"{name} must be {allowed}, got {value}{hint}")
    return float(value)


def fraction(name, value, hint=""):
    """A probability or share: ``number`` in [0, 1]."""
    return number(name, value, 0.0, 1.0, hint=hint)


def float_array(name, values, dtype=np.float32, hint=""):
    """``values`` as a numpy float array, after checking they are numbers.

    Args:
        name: what the values are ("images", "latents", "features"), for the message.
        values: array-like of bools, ints or floats.
        dtype: the float dtype returned.
        hint: text appended to the message.
    Returns:
        numpy array of ``dtype``, same shape.
    Raises:
        ValueError: strings, objects, complex numbers (with how to convert them).
    """
    if hasattr(values, "numpy"):  # an eager tensor
        values = values.numpy()
    array = np.asarray(values)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise ValueError(f"{name} must be an array of numbers, got dtype {array.dtype}: "
                         f"convert them with np.asarray({name}, dtype=np.float32){hint}")
    return array.astype(dtype, copy=False)


def check_finite(name, values, hint=""):
    """Raises a ValueError that counts the NaN and inf entries of a numpy array, if any."""
    finite = np.isfinite(values)
    if not finite.all():
        nan = int(np.count_nonzero(np.isnan(values)))
        raise ValueError(f"{name} contain NaN or inf ({nan} NaN and "
                         f"{finite.size - int(finite.sum()) - nan} inf of {finite.size} "
                         f"values){hint}")
    return values


# ---------------------------------------------------------------------- training data
def first_batch(x, y=None):
    """The first (x, y) of what ``fit`` was given, for a check in Python before training.

    Args:
        x: a numpy array or tensor (all of it is "the first batch"), a tf.data.Dataset
            of x or of (x, y[, sample_weight]) (its first element is read, the dataset is
            not consumed), or anything else (a Python generator, a PyDataset).
        y: the targets given to fit next to an array x.
    Returns:
        (x, y), or None for inputs that cannot be read without consuming them.
    """
    if _is_dataset(x):
        element = next(iter(x.take(1)))
        if isinstance(element, (tuple, list)):
            return element[0], element[1] if len(element) > 1 else None
        return element, None
    if isinstance(x, (tuple, list)) and x and hasattr(x[0], "shape"):
        return x[0], x[1] if len(x) > 1 else y
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x, y
    return None


def checked_fit_data(x, y, check_batch, graph_check):
    """What ``fit`` was given, checked: the first batch now in Python, every batch in-graph.

    Args:
        x, y: ``fit``'s first two arguments.
        check_batch: function (images, labels or None) that raises a ValueError with the
            fix, run on the first batch (on all of it for arrays).
        graph_check: its TensorFlow twin for later batches (see :func:`checked_training_data`).
    Returns:
        the x to give to ``keras.Model.fit``; run it inside :func:`bad_batches_as_value_errors`.
    """
    batch = first_batch(x, y)
    if batch is not None:
        check_batch(*batch)
    return checked_training_data(x, graph_check)


def checked_training_data(x, graph_check):
    """``x`` with ``graph_check`` run on every batch in the input pipeline (tf.data only).

    The check runs in tf.data's graph, next to the training step rather than inside it:
    it costs no step time while the pipeline keeps ahead of the step, it also runs when
    Keras compiles the step with XLA (which drops assertions from a compiled step), and
    it sees every batch, also those after the first.

    Args:
        x: what ``fit`` was given; only a tf.data.Dataset is wrapped.
        graph_check: function (x, y or None) -> None of TensorFlow ops, e.g.
            ``tf.debugging.Assert`` with a message that starts with ``IN_GRAPH_MARKER``.
    Returns:
        a dataset with the same elements, or ``x`` itself.
    """
    if not _is_dataset(x):
        return x

    def check(*element):
        if len(element) == 1 and isinstance(element[0], (tuple, list)):
            element = tuple(element[0])
        images = element[0]
        labels = element[1] if len(element) > 1 else None
        with tf.control_dependencies(_as_list(graph_check(images, labels))):
            element = tuple(tf.identity(part) for part in element)
        return element if len(element) > 1 else element[0]

    return x.map(check).prefetch(tf.data.AUTOTUNE)


@contextlib.contextmanager
def bad_batches_as_value_errors():
    """Inside the block, a failed in-graph input check surfaces as a ValueError.

    TensorFlow raises ``InvalidArgumentError`` with the assertion's message deep inside
    ``fit``; the student gets that message, marker removed, as a ValueError instead.
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as error:
        message = error.message
        if IN_GRAPH_MARKER not in message:
            raise
        message = message[message.index(IN_GRAPH_MARKER) + len(IN_GRAPH_MARKER):]
        message = message.splitlines()[0]
        # tf.debugging.Assert prints its data as "text] [1.5] [more text]": keep them readable
        message = re.sub(r"\]\s*\[", " ", message).strip(" []")
        raise ValueError(f"a training batch after the first: {message}") from None


def _as_list(ops):
    if ops is None:
        return []
    return list(ops) if isinstance(ops, (tuple, list)) else [ops]


def _is_dataset(x):
    return hasattr(x, "take") and hasattr(x, "element_spec")


def without_ignored_shuffle(x, args, options):
    """``fit``'s keyword options, with ``shuffle=False`` where Keras ignores shuffling anyway.

    Keras shuffles arrays only. Given a tf.data.Dataset, a PyDataset or a Python generator it
    ignores ``shuffle`` and warns on every ``fit`` that its default, True, was ignored; such
    data has to shuffle itself (the kit's datasets do). A value the caller gave is kept.

    Args:
        x: ``fit``'s first argument.
        args: ``fit``'s positional arguments after ``x`` and ``y`` (``shuffle`` is the 7th).
        options: ``fit``'s keyword arguments.
    Returns:
        a dict of keyword arguments.
    """
    self_shuffling = (isinstance(x, (tf.data.Dataset, keras.utils.PyDataset))
                      or inspect.isgenerator(x))
    if self_shuffling and "shuffle" not in options and len(args) < 7:
        return dict(options, shuffle=False)
    return options
