"""Magnitude pruning: the schedule and the masks by hand, then a trained baseline pruned to
50%, 75% and 90% and measured (sparsity, accuracy, bytes)."""
import gzip

import keras
import numpy as np
import pytest
import scipy.sparse

from genai_kit.efficient import digits, pruning, size

BASELINE_EPOCHS = 10
FINE_TUNE_EPOCHS = 2
TARGETS = (0.5, 0.75, 0.9)
# 1 point of sparsity, absolute: the masks' counts are exact, so only stray zeros move it
SPARSITY_TOLERANCE = 0.01
# accuracy on the 500 test digits may fall by at most 2 points (10 digits) at 75% sparsity
MAX_ACCURACY_DROP = 0.02


def copy_of(model):
    """An uncompiled dense classifier with ``model``'s weights (``clone_model`` would
    compile the copy like the original, and a compiled model saves its optimizer too)."""
    copy = digits.build_dense_classifier(seed=0)
    copy.set_weights(model.get_weights())
    return copy


@pytest.fixture(scope="module")
def data():
    return digits.split("train"), digits.split("test")


@pytest.fixture(scope="module")
def baseline(data):
    """The float32 classifier, trained once for the module, and its test accuracy."""
    (images, labels), (test_images, test_labels) = data
    model = digits.build_dense_classifier(seed=0)
    digits.train_classifier(model, images, labels, epochs=BASELINE_EPOCHS)
    return model, digits.accuracy(model, test_images, test_labels)


@pytest.fixture(scope="module")
def pruned(data, baseline):
    """target sparsity -> (model, callback): copies of the baseline pruned by fine-tuning."""
    (images, labels), _ = data
    models = {}
    for target in TARGETS:
        model = copy_of(baseline[0])
        _, callback = pruning.prune(model, images, labels, target, epochs=FINE_TUNE_EPOCHS)
        models[target] = model, callback
    return models


# ---------------------------------------------------------------------- the schedule
def test_schedule_is_the_cubic_of_zhu_and_gupta_between_begin_and_end():
    begin, end, initial, final = 100, 300, 0.1, 0.8

    def by_hand(step):
        return final + (initial - final) * (1 - (step - begin) / (end - begin)) ** 3

    def schedule(step):
        return pruning.polynomial_sparsity(step, final, begin, end, initial_sparsity=initial)

    assert schedule(begin) == pytest.approx(initial, abs=1e-12)
    assert schedule(150) == pytest.approx(by_hand(150), abs=1e-12)
    assert schedule(200) == pytest.approx(0.8 - 0.7 * 0.5 ** 3, abs=1e-12)  # 0.7125
    assert schedule(299) == pytest.approx(by_hand(299), abs=1e-12)
    assert schedule(end) == pytest.approx(final, abs=1e-12)


def test_schedule_is_clipped_before_begin_and_after_end():
    assert pruning.polynomial_sparsity(0, 0.9, 50, 150, initial_sparsity=0.2) == 0.2
    assert pruning.polynomial_sparsity(49, 0.9, 50, 150, initial_sparsity=0.2) == 0.2
    assert pruning.polynomial_sparsity(151, 0.9, 50, 150) == 0.9
    assert pruning.polynomial_sparsity(10_000, 0.9, 50, 150) == 0.9
    # an empty ramp jumps to the target at begin_step
    assert pruning.polynomial_sparsity(5, 0.6, 5, 5) == 0.6


def test_schedule_rises_fastest_at_the_start():
    values = [pruning.polynomial_sparsity(step, 0.9, 0, 100) for step in range(101)]
    increments = np.diff(values)
    assert np.all(increments >= 0)
    assert increments[0] > 10 * increments[-1]


