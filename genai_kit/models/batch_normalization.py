"""Batch normalization in TensorFlow's fused kernel: the Keras layer, computed faster.

``keras.layers.BatchNormalization`` (Keras 3) computes its statistics and the normalization
with about ten element-wise TensorFlow ops, and as many again in the backward pass; each one
reads and writes the whole activation tensor. ``FusedBatchNormalization`` keeps the Keras
layer's arguments, weights and behaviour and hands the arithmetic to TensorFlow's
``FusedBatchNormV3`` kernel (oneDNN on CPU), which does it in one pass each way and reads
bfloat16 activations without copying them to float32 first. The DCGAN generator, whose
largest activations are (128, 64, 64, 32), trains faster with it in float32 and in mixed
bfloat16; ``benchmarks/dcgan_throughput.py`` (variant ``kit_keras_bn``) measures by how much,
and the README keeps the figures.

The outputs, gradients and moving statistics equal the Keras layer's up to float rounding
(``tests/test_batch_normalization.py``). Inputs the kernel does not take (not 4-D channels-last,
a mask, ``synchronized=True``, ``renorm=True``, float64) go to the Keras layer's own code.
"""
import keras
import tensorflow as tf

_FUSED_DTYPES = ("float16", "bfloat16", "float32")


@keras.saving.register_keras_serializable(package="genai_kit")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` on TensorFlow's fused kernel.

    Takes the same arguments as the Keras layer. Inputs: (n, height, width, channels);
    outputs: the same shape and dtype, normalized per channel with the batch's statistics
    in training and the moving statistics in inference.
    """

    def _fusable(self, inputs, mask):
        return (
            mask is None
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and not self.synchronized
            # Keras added batch renormalization in 3.14; earlier layers have no such attribute
            and not getattr(self, "renorm", False)
            and keras.backend.standardize_dtype(inputs.dtype) in _FUSED_DTYPES
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        # the kernel takes float32 scale and offset whatever the activations' dtype
        scale = tf.cast(self.gamma, "float32") if self.scale else tf.ones([channels])
        offset = tf.cast(self.beta, "float32") if self.center else tf.zeros([channels])
        if training and self.trainable:
            outputs, batch_mean, batch_variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, epsilon=self.epsilon, is_training=True
            )
            # the kernel returns the unbiased variance (divided by count - 1); the Keras layer
            # averages the biased one into its moving variance, so this layer does too
            count = tf.cast(tf.size(inputs) // channels, "float32")
            batch_variance = batch_variance * (count - 1.0) / count
            self.moving_mean.assign(
                self.moving_mean * self.momentum + batch_mean * (1.0 - self.momentum)
            )
            self.moving_variance.assign(
                self.moving_variance * self.momentum + batch_variance * (1.0 - self.momentum)
            )
        else:
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs,
                scale,
                offset,
                mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"),
                epsilon=self.epsilon,
                is_training=False,
            )
        return tf.cast(outputs, self.compute_dtype)
