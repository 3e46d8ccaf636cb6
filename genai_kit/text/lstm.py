"""A character LSTM: the recurrent baseline between the n-grams and the Transformer.

    ids (b, t) -> Embedding (b, t, e) -> num_layers x LSTM(units) -> Dense(V) logits (b, t, V)

An LSTM carries its whole past in a fixed-size state (h, c) per layer, so generation is one
step per token by nature: its "cache" is that state.
"""
import keras
import numpy as np
from keras import ops

from genai_kit import checks
from genai_kit.text import language_model

# architecture
EMBEDDING_DIM = 64
UNITS = 384
NUM_LAYERS = 1
MAX_LENGTH = 512


@keras.saving.register_keras_serializable(package="genai_kit")
class CharLSTM(language_model.CharLanguageModel):
    """A stacked LSTM over characters.

    Args:
        vocabulary: a Vocabulary or its characters (str).
        max_length: the longest sequence generate() allows (an LSTM itself has no limit).
        embedding_dim, units, num_layers: the network's shape.
    Call:
        ids int (b, t) -> logits float32 (b, t, V).
    """

    def __init__(self, vocabulary, max_length=MAX_LENGTH, embedding_dim=EMBEDDING_DIM,
                 units=UNITS, num_layers=NUM_LAYERS, **kwargs):
        super().__init__(vocabulary, max_length, **kwargs)
        self.embedding_dim = checks.integer("embedding_dim", embedding_dim, minimum=1)
        self.units = checks.integer("units", units, minimum=1)
        self.num_layers = checks.integer("num_layers", num_layers, minimum=1)
        self.embedding = keras.layers.Embedding(self.vocabulary_size, embedding_dim,
                                                name="embedding")
        self.recurrent_layers = [
            keras.layers.LSTM(units, return_sequences=True, return_state=True,
                              name=f"lstm_{index}") for index in range(num_layers)]
        self.head = keras.layers.Dense(self.vocabulary_size, name="head")

    def call(self, ids, training=False):
        logits, _ = self.decode_step(ids, None, training=training)
        return logits

    def initial_state(self, batch_size):
        """Zero (h, c) per layer, each (b, units)."""
        zeros = np.zeros((batch_size, self.units), dtype=self.compute_dtype)
        return [(zeros, zeros) for _ in self.recurrent_layers]

    def decode_step(self, ids, state, training=False):
        """Logits (b, t, V) of ids (b, t) after the state, and the state after them."""
        x = self.embedding(ids)
        new_state = []
        for index, layer in enumerate(self.recurrent_layers):
            initial = None if state is None else list(state[index])
            x, h, c = layer(x, initial_state=initial, training=training)
            new_state.append((h, c))
        return ops.cast(self.head(x), "float32"), new_state

    def get_config(self):
        return {**super().get_config(), "embedding_dim": self.embedding_dim,
                "units": self.units, "num_layers": self.num_layers}
