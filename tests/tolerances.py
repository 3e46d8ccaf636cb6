"""How far apart two correct floating-point computations of the same value may be.

Two computations of one quantity that differ only in how they are evaluated (oneDNN's blocked
matrix products on one CPU and Eigen's on another, batches of 32 in a compiled function
against batches of 256 in direct calls, a different order of summation) differ only by
rounding. Which kernel runs depends on the CPU, so a test tolerance has to cover rounding on
every CPU, not just on the machine where the test was written.

The bound used here is the standard one for a sum of ``n`` terms evaluated in any order:
``|fl(sum) - sum| <= n * eps * sum(|terms|)`` (Higham, *Accuracy and Stability of Numerical
Algorithms*, the gamma_n bound, to first order). Two evaluations may each be off by that
much, hence the factor 2. A chain of operations adds up the roundings along its longest path:
the reduction lengths of every layer of a network, or steps x operations per step of an
iterated update.

Comparisons that must be exact (the same code path with the same seed, weights restored from a
file, a resumed run against itself) use ``np.testing.assert_array_equal`` and say why.
"""
import numpy as np

FLOAT32_EPS = float(np.finfo(np.float32).eps)  # 2**-23: the spacing of float32 numbers at 1.0
FLOAT64_EPS = float(np.finfo(np.float64).eps)  # 2**-52
BFLOAT16_EPS = 2.0 ** -7  # bfloat16 keeps 8 significant bits (7 stored)


def rounding_tolerance(magnitude, roundings, eps=FLOAT32_EPS):
    """The largest difference rounding can make between two evaluations of one value.

    Args:
        magnitude: float > 0, the size of the values being added up: the largest absolute
            intermediate value (for outputs without cancellation, their largest magnitude).
        roundings: int >= 1, the number of roundings on the longest chain from the inputs to
            the compared value (a dot product of length n rounds n times; layers add up).
        eps: machine epsilon of the arithmetic (float32 unless the computation is float64).
    Returns:
        float, an absolute tolerance: ``2 * roundings * eps * magnitude``.
    """
    if roundings < 1:
        raise ValueError(f"roundings must be >= 1, got {roundings}")
    return 2.0 * roundings * eps * magnitude


def assert_rounding_close(actual, desired, *, roundings, magnitude=None, eps=FLOAT32_EPS,
                          err_msg=""):
    """Asserts that two float computations of the same values agree to rounding.

    Args:
        actual, desired: arrays of the same shape (or broadcastable), any float dtype.
        roundings: int >= 1, see ``rounding_tolerance``.
        magnitude: float, the size of the intermediate values; default: the largest absolute
            value in ``actual`` and ``desired`` (right when nothing cancels on the way).
        eps: machine epsilon of the arithmetic, float32's by default.
        err_msg: text added to the failure message.
    """
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    if magnitude is None:
        magnitude = max(np.max(np.abs(actual), initial=0.0), np.max(np.abs(desired), initial=0.0))
        magnitude = max(magnitude, np.finfo(np.float32).tiny)
    atol = rounding_tolerance(magnitude, roundings, eps)
    np.testing.assert_allclose(actual, desired, rtol=0, atol=atol,
                               err_msg=f"{err_msg} (rounding tolerance {atol:.3g}: {roundings} "
                                       f"roundings at magnitude {magnitude:.3g})")


# elementwise work per layer (bias, activation, normalisation): a few roundings each
_ELEMENTWISE_ROUNDINGS_PER_LAYER = 4


def network_roundings(*models):
    """Roundings on the longest path through Keras networks, for ``rounding_tolerance``.

    Each layer with a kernel (Dense, Conv2D, Conv2DTranspose, ...) adds its reduction length,
    the kernel's size per output unit; every layer adds a few elementwise roundings.

    Args:
        models: built Keras models or layers, applied one after the other.
    Returns:
        int >= 1.
    """
    total = 0
    for model in models:
        for layer in _leaf_layers(model):
            kernel = getattr(layer, "kernel", None)
            outputs = getattr(layer, "units", None) or getattr(layer, "filters", None)
            if kernel is not None and outputs:
                total += int(np.prod(kernel.shape)) // int(outputs)
            total += _ELEMENTWISE_ROUNDINGS_PER_LAYER
    return max(total, 1)


def _leaf_layers(layer):
    """The layers without sublayers inside ``layer``, through the public ``layers`` lists."""
    sublayers = getattr(layer, "layers", None)
    if not sublayers:
        return [layer]
    return [leaf for sublayer in sublayers for leaf in _leaf_layers(sublayer)]
