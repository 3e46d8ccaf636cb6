"""Magnitude pruning on a polynomial sparsity schedule (Zhu & Gupta, 2017), in plain Keras 3.

Pruning sets the smallest weights of a trained model to exactly zero and fine-tunes the rest
to make up for them. The share of zeros rises gradually, from ``initial_sparsity`` at
``begin_step`` to ``target_sparsity`` at ``end_step``, on the schedule of
:func:`polynomial_sparsity`: fast at first, while there are many small weights to take,
slowly towards the end. Every ``frequency`` steps the masks are recomputed from the
magnitudes (:func:`magnitude_mask`); after every optimizer step the masks are applied again,
so the weights pruned stay zero although the optimizer keeps moving them::

    model = digits.build_dense_classifier(seed=0)
    digits.train_classifier(model, x, y, epochs=15)
    history, callback = pruning.prune(model, x, y, target_sparsity=0.75, epochs=3)
    pruning.sparsity(model)                 # 0.75: the share of exact zeros
    size.weight_bytes(model)                # unchanged: a float32 zero takes 4 bytes
    size.gzip_weight_bytes(model)           # smaller: runs of zeros compress
    pruning.sparse_weight_bytes(model)      # smaller: only the nonzeros and their positions

The lesson of the sizes: dense storage does not shrink with zeros, the ``.keras`` file
included (Keras stores its members in the zip uncompressed); compressed or sparse storage
does. Nor does a dense matrix product run faster on zeros: speed needs sparse kernels.

The TensorFlow Model Optimization toolkit does not take Keras 3 models, so the kit prunes
with a callback on public Keras API only: it reads and assigns the kernels' variables.
"""
import math
import numbers

import keras
import numpy as np

from genai_kit import checks
from genai_kit.efficient import digits, layers

# schedule (Zhu & Gupta's defaults: a cubic ramp)
POWER = 3
INITIAL_SPARSITY = 0.0
FREQUENCY = 10  # steps between mask updates
# fine-tuning, in prune()
FINE_TUNE_EPOCHS = 3
FINE_TUNE_LEARNING_RATE = 5e-4  # below the baseline's 1e-3: the weights left are already good
RAMP_FRACTION = 0.6  # the ramp takes this share of the steps; the rest trains at the target
# the layers whose ``kernel`` is pruned by default
PRUNABLE_LAYER_TYPES = (
    keras.layers.Dense,
    keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
    keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose,
)


# ---------------------------------------------------------------------- checks
def _checked_sparsity(name, value):
    """``value`` as a float in [0, 1), with a hint for percentages (75 for 0.75)."""
    hint = (f": pass the share of weights to set to zero, e.g. {name}=0.75 for 75% "
            "(1.0 would remove every weight)")
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and 1 < value < 100:
        hint = f": pass a fraction, not a percentage, e.g. {name}={value / 100:g} for {value:g}%"
    return checks.number(name, value, 0.0, 1.0, high_inclusive=False, hint=hint)


def _checked_steps(begin_step, end_step):
    begin_step = checks.integer("begin_step", begin_step, minimum=0)
    end_step = checks.integer("end_step", end_step, minimum=0)
    if begin_step > end_step:
        raise ValueError(f"begin_step ({begin_step}) is after end_step ({end_step}): the "
                         f"sparsity ramps up from begin_step to end_step, so pass "
                         f"begin_step <= end_step, e.g. begin_step={end_step // 2}, "
                         f"end_step={end_step}, or end_step={begin_step + 100}")
    return begin_step, end_step


