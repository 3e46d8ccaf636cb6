"""FusedBatchNormalization: the Keras layer's arithmetic in TensorFlow's fused kernel."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from genai_kit.models.batch_normalization import FusedBatchNormalization


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
    np.testing.assert_allclose(fused_outputs, keras_outputs, rtol=1e-5, atol=1e-5)
    assert len(fused_gradients) == len(keras_gradients)
    for fused, expected in zip(fused_gradients, keras_gradients):
        np.testing.assert_allclose(fused, expected, rtol=1e-4, atol=1e-4)
    # the moving variance averages the biased batch variance, as the Keras layer's does
    np.testing.assert_allclose(fused_layer.moving_mean, keras_layer.moving_mean, rtol=1e-6)
    np.testing.assert_allclose(fused_layer.moving_variance, keras_layer.moving_variance,
                               rtol=1e-5)
    biased_variance = np.var(inputs.numpy(), axis=(0, 1, 2))
    np.testing.assert_allclose(fused_layer.moving_variance, 0.5 + 0.5 * biased_variance,
                               rtol=1e-5)


def test_inference_uses_the_moving_statistics_like_keras():
    keras_layer, fused_layer = twin_layers()
    for layer in (keras_layer, fused_layer):
        layer.moving_mean.assign([1.0, -1.0, 0.5, 3.0])
        layer.moving_variance.assign([4.0, 0.25, 1.0, 9.0])
    inputs = activations()
    np.testing.assert_allclose(fused_layer(inputs, training=False),
                               keras_layer(inputs, training=False), rtol=1e-5, atol=1e-5)
    # inference leaves the statistics alone
    np.testing.assert_allclose(fused_layer.moving_mean, [1.0, -1.0, 0.5, 3.0])


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
    # bfloat16 keeps 8 significant bits: agreement to a few hundredths of a unit
    np.testing.assert_allclose(tf.cast(fused_outputs, "float32"),
                               tf.cast(keras_outputs, "float32"), atol=0.05)
    np.testing.assert_allclose(fused_layer.moving_mean, keras_layer.moving_mean, rtol=1e-2)
    assert all(np.isfinite(tf.cast(gradient, "float32")).all() for gradient in fused_gradients)


def test_inputs_the_kernel_cannot_take_use_the_keras_code():
    # 2-D inputs (after a Dense layer) are normalized per feature, as by the Keras layer
    keras_layer, fused_layer = (
        layer_type() for layer_type in (keras.layers.BatchNormalization, FusedBatchNormalization)
    )
    inputs = tf.reshape(activations(), (8, 100))
    assert not fused_layer._fusable(inputs, None)
    np.testing.assert_allclose(fused_layer(inputs, training=True),
                               keras_layer(inputs, training=True), rtol=1e-5, atol=1e-5)
    assert not FusedBatchNormalization(axis=1)._fusable(activations(), None)
    assert not FusedBatchNormalization()._fusable(tf.cast(activations(), "float64"), None)


def test_round_trips_through_a_keras_file(tmp_path):
    model = keras.Sequential([keras.Input((5, 5, 4)), FusedBatchNormalization(name="norm")])
    model.layers[0].moving_mean.assign([1.0, 2.0, 3.0, 4.0])
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.get_layer("norm"), FusedBatchNormalization)
    inputs = activations().numpy()
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0),
                               model.predict(inputs, verbose=0), atol=1e-6)
