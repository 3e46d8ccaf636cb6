"""FusedBatchNormalization: the Keras layer's arithmetic in TensorFlow's fused kernel."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit.models.batch_normalization import FusedBatchNormalization
from tolerances import BFLOAT16_EPS, assert_rounding_close

# both layers reduce the 8 x 5 x 5 = 200 values of a channel for the mean, again for the
# variance and once more in the backward pass, with a few elementwise operations on top
VALUES_PER_CHANNEL = 8 * 5 * 5
ROUNDINGS = 3 * VALUES_PER_CHANNEL + 8


def activations(shape=(8, 5, 5, 4), seed=0):
    # far from zero mean and unit variance, so that a wrong statistic shows
    return tf.constant(np.random.default_rng(seed).normal(2.0, 3.0, shape).astype("float32"))


def twin_layers(**options):
    """A Keras layer and a fused one with the same, non-trivial weights."""
    pair = []
    for layer_type in (keras.layers.BatchNormalization, FusedBatchNormalization):
        layer = layer_type(momentum=0.5, **options)
        layer.build((None, 5, 5, 4))
        if layer.scale:
            layer.gamma.assign([1.0, 2.0, 0.5, 1.5])
        if layer.center:
            layer.beta.assign([0.0, 1.0, -1.0, 0.2])
        pair.append(layer)
    return pair


def training_step(layer, inputs):
    """Outputs, gradients (inputs, then the layer's weights) of a non-trivial loss."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = layer(inputs, training=True)
        loss = tf.reduce_sum(tf.cast(outputs, "float32") * tf.sin(tf.cast(inputs, "float32")))
    return outputs, tape.gradient(loss, [inputs, *layer.trainable_weights])


@pytest.mark.parametrize("options", [{}, dict(center=False), dict(scale=False), dict(epsilon=0.1)])
def test_training_matches_keras_outputs_gradients_and_moving_statistics(options):
    keras_layer, fused_layer = twin_layers(**options)
    inputs = activations()
    keras_outputs, keras_gradients = training_step(keras_layer, inputs)
    fused_outputs, fused_gradients = training_step(fused_layer, inputs)
    # the sums run over the inputs, so their size sets the scale of the rounding
    input_magnitude = float(np.abs(inputs.numpy()).max())
    assert_rounding_close(fused_outputs, keras_outputs, roundings=ROUNDINGS,
                          magnitude=max(input_magnitude, float(np.abs(keras_outputs).max())))
    assert len(fused_gradients) == len(keras_gradients)
    for fused, expected in zip(fused_gradients, keras_gradients):
        assert_rounding_close(fused, expected, roundings=ROUNDINGS)
    # the moving variance averages the biased batch variance, as the Keras layer's does
    assert_rounding_close(fused_layer.moving_mean, keras_layer.moving_mean,
                          roundings=VALUES_PER_CHANNEL + 2, magnitude=input_magnitude)
    # a variance is a mean of positive squares: its rounding scales with its own size
    assert_rounding_close(fused_layer.moving_variance, keras_layer.moving_variance,
                          roundings=2 * VALUES_PER_CHANNEL + 4)
    biased_variance = np.var(inputs.numpy(), axis=(0, 1, 2))
    assert_rounding_close(fused_layer.moving_variance, 0.5 + 0.5 * biased_variance,
                          roundings=2 * VALUES_PER_CHANNEL + 4)


def test_inference_uses_the_moving_statistics_like_keras():
    keras_layer, fused_layer = twin_layers()
    for layer in (keras_layer, fused_layer):
        layer.moving_mean.assign([1.0, -1.0, 0.5, 3.0])
        layer.moving_variance.assign([4.0, 0.25, 1.0, 9.0])
    inputs = activations()
    # inference is elementwise: (x - mean) / sqrt(variance + epsilon) * gamma + beta
    assert_rounding_close(fused_layer(inputs, training=False), keras_layer(inputs, training=False),
                          roundings=8, magnitude=float(np.abs(inputs.numpy()).max()) * 4)
    # inference leaves the statistics alone: the assigned values, bit for bit
    np.testing.assert_array_equal(fused_layer.moving_mean, [1.0, -1.0, 0.5, 3.0])


@pytest.mark.bfloat16
def test_bfloat16_activations_stay_bfloat16_with_float32_statistics():
    keras_layer, fused_layer = (
        layer_type(momentum=0.5, dtype="mixed_bfloat16")
        for layer_type in (keras.layers.BatchNormalization, FusedBatchNormalization)
    )
    inputs = tf.cast(activations(), "bfloat16")
    keras_outputs, _ = training_step(keras_layer, inputs)
    fused_outputs, fused_gradients = training_step(fused_layer, inputs)
    assert fused_outputs.dtype == tf.bfloat16
    assert fused_layer.moving_variance.dtype == "float32"
    # bfloat16 keeps 8 significant bits: both layers normalise in float32 from the same
    # bfloat16 inputs and round the result to bfloat16 (and at most once more on the way);
    # the statistics are float32 sums of those inputs
    assert_rounding_close(tf.cast(fused_outputs, "float32"), tf.cast(keras_outputs, "float32"),
                          roundings=2, eps=BFLOAT16_EPS)
    assert_rounding_close(fused_layer.moving_mean, keras_layer.moving_mean,
                          roundings=VALUES_PER_CHANNEL + 2,
                          magnitude=float(np.abs(inputs.numpy()).max()))
    assert all(np.isfinite(tf.cast(gradient, "float32")).all() for gradient in fused_gradients)


def test_inputs_the_kernel_cannot_take_use_the_keras_code():
    # 2-D inputs (after a Dense layer) are normalized per feature, as by the Keras layer
    keras_layer, fused_layer = (
        layer_type() for layer_type in (keras.layers.BatchNormalization, FusedBatchNormalization)
    )
    inputs = tf.reshape(activations(), (8, 100))
    assert not fused_layer._fusable(inputs, None)
    # per feature: a mean and a variance over the batch of 8, then elementwise work
    assert_rounding_close(fused_layer(inputs, training=True), keras_layer(inputs, training=True),
                          roundings=2 * 8 + 8, magnitude=float(np.abs(inputs.numpy()).max()))
    assert not FusedBatchNormalization(axis=1)._fusable(activations(), None)
    assert not FusedBatchNormalization()._fusable(tf.cast(activations(), "float64"), None)


def test_round_trips_through_a_keras_file(tmp_path):
    model = keras.Sequential([keras.Input((5, 5, 4)), FusedBatchNormalization(name="norm")])
    model.layers[0].moving_mean.assign([1.0, 2.0, 3.0, 4.0])
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.get_layer("norm"), FusedBatchNormalization)
    inputs = activations().numpy()
    # the same weights along the same code path: the same bits
    np.testing.assert_array_equal(loaded.predict(inputs, verbose=0),
                                  model.predict(inputs, verbose=0))
