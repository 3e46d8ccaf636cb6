"""Week 10's measures and techniques: sizes counted right, and each trade-off within bounds."""
import keras
import numpy as np
import pytest

from genai_kit.efficient import (batch_size, comparison, digits, generator, lora,
                                 mixed_precision, quantization, size)
from genai_kit.models import mnist_classifier


@pytest.fixture(scope="module")
def held_out():
    return digits.split("test")


@pytest.fixture(scope="module")
def baseline():
    """The float32 dense classifier, trained once for the module."""
    images, labels = digits.split("train")
    model = digits.build_dense_classifier(seed=0)
    digits.train_classifier(model, images, labels, epochs=10, seed=0)
    return model


def untrained_copy(model):
    copy = digits.build_dense_classifier(seed=1)
    copy.set_weights(model.get_weights())
    return copy


# ---------------------------------------------------------------------- sizes
def test_parameter_counts_and_bytes_of_a_float32_model():
    model = digits.build_dense_classifier()
    expected = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert size.parameter_counts(model) == (expected, expected)
    assert size.weight_bytes(model) == 4 * expected
    assert size.weight_bytes(model, kernels_only=True) == 4 * (784 * 256 + 256 * 128 + 128 * 10)


def test_keras_file_leaves_out_the_optimizer_state(baseline):
    file_bytes, gzip_bytes = size.keras_file_bytes(baseline)  # baseline is compiled and trained
    weights = size.weight_bytes(baseline)
    # weights and a little architecture; Adam's two slots would triple it
    assert weights < file_bytes < 1.1 * weights
    # float32 weights of a trained model hardly compress
    assert gzip_bytes > 0.8 * file_bytes
    assert size.keras_file_bytes(untrained_copy(baseline))[0] == pytest.approx(file_bytes, rel=0.01)


def test_latency_is_seconds_per_call_and_grows_with_the_batch(baseline):
    one = size.latency(baseline, 1, repeats=5)
    many = size.latency(baseline, 1024, repeats=5)
    assert 0 < one < 1 and one < many


def test_an_unbuilt_model_is_refused_with_the_fix():
    unbuilt = keras.Sequential([keras.layers.Dense(4)])
    with pytest.raises(ValueError, match=r"not built.*model\.build"):
        size.parameter_counts(unbuilt)
    with pytest.raises(ValueError, match="not built"):
        quantization.quantized_copy(unbuilt)
    with pytest.raises(ValueError, match="not built"):
        lora.enable_lora(unbuilt, 2)
    with pytest.raises(TypeError, match="keras.Model"):
        size.weight_bytes(np.zeros(3))


# ---------------------------------------------------------------------- quantization
def test_int8_kernels_take_under_a_third_of_the_bytes_and_lose_at_most_a_point(baseline, held_out):
    quantized = quantization.quantized_copy(baseline, "int8")
    ratio = size.weight_bytes(quantized, kernels_only=True) / size.weight_bytes(
        baseline, kernels_only=True)
    # one byte per entry and a float32 scale per output unit
    assert 0.25 < ratio <= 0.3
    assert quantization.quantized_layer_names(quantized) == ["hidden_0", "hidden_1", "logits"]
    drop = digits.accuracy(baseline, *held_out) - digits.accuracy(quantized, *held_out)
    assert drop <= 0.01
    # the float32 model is left as it was
    assert quantization.quantized_layer_names(baseline) == []
    assert str(baseline.get_layer("hidden_0").kernel.dtype) == "float32"


@pytest.mark.skipif("int4" not in quantization.installed_modes(), reason="Keras without int4")
def test_int4_halves_int8_again(baseline, held_out):
    int8 = size.weight_bytes(quantization.quantized_copy(baseline, "int8"), kernels_only=True)
    int4_model = quantization.quantized_copy(baseline, "int4")
    assert size.weight_bytes(int4_model, kernels_only=True) < 0.6 * int8
    assert digits.accuracy(int4_model, *held_out) >= digits.accuracy(baseline, *held_out) - 0.05


