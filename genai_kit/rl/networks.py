"""The small fully connected networks the agents learn: policy logits, state values, Q-values.

Every layer's initializer takes its own seed, so that two agents built with the same seed
start from the same weights without touching Keras' global random state.
"""
import keras
import numpy as np

from genai_kit import checks

# the hidden layers of every network unless the agent says otherwise
HIDDEN_UNITS = (64, 64)


def mlp(input_dim, output_dim, hidden_units=HIDDEN_UNITS, seed=0, name="mlp"):
    """A ReLU multilayer perceptron with a linear output layer.

    Args:
        input_dim: int >= 1, the size of a flat observation.
        output_dim: int >= 1: the number of actions (logits or Q-values) or 1 (a value).
        hidden_units: sequence of ints >= 1, the widths of the hidden layers.
        seed: int, seeds every layer's initializer.
        name: the model's name.
    Returns:
        a built ``keras.Model`` mapping (batch, input_dim) float32 to (batch, output_dim).
    """
    input_dim = checks.integer("input_dim", input_dim, minimum=1)
    output_dim = checks.integer("output_dim", output_dim, minimum=1)
    hidden_units = [checks.integer("hidden_units", units, minimum=1) for units in hidden_units]
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(hidden_units) + 1)
    inputs = keras.Input((input_dim,))
    x = inputs
    for index, units in enumerate(hidden_units):
        initializer = keras.initializers.GlorotUniform(int(seeds[index]))
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=initializer,
                               name=f"hidden_{index}")(x)
    initializer = keras.initializers.GlorotUniform(int(seeds[-1]))
    outputs = keras.layers.Dense(output_dim, kernel_initializer=initializer, name="output")(x)
    return keras.Model(inputs, outputs, name=name)
