"""A small U-Net that predicts the noise in an image: eps_theta(x_t, t[, class]).

Shapes follow the image: 28x28 MNIST (28 -> 14 -> 7), 32x32 and 64x64 colour images all work
with the default two downsamplings. The timestep enters through a sinusoidal embedding (the
Transformer's position code, applied to t) and an MLP, and is added inside every residual
block; an optional class label is embedded and added to it. Class ``num_classes`` is the
"null" class: training replaces labels by it now and then, so the same network also predicts
unconditionally, which is what classifier-free guidance needs.
"""
import math

import keras
from keras import layers, ops

NORM_GROUPS = 8


@keras.saving.register_keras_serializable(package="genai_kit")
class SinusoidalEmbedding(layers.Layer):
    """Integer timesteps (n,) -> (n, dim) sines and cosines of geometrically spaced frequencies.

    Args:
        dim: even embedding width.
        max_period: the slowest wavelength, in timesteps (10,000 as in the Transformer).
    """

    def __init__(self, dim, max_period=10_000.0, **kwargs):
        super().__init__(**kwargs)
        if int(dim) % 2:
            raise ValueError(f"the embedding width must be even, got {dim}")
        self.dim = int(dim)
        self.max_period = float(max_period)

    def call(self, timesteps):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(self.max_period) * ops.arange(half, dtype="float32") / half)
        angles = ops.cast(ops.reshape(timesteps, (-1, 1)), "float32") * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


def residual_block(x, embedding, filters, name):
    """GroupNorm-swish-conv twice, the embedding added in between, plus a skip connection.

    Args:
        x: feature map (n, h, w, c).
        embedding: time(+class) embedding (n, e).
        filters: output channels.
    Returns:
        feature map (n, h, w, filters).
    """
    skip = x if x.shape[-1] == filters else layers.Conv2D(filters, 1, name=f"{name}_skip")(x)
    h = layers.GroupNormalization(min(NORM_GROUPS, x.shape[-1]), name=f"{name}_norm1")(x)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(h)
    # the timestep says how much noise to expect: a per-channel shift of the features
    shift = layers.Dense(filters, name=f"{name}_time")(layers.Activation("swish")(embedding))
    h = layers.Add()([h, layers.Reshape((1, 1, filters))(shift)])
    h = layers.GroupNormalization(min(NORM_GROUPS, filters), name=f"{name}_norm2")(h)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(h)
    return layers.Add(name=f"{name}_out")([skip, h])


def build_unet(image_shape=(28, 28, 1), widths=(32, 64, 64), blocks_per_level=1,
               embedding_dim=64, num_classes=None):
    """The noise-prediction network.

    Args:
        image_shape: (H, W, C); H and W divisible by 2 ** (len(widths) - 1).
        widths: channels per resolution level, from full size down (one downsampling
            between consecutive levels).
        blocks_per_level: residual blocks per level on the way down (one more on the way up,
            which also takes the skip connection).
        embedding_dim: width of the sinusoidal time embedding; the MLP after it (and the
            class embedding) are ``4 * embedding_dim`` wide.
        num_classes: None for an unconditional network; otherwise the number of classes,
            and the network takes a third input, labels in [0, num_classes] where
            ``num_classes`` is the null (unconditional) class.
    Returns:
        keras.Model: inputs [noisy images (n, H, W, C) float32, timesteps (n,) int32
        (and labels (n,) int32)] -> predicted noise (n, H, W, C).
    """
    image_shape = tuple(int(size) for size in image_shape)
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (H, W, C), got {image_shape}")
    widths = tuple(int(width) for width in widths)
    if not widths or any(width < 1 or width % NORM_GROUPS for width in widths):
        raise ValueError(f"widths must be multiples of {NORM_GROUPS} (the group normalization's "
                         f"groups), got {widths}: e.g. (16, 32, 64)")
    factor = 2 ** (len(widths) - 1)
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(
            f"image sides {image_shape[:2]} must be divisible by {factor} for {len(widths)} "
            f"levels: use fewer widths or pad the images (28 works with 3 levels: 28, 14, 7)"
        )
    noisy_images = keras.Input(shape=image_shape, name="noisy_images")
    timesteps = keras.Input(shape=(), dtype="int32", name="timesteps")
    inputs = [noisy_images, timesteps]

    embedding = SinusoidalEmbedding(embedding_dim, name="time_embedding")(timesteps)
    embedding = layers.Dense(4 * embedding_dim, activation="swish", name="time_mlp1")(embedding)
    embedding = layers.Dense(4 * embedding_dim, name="time_mlp2")(embedding)
    if num_classes is not None:
        labels = keras.Input(shape=(), dtype="int32", name="class_labels")
        inputs.append(labels)
        # num_classes + 1 rows: the last one is the null class of classifier-free guidance
        class_embedding = layers.Embedding(num_classes + 1, 4 * embedding_dim,
                                           name="class_embedding")(labels)
        embedding = layers.Add(name="time_and_class")([embedding, class_embedding])

    x = layers.Conv2D(widths[0], 3, padding="same", name="stem")(noisy_images)
    skips = []
    for level, width in enumerate(widths):
        for block in range(blocks_per_level):
            x = residual_block(x, embedding, width, name=f"down{level}_{block}")
        skips.append(x)
        if level < len(widths) - 1:
            x = layers.Conv2D(width, 3, strides=2, padding="same", name=f"downsample{level}")(x)
    x = residual_block(x, embedding, widths[-1], name="middle")
    for level in reversed(range(len(widths))):
        if level < len(widths) - 1:
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"upsample{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        for block in range(blocks_per_level + 1):
            x = residual_block(x, embedding, widths[level], name=f"up{level}_{block}")
    x = layers.GroupNormalization(min(NORM_GROUPS, widths[0]), name="out_norm")(x)
    x = layers.Activation("swish")(x)
    # zero init: the untrained network predicts "no noise", a calm start for the MSE
    outputs = layers.Conv2D(image_shape[-1], 3, padding="same", kernel_initializer="zeros",
                            dtype="float32",
                            name="predicted_noise")(x)
    name = "unet" if num_classes is None else "conditional_unet"
    return keras.Model(inputs, outputs, name=name)