# ---------------------------------------------------------------------- the masks
def test_magnitude_mask_zeroes_exactly_the_smallest_magnitudes():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(30, 17)).astype(np.float32)  # 510 distinct values, both signs
    for sparsity in (0.0, 0.3, 0.5, 0.77, 0.99):
        mask = pruning.magnitude_mask(kernel, sparsity)
        count = round(sparsity * kernel.size)
        assert mask.shape == kernel.shape and mask.dtype == np.float32
        assert set(np.unique(mask)) <= {0.0, 1.0}
        assert int(np.sum(mask == 0)) == count
        threshold = np.sort(np.abs(kernel), axis=None)[count - 1] if count else -1.0
        np.testing.assert_array_equal(mask == 0, np.abs(kernel) <= threshold)


def test_magnitude_mask_breaks_ties_by_position():
    kernel = np.array([[0.5, -0.5, 0.5], [0.1, 0.5, -0.5]], dtype=np.float32)
    mask = pruning.magnitude_mask(kernel, 0.5)  # 3 of 6: the 0.1, then the first two 0.5s
    np.testing.assert_array_equal(mask, [[0, 0, 1], [0, 1, 1]])
    # all equal: the first entries in row-major order go first
    np.testing.assert_array_equal(pruning.magnitude_mask(np.ones((3, 3)), 0.3).ravel(),
                                  [0, 0, 0, 1, 1, 1, 1, 1, 1])


def test_same_seed_gives_the_same_masks_and_another_seed_others(data):
    (images, labels), _ = data
    images, labels = images[:256], labels[:256]

    def masks(seed):
        model = digits.build_dense_classifier(seed=seed)
        _, callback = pruning.prune(model, images, labels, 0.6, epochs=1, frequency=1,
                                    seed=seed)
        return callback.masks

    first, again = masks(1), masks(1)
    assert sorted(first) == ["hidden_0/kernel", "hidden_1/kernel", "logits/kernel"]
    for path in first:
        # the same seed: the same initial weights, batches and steps, hence the same masks
        np.testing.assert_array_equal(first[path], again[path])
    # another seed starts from other weights, whose smallest entries lie elsewhere
    kernels = [digits.build_dense_classifier(seed=seed).get_layer("hidden_0").kernel
               for seed in (1, 2)]
    first_mask, other_mask = (pruning.magnitude_mask(kernel, 0.6) for kernel in kernels)
    assert np.mean(first_mask != other_mask) > 0.3


def test_prunable_weights_are_the_dense_and_conv_kernels():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="norm")(x)
    x = keras.layers.Flatten()(x)
    inner = keras.Sequential([keras.Input((144,)), keras.layers.Dense(5, name="inner_dense")],
                             name="inner")
    outputs = keras.layers.Dense(3, name="head")(inner(x))
    model = keras.Model(inputs, outputs)
    weights = pruning.prunable_weights(model)
    assert [weight.path for weight in weights] == [
        "conv/kernel", "inner/inner_dense/kernel", "head/kernel"]
    assert [tuple(weight.shape) for weight in weights] == [(3, 3, 1, 4), (144, 5), (5, 3)]


# ---------------------------------------------------------------------- the callback
def test_callback_updates_the_masks_on_the_schedule_and_keeps_them_exact():
    model = digits.build_dense_classifier(hidden_units=(32,), seed=0)
    digits.compile_classifier(model)
    images = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    labels = np.arange(64) % 10
    callback = pruning.PruningCallback(0.8, begin_step=2, end_step=9, frequency=3)
    model.fit(images, labels, batch_size=8, epochs=2, verbose=0, callbacks=[callback])
    assert callback.step == 16
    # train begin (step 0, before the ramp), every 3 steps from 2, and end_step
    assert [step for step, _ in callback.updates] == [0, 2, 5, 8, 9]
    for step, value in callback.updates:
        assert value == pytest.approx(pruning.polynomial_sparsity(step, 0.8, 2, 9), abs=1e-12)
    assert callback.current_sparsity == 0.8
    for layer, fraction in pruning.layer_sparsities(model).items():
        kernel = model.get_layer(layer).kernel
        assert fraction == round(0.8 * np.prod(kernel.shape)) / np.prod(kernel.shape)
        np.testing.assert_array_equal(kernel.numpy() == 0, callback.masks[kernel.path] == 0)