def test_a_cnn_keeps_its_convolutions_in_float32():
    cnn = mnist_classifier.build_mnist_classifier()
    # most of the judge's parameters are in convolutions, out of quantize's reach
    assert quantization.quantizable_share(cnn) < 0.2
    quantized = quantization.quantized_copy(cnn, "int8")
    assert quantization.quantized_layer_names(quantized) == ["features", "probabilities"]
    conv_kernels = [layer.kernel for layer in quantized.layers
                    if isinstance(layer, keras.layers.Conv2D)]
    assert conv_kernels and all(str(kernel.dtype) == "float32" for kernel in conv_kernels)


@pytest.mark.parametrize("mode, message", [
    ("int2", r"unknown mode 'int2': choose one of 'int8'"),
    ("gptq", r"needs calibration data"),
])
def test_an_unknown_mode_is_refused(baseline, mode, message):
    with pytest.raises(ValueError, match=message):
        quantization.quantized_copy(baseline, mode)


def test_a_model_without_dense_layers_is_refused():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    with pytest.raises(ValueError, match="does not quantize convolutions"):
        quantization.quantized_copy(model)


# ---------------------------------------------------------------------- LoRA
def test_lora_trains_rank_times_inputs_plus_outputs_per_layer_and_starts_unchanged(baseline, held_out):
    adapted = lora.lora_copy(baseline, rank=4)
    expected = 4 * ((784 + 256) + (256 + 128) + (128 + 10))
    assert lora.adapter_parameter_count(adapted) == expected
    assert size.parameter_counts(adapted)[1] == expected  # biases frozen too
    images = held_out[0][:64]
    # B starts at zero: the adapted model computes what the trained one did
    np.testing.assert_allclose(adapted(images), baseline(images), rtol=0, atol=1e-5)


def test_lora_changes_only_the_adapters(baseline):
    adapted = lora.lora_copy(baseline, rank=2)
    frozen = {variable.path: variable.numpy().copy() for variable in adapted.non_trainable_weights}
    images, labels = digits.split("train", digits=[5], num_examples=128)
    digits.train_classifier(adapted, images, labels, epochs=1, learning_rate=lora.LEARNING_RATE)
    for variable in adapted.non_trainable_weights:
        np.testing.assert_array_equal(variable.numpy(), frozen[variable.path])  # exactly kept
    layer = adapted.get_layer("hidden_0")
    assert np.abs(layer.lora_kernel_b.numpy()).max() > 0


def test_lora_recovers_most_of_a_full_fine_tune_with_few_parameters():
    result = comparison.lora_shift(rank=4, epochs=8, seed=0)
    accuracy = result["accuracy"]
    assert accuracy["base on 0-4"] > 0.9
    assert accuracy["base on 5-9"] < 0.05  # it has never seen these digits
    assert accuracy["full on 5-9"] > 0.9
    assert result["trainable_share"] <= 0.05
    assert result["recovered"] >= 0.9


def test_lora_on_convolutions_folds_the_window_into_the_inputs():
    cnn = mnist_classifier.build_mnist_classifier()
    adapted = lora.enable_lora(cnn, rank=2)
    assert len(adapted) == 6  # four convolutions and two Dense layers
    first = cnn.layers[1]
    assert tuple(first.lora_kernel_a.shape) == (3, 3, 1, 2)
    assert tuple(first.lora_kernel_b.shape) == (2, 16)
    # batch normalization is frozen with everything else
    assert all(not layer.trainable for layer in cnn.layers
               if isinstance(layer, keras.layers.BatchNormalization))


@pytest.mark.parametrize("rank, message", [
    (0, r"rank must be >= 1, got 0"),
    (2.5, r"rank must be a whole number"),
    (11, r"rank 11 is larger than layer 'logits'.*pick rank <= 10"),
])
def test_a_bad_rank_is_refused_with_the_fix(baseline, rank, message):
    with pytest.raises(ValueError, match=message):
        lora.lora_copy(baseline, rank)


def test_adapters_can_be_enabled_once(baseline):
    adapted = lora.lora_copy(baseline, 2)
    with pytest.raises(ValueError, match="already has LoRA adapters"):
        lora.enable_lora(adapted, 2)


# ---------------------------------------------------------------------- mixed precision
def small_train_set():
    return digits.split("train", num_examples=512)


