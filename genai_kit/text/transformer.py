"""A small decoder-only Transformer on characters, with a key/value cache for generation.

    ids (b, t) -> token embedding + position embedding        (b, t, d)
               -> num_layers x pre-norm block:
                      x = x + attention(layer_norm(x))        causal: position i sees <= i
                      x = x + mlp(layer_norm(x))              d -> 4d (gelu) -> d
               -> layer_norm -> Dense(V)                      next-character logits (b, t, V)

Pre-norm blocks (the residual stream is never normalised, only each branch's input) train
stably without a learning-rate warm-up. Attention's projections are ``EinsumDense`` layers,
so Keras' ``enable_lora`` can adapt them.

The cache: when generating, the keys and values of the tokens already read do not change, so
each layer keeps them in a (b, max_length, heads, head_dim) buffer and each new token computes
only its own query, key and value. Cached and uncached generation compute the same logits.
"""
import keras
import numpy as np
from keras import ops

from genai_kit import checks
from genai_kit.text import language_model

# architecture
EMBEDDING_DIM = 128
NUM_LAYERS = 4
NUM_HEADS = 4
MLP_RATIO = 4
MAX_LENGTH = 512
DROPOUT = 0.0
# a score no key can win with: masked positions get exp(-1e9) = 0
MASKED_SCORE = -1e9