# ---------------------------------------------------------------------- the schedule
def polynomial_sparsity(step, target_sparsity, begin_step, end_step,
                        initial_sparsity=INITIAL_SPARSITY, power=POWER):
    """The sparsity at ``step`` on Zhu & Gupta's polynomial schedule.

        s_t = s_f + (s_i - s_f) * (1 - (t - t_0) / (t_end - t_0)) ** power

    clipped to s_i before ``begin_step`` and to s_f after ``end_step`` (s_f from the
    first step when ``begin_step == end_step``).

    Args:
        step: int >= 0, the training step t.
        target_sparsity: float in [0, 1), s_f, the share of weights zero at the end.
        begin_step, end_step: ints, 0 <= begin_step <= end_step: the ramp, t_0 and t_end.
        initial_sparsity: float in [0, target_sparsity], s_i, the share zero at begin_step.
        power: number >= 1; 3 removes many weights early, when many are small, and few late.
    Returns:
        float in [initial_sparsity, target_sparsity], rising with ``step``.
    """
    step = checks.integer("step", step, minimum=0)
    target_sparsity = _checked_sparsity("target_sparsity", target_sparsity)
    initial_sparsity = _checked_sparsity("initial_sparsity", initial_sparsity)
    if initial_sparsity > target_sparsity:
        raise ValueError(f"initial_sparsity ({initial_sparsity}) is above target_sparsity "
                         f"({target_sparsity}): the schedule only adds zeros, so pass e.g. "
                         f"initial_sparsity=0.0")
    begin_step, end_step = _checked_steps(begin_step, end_step)
    power = checks.number("power", power, low=1.0, hint=": e.g. power=3, the paper's cubic")
    if step < begin_step:
        return initial_sparsity
    if step >= end_step:
        return target_sparsity
    progress = (step - begin_step) / (end_step - begin_step)  # in [0, 1)
    remaining = (1.0 - progress) ** power
    return target_sparsity + (initial_sparsity - target_sparsity) * remaining


# ---------------------------------------------------------------------- masks
def magnitude_mask(kernel, sparsity):
    """The mask that zeroes the ``round(sparsity * kernel.size)`` smallest |weights|.

    The count is exact: ties in |w| (zeros already pruned, repeated values) are broken by
    position, the earlier entry in row-major (C) order pruned first, so the same kernel
    always gives the same mask.

    Args:
        kernel: array of any shape, float (a numpy array, a tensor or a Keras variable).
        sparsity: float in [0, 1), the share of entries to zero.
    Returns:
        numpy array of the kernel's shape, float32, 0.0 where pruned and 1.0 where kept;
        ``kernel * mask`` is the pruned kernel.
    """
    sparsity = _checked_sparsity("sparsity", sparsity)
    magnitudes = np.abs(checks.float_array("kernel", keras.ops.convert_to_numpy(kernel),
                                           dtype=np.float64))
    num_pruned = round(sparsity * magnitudes.size)
    # a stable sort keeps equal magnitudes in position order: the tie-break
    order = np.argsort(magnitudes, axis=None, kind="stable")
    mask = np.ones(magnitudes.size, dtype=np.float32)
    mask[order[:num_pruned]] = 0.0
    return mask.reshape(magnitudes.shape)