def test_callback_prunes_only_the_weights_selected(data):
    (images, labels), _ = data
    model = digits.build_dense_classifier(seed=0)
    selected = pruning.prunable_weights(model)[:-1]  # keep the output layer dense
    pruning.prune(model, images[:128], labels[:128], 0.5, epochs=1, weights=selected)
    sparsities = pruning.layer_sparsities(model)
    assert sparsities["hidden_0"] == sparsities["hidden_1"] == 0.5
    assert sparsities["logits"] == 0.0
    assert pruning.sparsity(model, weights=selected) == 0.5


# ---------------------------------------------------------------------- the pruned baseline
@pytest.mark.parametrize("target", TARGETS)
def test_pruned_model_has_the_target_sparsity(pruned, target):
    model, _ = pruned[target]
    assert abs(pruning.sparsity(model) - target) <= SPARSITY_TOLERANCE
    for fraction in pruning.layer_sparsities(model).values():
        assert abs(fraction - target) <= SPARSITY_TOLERANCE


def test_more_training_with_the_callback_keeps_the_pruned_weights_zero(data, pruned):
    (images, labels), _ = data
    model, callback = pruned[0.9]
    model = copy_of(model)
    zeros_before = [kernel.numpy() == 0 for kernel in pruning.prunable_weights(model)]
    digits.train_classifier(model, images[:1024], labels[:1024], callbacks=[callback], epochs=1)
    assert abs(pruning.sparsity(model) - 0.9) <= SPARSITY_TOLERANCE
    for before, kernel in zip(zeros_before, pruning.prunable_weights(model)):
        np.testing.assert_array_equal(kernel.numpy() == 0, before)


def test_training_without_the_callback_fills_the_zeros_in(data, pruned):
    (images, labels), _ = data
    model = copy_of(pruned[0.9][0])
    digits.train_classifier(model, images[:1024], labels[:1024], epochs=1)
    # the optimizer moves every weight with a gradient; only the masks keep them at zero
    assert pruning.sparsity(model) < 0.9 - 0.3


def test_accuracy_falls_by_at_most_two_points_at_75_percent_sparsity(data, baseline, pruned):
    _, (test_images, test_labels) = data
    baseline_accuracy = baseline[1]
    assert baseline_accuracy > 0.9  # a trained baseline, else the comparison says nothing
    pruned_accuracy = digits.accuracy(pruned[0.75][0], test_images, test_labels)
    assert pruned_accuracy >= baseline_accuracy - MAX_ACCURACY_DROP


# ---------------------------------------------------------------------- storage
def test_zeros_shrink_gzip_and_sparse_bytes_but_not_dense_bytes(baseline, pruned):
    dense, sparse = baseline[0], pruned[0.9][0]
    num_parameters = dense.count_params()
    assert size.weight_bytes(dense) == size.weight_bytes(sparse)
    assert size.weight_bytes(sparse) == 4 * num_parameters
    assert size.gzip_weight_bytes(sparse) < 0.5 * size.gzip_weight_bytes(dense)
    # trained float32 weights hardly compress
    assert size.gzip_weight_bytes(dense) > 0.8 * size.weight_bytes(dense)
    # CSR costs more than dense storage without zeros, far less at 90%
    assert pruning.sparse_weight_bytes(dense) > size.weight_bytes(dense)
    assert pruning.sparse_weight_bytes(sparse) < 0.2 * size.weight_bytes(sparse)


def test_gzip_bytes_are_those_of_the_weights_one_after_the_other(pruned):
    model = pruned[0.5][0]
    raw = b"".join(weight.numpy().tobytes() for weight in model.weights)
    assert size.gzip_weight_bytes(model) == len(gzip.compress(raw, 9, mtime=0))