@keras.saving.register_keras_serializable(package="genai_kit")
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head self-attention where each position sees itself and the ones before.

    Args:
        num_heads: heads n; embedding_dim must be a multiple.
        embedding_dim: d.
    """

    def __init__(self, num_heads, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.embedding_dim = num_heads, embedding_dim
        self.head_dim = embedding_dim // num_heads
        projection = dict(output_shape=(None, num_heads, self.head_dim), bias_axes="nh")
        self.query = keras.layers.EinsumDense("btd,dnh->btnh", name="query", **projection)
        self.key = keras.layers.EinsumDense("btd,dnh->btnh", name="key", **projection)
        self.value = keras.layers.EinsumDense("btd,dnh->btnh", name="value", **projection)
        self.output_projection = keras.layers.EinsumDense(
            "btnh,nhd->btd", output_shape=(None, embedding_dim), bias_axes="d", name="output")

    def build(self, input_shape):
        for projection in (self.query, self.key, self.value):
            projection.build(input_shape)
        self.output_projection.build((*input_shape[:2], self.num_heads, self.head_dim))

    def call(self, x, cache=None, start=0):
        """Attention of x (b, t, d); with ``cache`` = (keys, values), each
        (b, max_length, n, h), x holds positions start .. start + t - 1 and the cache the
        earlier ones. Returns (b, t, d), and with a cache the updated (keys, values)."""
        queries, keys, values = self.query(x), self.key(x), self.value(x)
        query_positions = ops.arange(ops.shape(x)[1]) + start
        if cache is not None:
            zero = ops.zeros((), dtype="int32")
            corner = ops.stack([zero, ops.cast(start, "int32"), zero, zero])
            keys = ops.slice_update(cache[0], corner, keys)
            values = ops.slice_update(cache[1], corner, values)
        key_positions = ops.arange(ops.shape(keys)[1])
        # (t, s): query i may read key j when j <= i (the cache's empty slots come later)
        allowed = ops.expand_dims(key_positions, 0) <= ops.expand_dims(query_positions, 1)
        scores = ops.einsum("btnh,bsnh->bnts", queries, keys) / np.sqrt(self.head_dim)
        scores = ops.where(allowed, scores, ops.cast(MASKED_SCORE, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        attended = ops.einsum("bnts,bsnh->btnh", weights, values)
        output = self.output_projection(attended)
        return output if cache is None else (output, (keys, values))

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "embedding_dim": self.embedding_dim}


@keras.saving.register_keras_serializable(package="genai_kit")
class DecoderBlock(keras.layers.Layer):
    """x + attention(norm(x)), then x + mlp(norm(x)).

    Args:
        num_heads, embedding_dim: as :class:`CausalSelfAttention`.
        mlp_ratio: the hidden layer of the MLP is mlp_ratio * embedding_dim wide.
        dropout: the dropout rate on each branch's output, in [0, 1).
    """

    def __init__(self, num_heads, embedding_dim, mlp_ratio=MLP_RATIO, dropout=DROPOUT,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.embedding_dim = num_heads, embedding_dim
        self.mlp_ratio, self.dropout = mlp_ratio, dropout
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="attention_norm")
        self.attention = CausalSelfAttention(num_heads, embedding_dim, name="attention")
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="mlp_norm")
        self.mlp_hidden = keras.layers.Dense(mlp_ratio * embedding_dim, activation="gelu",
                                             name="mlp_hidden")
        self.mlp_output = keras.layers.Dense(embedding_dim, name="mlp_output")
        self.attention_dropout = keras.layers.Dropout(dropout)
        self.mlp_dropout = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        self.attention_norm.build(input_shape)
        self.attention.build(input_shape)
        self.mlp_norm.build(input_shape)
        self.mlp_hidden.build(input_shape)
        self.mlp_output.build((*input_shape[:-1], self.mlp_ratio * self.embedding_dim))

    def call(self, x, cache=None, start=0, training=False):
        attended = self.attention(self.attention_norm(x), cache=cache, start=start)
        if cache is not None:
            attended, cache = attended
        x = x + self.attention_dropout(attended, training=training)
        hidden = self.mlp_hidden(self.mlp_norm(x))
        x = x + self.mlp_dropout(self.mlp_output(hidden), training=training)
        return x if cache is None else (x, cache)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "embedding_dim": self.embedding_dim, "mlp_ratio": self.mlp_ratio,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="genai_kit")
class CharTransformer(language_model.CharLanguageModel):
    """A decoder-only Transformer over characters.

    Args:
        vocabulary: a Vocabulary or its characters (str).
        max_length: the longest sequence, prompt plus generated text (learned positions).
        embedding_dim: d, a multiple of num_heads.
        num_layers, num_heads, mlp_ratio, dropout: the blocks' shape.
    Call:
        ids int (b, t), t <= max_length -> logits float32 (b, t, V).
    """

    def __init__(self, vocabulary, max_length=MAX_LENGTH, embedding_dim=EMBEDDING_DIM,
                 num_layers=NUM_LAYERS, num_heads=NUM_HEADS, mlp_ratio=MLP_RATIO,
                 dropout=DROPOUT, **kwargs):
        super().__init__(vocabulary, max_length, **kwargs)
        self.embedding_dim = checks.integer("embedding_dim", embedding_dim, minimum=1)
        self.num_layers = checks.integer("num_layers", num_layers, minimum=1)
        self.num_heads = checks.integer("num_heads", num_heads, minimum=1)
        if self.embedding_dim % self.num_heads:
            raise ValueError(f"embedding_dim {embedding_dim} must be a multiple of num_heads "
                             f"{num_heads}: e.g. embedding_dim={num_heads * 32}")
        self.mlp_ratio = checks.integer("mlp_ratio", mlp_ratio, minimum=1)
        self.dropout = checks.number("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.token_embedding = keras.layers.Embedding(self.vocabulary_size, embedding_dim,
                                                      name="token_embedding")
        self.position_embedding = keras.layers.Embedding(max_length, embedding_dim,
                                                         name="position_embedding")
        self.blocks = [DecoderBlock(num_heads, embedding_dim, mlp_ratio, dropout,
                                    name=f"block_{index}") for index in range(num_layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        self.head = keras.layers.Dense(self.vocabulary_size, name="head")

    def _embed(self, ids, start):
        positions = ops.arange(ops.shape(ids)[1]) + start
        return self.token_embedding(ids) + self.position_embedding(positions)[None]

    def _logits(self, x):
        return ops.cast(self.head(self.final_norm(x)), "float32")

    def call(self, ids, training=False):
        x = self._embed(ids, 0)
        for block in self.blocks:
            x = block(x, training=training)
        return self._logits(x)

    def initial_state(self, batch_size):
        """An empty cache: (start, [(keys, values) per layer]), each (b, max_length, n, h)."""
        head_dim = self.embedding_dim // self.num_heads
        empty = np.zeros((batch_size, self.max_length, self.num_heads, head_dim),
                         dtype=self.compute_dtype)
        return (np.int32(0), [(empty, empty) for _ in self.blocks])

    def decode_step(self, ids, state):
        """Logits (b, t, V) of ids (b, t) at the cache's next t positions, and the new state."""
        start, caches = state
        x = self._embed(ids, start)
        new_caches = []
        for block, cache in zip(self.blocks, caches):
            x, cache = block(x, cache=cache, start=start)
            new_caches.append(cache)
        return self._logits(x), (start + ops.shape(ids)[1], new_caches)

    def get_config(self):
        return {**super().get_config(), "embedding_dim": self.embedding_dim,
                "num_layers": self.num_layers, "num_heads": self.num_heads,
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout}