def _prunable_layers(model):
    """(layer, kernel variable) of every Dense and Conv layer whose kernel is a float variable."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"expected a keras.Model, got {type(model).__name__}: prune a model, "
                         f"e.g. digits.build_dense_classifier()")
    pairs = []
    for layer in layers.leaf_layers(model):
        kernel = getattr(layer, "kernel", None) if isinstance(layer, PRUNABLE_LAYER_TYPES) else None
        # a LoRA layer's kernel is a sum of tensors and a quantized one holds ints: not pruned
        if isinstance(kernel, keras.Variable) and "float" in str(kernel.dtype):
            pairs.append((layer, kernel))
    return pairs


def prunable_weights(model):
    """The variables pruned by default: the ``kernel`` of every Dense and Conv layer.

    Biases are not pruned (there are few of them and each matters), nor are batch
    normalization's scales and shifts, embeddings, or kernels of layers that are not
    Dense / Conv1D-3D / Conv1D-3DTranspose. Layers of models nested in ``model`` count;
    layers inside a custom layer are not found: pass their kernels as ``weights=`` instead.

    Args:
        model: a built keras.Model.
    Returns:
        list of keras.Variable, float kernels, in the order of the layers.
    Raises:
        ValueError: the model has no such kernel (e.g. it is not built yet).
    """
    weights = [kernel for _, kernel in _prunable_layers(model)]
    if not weights:
        raise ValueError(
            f"model {model.name!r} has no prunable weights: pruning takes the kernels of Dense "
            f"and Conv layers. Build the model first (call it on a batch, or give it a "
            f"keras.Input), add a Dense or Conv layer, or pass the variables to prune as "
            f"weights=[...]")
    return weights


def _checked_weights(model, weights):
    if weights is None:
        return prunable_weights(model)
    weights = list(weights)
    if not weights:
        raise ValueError("weights is empty: pass the variables to prune, e.g. "
                         "weights=pruning.prunable_weights(model)[:-1] to keep the last layer "
                         "dense, or weights=None for all Dense and Conv kernels")
    for weight in weights:
        if not isinstance(weight, keras.Variable):
            raise ValueError(f"weights must be Keras variables, got {type(weight).__name__}: "
                             f"pass e.g. [model.get_layer('hidden_0').kernel]")
    return weights


# ---------------------------------------------------------------------- the callback
class PruningCallback(keras.callbacks.Callback):
    """Prunes the model it trains by magnitude, on a polynomial sparsity schedule.

    Steps are counted by the callback: the batches trained with it, over all the ``fit``
    calls it takes part in, from 0. At train begin it computes the masks for the current
    step; after every training batch it applies them (``variable.assign(kernel * mask)``),
    which undoes what the optimizer did to the pruned weights; every ``frequency`` steps of
    the ramp, and at ``end_step``, it first recomputes them by magnitude at the scheduled
    sparsity. Weights pruned once are zero, hence among the smallest, and stay pruned.

    Keras calls batch callbacks once per ``steps_per_execution`` steps: compile with the
    default, 1, or the weights pruned are nonzero between calls.

    Attributes:
        weights: list of keras.Variable, the kernels pruned (known from train begin).
        masks: dict variable path (e.g. "hidden_0/kernel") -> numpy float32 mask of the
            variable's shape, 0.0 where pruned.
        step: int, training steps taken with this callback.
        current_sparsity: float, the sparsity the masks were computed for.
        updates: list of (step, sparsity), one per mask computation.
    """

    def __init__(self, target_sparsity, begin_step, end_step, frequency=FREQUENCY,
                 initial_sparsity=INITIAL_SPARSITY, power=POWER, weights=None):
        """
        Args:
            target_sparsity: float in [0, 1), the share of each kernel zero from end_step.
            begin_step, end_step: ints, 0 <= begin_step <= end_step, the schedule's ramp.
            frequency: int >= 1, steps between mask updates during the ramp.
            initial_sparsity: float in [0, target_sparsity], the share zero at begin_step.
            power: number >= 1, the schedule's exponent.
            weights: the variables to prune, e.g. ``prunable_weights(model)[:-1]`` to keep
                the output layer dense; None prunes :func:`prunable_weights` of the model.
        """
        super().__init__()
        # checks every argument now, not at the first step of training
        polynomial_sparsity(0, target_sparsity, begin_step, end_step, initial_sparsity, power)
        self.target_sparsity = float(target_sparsity)
        self.initial_sparsity = float(initial_sparsity)
        self.begin_step, self.end_step = int(begin_step), int(end_step)
        self.power = float(power)
        self.frequency = checks.integer("frequency", frequency, minimum=1,
                                        hint=": update the masks every N steps, e.g. "
                                             "frequency=10")
        self._selected_weights = None if weights is None else list(weights)
        self.weights = []
        self.masks = {}
        self._mask_tensors = []
        self.step = 0
        self.current_sparsity = None
        self.updates = []

    def scheduled_sparsity(self, step=None):
        """The schedule's sparsity at ``step`` (default: the current step), float in [0, 1)."""
        return polynomial_sparsity(self.step if step is None else step, self.target_sparsity,
                                   self.begin_step, self.end_step, self.initial_sparsity,
                                   self.power)

    def is_update_step(self, step):
        """Whether the masks are recomputed after ``step``: every ``frequency`` steps of the
        ramp [begin_step, end_step], counted from begin_step, and at end_step."""
        in_ramp = self.begin_step <= step <= self.end_step
        return in_ramp and ((step - self.begin_step) % self.frequency == 0
                            or step == self.end_step)

    def update_masks(self):
        """Recomputes the masks by magnitude at the scheduled sparsity, and applies them."""
        self.current_sparsity = self.scheduled_sparsity()
        masks = [magnitude_mask(weight, self.current_sparsity) for weight in self.weights]
        self.masks = {weight.path: mask for weight, mask in zip(self.weights, masks)}
        self._mask_tensors = [keras.ops.convert_to_tensor(mask, dtype=weight.dtype)
                              for weight, mask in zip(self.weights, masks)]
        self.updates.append((self.step, self.current_sparsity))
        self.apply_masks()

    def apply_masks(self):
        """Sets the pruned weights to zero again: ``variable.assign(kernel * mask)``."""
        for weight, mask in zip(self.weights, self._mask_tensors):
            weight.assign(keras.ops.multiply(weight, mask))

    def on_train_begin(self, logs=None):
        self.weights = _checked_weights(self.model, self._selected_weights)
        self.update_masks()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.is_update_step(self.step):
            self.update_masks()
        else:
            self.apply_masks()

    def on_train_end(self, logs=None):
        self.apply_masks()