def test_sparse_bytes_count_values_indices_and_row_pointers(pruned):
    model = pruned[0.9][0]
    expected = 0
    for weight in model.weights:
        values = weight.numpy()
        if weight.path.endswith("kernel"):
            rows, columns = values.shape
            nonzeros = int(np.count_nonzero(values))
            index_bytes = 1 if columns <= 256 else 2  # 256, 128 and 10 columns here
            pointer_bytes = 1 if nonzeros <= 255 else 2 if nonzeros <= 65535 else 4
            expected += nonzeros * (4 + index_bytes) + (rows + 1) * pointer_bytes
        else:
            expected += values.nbytes  # biases stay dense
    assert pruning.sparse_weight_bytes(model) == expected


def test_csr_arrays_match_scipy_and_rebuild_the_kernel(pruned):
    kernel = pruned[0.75][0].get_layer("hidden_1").kernel.numpy()
    values, column_indices, row_pointers = pruning.csr_arrays(kernel)
    reference = scipy.sparse.csr_matrix(kernel)
    np.testing.assert_array_equal(values, reference.data)
    np.testing.assert_array_equal(column_indices, reference.indices)
    np.testing.assert_array_equal(row_pointers, reference.indptr)
    assert column_indices.dtype == np.uint8  # 128 columns
    rebuilt = scipy.sparse.csr_matrix((values, column_indices, row_pointers), kernel.shape)
    np.testing.assert_array_equal(rebuilt.toarray(), kernel)


def test_keras_file_does_not_shrink_with_zeros(baseline, pruned):
    dense, sparse = copy_of(baseline[0]), copy_of(pruned[0.9][0])  # no optimizer state
    dense_file = size.keras_file_bytes(dense)[0]
    sparse_file = size.keras_file_bytes(sparse)[0]
    # the weights and a little architecture and layout, stored whatever their values
    assert size.weight_bytes(dense) < dense_file < 1.1 * size.weight_bytes(dense)
    assert sparse_file > 0.99 * dense_file


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("value, message", [
    (1.0, r"target_sparsity must be in \[0.0, 1.0\), got 1.0.*e\.g\. target_sparsity=0\.75"),
    (-0.1, r"target_sparsity must be in \[0.0, 1.0\), got -0.1.*e\.g\. target_sparsity=0\.75"),
    (75, r"got 75.*a fraction, not a percentage, e\.g\. target_sparsity=0\.75 for 75%"),
])
def test_target_sparsity_outside_zero_to_one_is_refused_with_an_example(value, message):
    with pytest.raises(ValueError, match=message):
        pruning.PruningCallback(value, begin_step=0, end_step=100)
    with pytest.raises(ValueError, match=message):
        pruning.polynomial_sparsity(0, value, 0, 100)


def test_bad_schedules_and_frequencies_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"begin_step \(500\) is after end_step \(100\).*"
                                         r"begin_step <= end_step"):
        pruning.PruningCallback(0.5, begin_step=500, end_step=100)
    with pytest.raises(ValueError, match=r"frequency must be >= 1, got 0.*e\.g\. frequency=10"):
        pruning.PruningCallback(0.5, begin_step=0, end_step=100, frequency=0)
    with pytest.raises(ValueError, match=r"initial_sparsity \(0.6\) is above target_sparsity"):
        pruning.PruningCallback(0.5, begin_step=0, end_step=100, initial_sparsity=0.6)
    with pytest.raises(ValueError, match=r"sparsity must be in \[0.0, 1.0\)"):
        pruning.magnitude_mask(np.ones((2, 2)), 1.0)


def test_model_without_prunable_weights_is_refused_with_the_fix():
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    for function in (pruning.prunable_weights, pruning.sparsity, pruning.layer_sparsities):
        with pytest.raises(ValueError, match=r"has no prunable weights.*Dense and Conv.*"
                                             r"weights=\["):
            function(model)
    images, labels = np.zeros((4, 28, 28, 1), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="has no prunable weights"):
        pruning.prune(model, images, labels, 0.5, epochs=1)
    with pytest.raises(ValueError, match=r"weights is empty.*prunable_weights\(model\)\[:-1\]"):
        pruning.sparsity(digits.build_dense_classifier(), weights=[])