def test_mixed_float16_computes_in_float16_with_loss_scaling_and_float32_logits():
    model, history = mixed_precision.train_under_policy("mixed_float16", *small_train_set(), epochs=1)
    assert mixed_precision.compute_dtypes(model) == {
        "hidden_0": "float16", "hidden_1": "float16", "logits": "float32"}
    assert mixed_precision.is_loss_scaled(model)
    assert str(model.get_layer("hidden_0").kernel.dtype) == "float32"  # weights stay float32
    assert np.isfinite(history.history["loss"]).all()
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.bfloat16
def test_mixed_bfloat16_needs_no_loss_scaling():
    model, _ = mixed_precision.train_under_policy("mixed_bfloat16", *small_train_set(), epochs=1)
    assert mixed_precision.compute_dtypes(model)["hidden_0"] == "bfloat16"
    assert not mixed_precision.is_loss_scaled(model)


def test_mixed_precision_learns_as_well_as_float32(held_out):
    images, labels = digits.split("train", num_examples=2000)
    accuracies = {policy: digits.accuracy(
        mixed_precision.train_under_policy(policy, images, labels, epochs=4)[0], *held_out)
        for policy in ("float32", "mixed_float16")}
    assert accuracies["float32"] > 0.85
    assert abs(accuracies["mixed_float16"] - accuracies["float32"]) <= 0.03


def test_the_global_policy_is_restored_when_building_fails():
    def failing_build(seed):
        raise RuntimeError("a cell that fails")

    with pytest.raises(RuntimeError, match="a cell that fails"):
        mixed_precision.train_under_policy("mixed_float16", *small_train_set(), build=failing_build)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match=r"unknown policy 'float16'.*'mixed_float16'"):
        mixed_precision.train_under_policy("float16", *small_train_set())


def test_training_throughput_is_examples_per_second():
    model = digits.compile_classifier(digits.build_dense_classifier())
    images, labels = small_train_set()
    assert mixed_precision.training_throughput(model, images, labels, 64, num_batches=3) > 10
    with pytest.raises(ValueError, match="need at least batch_size = 1024"):
        mixed_precision.training_throughput(model, images, labels, 1024)


# ---------------------------------------------------------------------- batch size
def test_training_memory_is_weights_and_optimizer_plus_activations_per_example():
    model = digits.build_dense_classifier()
    activations = 784 + 784 + 256 + 128 + 10  # input, flattened, three Dense outputs
    assert batch_size.activation_count(model) == activations
    weights = 4 * model.count_params() * 4
    assert batch_size.training_memory_bytes(model, 32) == weights + 32 * 2 * activations * 4


def test_largest_batch_fits_the_budget_and_one_more_does_not():
    model = digits.build_dense_classifier()
    budget = 16e6
    largest = batch_size.largest_batch_within(model, budget)
    assert batch_size.training_memory_bytes(model, largest) <= budget
    assert batch_size.training_memory_bytes(model, largest + 1) > budget
    assert batch_size.largest_batch_within(model, 1000) == 0


# ---------------------------------------------------------------------- a generator
def test_an_int8_decoder_keeps_the_vae_s_samples():
    shipped = generator.generator_figures(generator.load_vae(), num_samples=300)
    quantized = generator.generator_figures(generator.quantized_vae("int8"), num_samples=300)
    assert quantized["decoder_bytes"] <= 0.3 * shipped["decoder_bytes"]
    # the same latents decode to nearly the same digits
    assert abs(quantized["fid"] - shipped["fid"]) < 3
    assert abs(quantized["recognised"] - shipped["recognised"]) < 0.03


def test_lora_teaches_the_vae_to_draw_one_digit_with_few_parameters():
    before = generator.generator_figures(generator.load_vae(), digit=7, num_samples=300)
    adapted_vae = generator.lora_vae(digit=7, rank=4, epochs=8)
    after = generator.generator_figures(adapted_vae, digit=7, num_samples=300)
    assert after["trainable"] <= 0.05 * after["parameters"]
    assert after["drawn_as_digit"] > before["drawn_as_digit"] + 0.05
    assert after["fid"] < before["fid"]