def ramped_callback(target_sparsity, num_steps, ramp_fraction=RAMP_FRACTION,
                    frequency=FREQUENCY, weights=None):
    """A :class:`PruningCallback` whose ramp starts at step 0 and takes ``ramp_fraction`` of
    ``num_steps`` training steps; the rest trains at the target sparsity.

    Args:
        target_sparsity: float in [0, 1).
        num_steps: the training steps the callback will see, an int >= 1.
        ramp_fraction: float in (0, 1].
        frequency, weights: as :class:`PruningCallback`.
    """
    num_steps = checks.integer("num_steps", num_steps, minimum=1)
    ramp_fraction = checks.number("ramp_fraction", ramp_fraction, 0.0, 1.0,
                                  low_inclusive=False, hint=": e.g. ramp_fraction=0.6")
    return PruningCallback(target_sparsity, begin_step=0,
                           end_step=max(1, round(ramp_fraction * num_steps)),
                           frequency=frequency, weights=weights)


def prune(model, images, labels, target_sparsity, epochs=FINE_TUNE_EPOCHS,
          batch_size=digits.BATCH_SIZE, learning_rate=FINE_TUNE_LEARNING_RATE,
          ramp_fraction=RAMP_FRACTION, frequency=FREQUENCY, weights=None, seed=0, compile=True):
    """Fine-tunes a trained classifier while pruning it to ``target_sparsity``.

    The ramp runs from the first step over ``ramp_fraction`` of the steps; the rest of the
    fine-tuning trains the weights left at the target sparsity. Trains with
    :func:`genai_kit.efficient.digits.train_classifier` (Adam, cross-entropy from logits).

    Args:
        model: a trained keras.Model, (n, 28, 28, 1) -> logits (n, 10); pruned in place.
        images, labels: float32 (n, 28, 28, 1) in [0, 1], int (n,) in 0..9.
        target_sparsity: float in [0, 1), the share of each pruned kernel set to zero.
        epochs, batch_size: positive ints, of the fine-tuning.
        learning_rate: float > 0, Adam's, when ``compile`` is True.
        ramp_fraction: float in (0, 1], the share of the steps over which sparsity rises.
        frequency: int >= 1, steps between mask updates.
        weights: the variables to prune; None: :func:`prunable_weights`.
        seed: seeds the shuffling.
        compile: False keeps the caller's compilation (its optimizer, its loss).
    Returns:
        (history, callback): the keras History and the :class:`PruningCallback`, whose
        ``masks`` say which weights were pruned.
    """
    epochs = checks.integer("epochs", epochs, minimum=1)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    learning_rate = checks.number("learning_rate", learning_rate, low=0.0, low_inclusive=False,
                                  hint=": e.g. learning_rate=5e-4")
    _checked_weights(model, weights)  # fails before training when there is nothing to prune
    callback = ramped_callback(target_sparsity, epochs * math.ceil(len(images) / batch_size),
                               ramp_fraction, frequency, weights)
    history = digits.train_classifier(model, images, labels, epochs=epochs,
                                      batch_size=batch_size, learning_rate=learning_rate,
                                      seed=seed, callbacks=[callback], compile=compile)
    return history, callback


# ---------------------------------------------------------------------- measuring sparsity
def sparsity(model, weights=None):
    """The share of exact zeros over the pruned kernels, all of them together.

    Args:
        model: a keras.Model.
        weights: the variables to count; None: :func:`prunable_weights` of the model.
    Returns:
        float in [0, 1]: zeros / entries, summed over the kernels.
    """
    weights = _checked_weights(model, weights)
    values = [keras.ops.convert_to_numpy(weight) for weight in weights]
    zeros = sum(int(np.count_nonzero(value == 0)) for value in values)
    return zeros / sum(value.size for value in values)


def layer_sparsities(model):
    """The share of exact zeros in each prunable layer's kernel.

    Args:
        model: a keras.Model with at least one Dense or Conv layer.
    Returns:
        dict layer name -> float in [0, 1], in the order of the layers.
    """
    prunable_weights(model)  # the same error when there is nothing to measure
    return {layer.name: float(np.mean(keras.ops.convert_to_numpy(kernel) == 0))
            for layer, kernel in _prunable_layers(model)}


# ---------------------------------------------------------------------- measuring storage
def _smallest_unsigned(largest):
    for dtype in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


def csr_arrays(kernel):
    """A kernel in compressed sparse row (CSR) form: only its nonzeros and their positions.

    A kernel of more than two axes (a convolution's (h, w, in, out)) is first reshaped to
    (h * w * in, out). Indices take the smallest unsigned int that holds them.

    Args:
        kernel: array, float, 1 to 5 axes.
    Returns:
        (values, column_indices, row_pointers): values, the nonzeros in row-major order
        (the kernel's dtype, (nnz,)); column_indices, the column of each (nnz,); and
        row_pointers (rows + 1,), where row r's nonzeros are values[row_pointers[r]:
        row_pointers[r + 1]].
    """
    kernel = keras.ops.convert_to_numpy(kernel)
    matrix = kernel.reshape(1, -1) if kernel.ndim == 1 else kernel.reshape(-1, kernel.shape[-1])
    rows, columns = np.nonzero(matrix)  # row-major order
    values = matrix[rows, columns]
    column_indices = columns.astype(_smallest_unsigned(matrix.shape[1] - 1))
    counts = np.bincount(rows, minlength=matrix.shape[0])
    row_pointers = np.concatenate([[0], np.cumsum(counts)]).astype(
        _smallest_unsigned(values.size))
    return values, column_indices, row_pointers


def sparse_weight_bytes(model, weights=None):
    """Bytes of the model's weights with the pruned kernels in CSR form, the rest dense.

    Each nonzero costs its 4 bytes and its column index (1 byte for up to 256 columns, 2 up
    to 65,536), each row a pointer: below about a fifth to a third of zeros, CSR is larger
    than dense.

    Args:
        model: a keras.Model.
        weights: the variables stored as CSR; None: :func:`prunable_weights`.
    Returns:
        int > 0.
    """
    sparse = {id(weight) for weight in _checked_weights(model, weights)}
    total = 0
    for weight in model.weights:
        if id(weight) in sparse:
            total += sum(int(part.nbytes) for part in csr_arrays(weight))
        else:
            total += int(keras.ops.convert_to_numpy(weight).nbytes)
    return total
