"""What every neural character model of the week shares: the masked loss, held-out
log-probabilities, and generation with or without a cache.

A subclass defines the network (``call``: ids (b, t) -> logits (b, t, V)) and, for fast
generation, two methods:

- ``initial_state(batch_size)``: what the model carries from one step to the next (an LSTM's
  (h, c) per layer; a Transformer's key/value cache and position);
- ``decode_step(ids, state)``: logits (b, t, V) of ``ids`` (b, t) given the state, and the
  new state.

Generating with the state ("with the cache") costs one step per new token; generating without
it runs the whole prefix through ``call`` again for every token.
"""
import numpy as np
import keras
import tensorflow as tf
from keras import ops

from genai_kit import checks
from genai_kit.text import sampling, vocabulary as vocabulary_module, windows

# the batch size of held-out scoring (windows per call)
EVALUATION_BATCH_SIZE = 64


def masked_cross_entropy(targets, logits):
    """Mean cross-entropy over the targets that are characters (not ``windows.PADDING``).

    Args:
        targets: int tensor (b, t), ids in [0, V) or ``windows.PADDING``.
        logits: float tensor (b, t, V).
    Returns:
        scalar float32 tensor, nats per character.
    """
    mask = ops.cast(ops.not_equal(targets, windows.PADDING), "float32")
    per_token = keras.losses.sparse_categorical_crossentropy(
        ops.maximum(targets, 0), ops.cast(logits, "float32"), from_logits=True)
    # the mean over real characters only: padding would pull the loss towards its own value
    return ops.sum(per_token * mask) / ops.maximum(ops.sum(mask), 1.0)


class CharLanguageModel(keras.Model):
    """A character model: ids (b, t) -> next-character logits (b, t, V).

    Args:
        vocabulary: a :class:`~genai_kit.text.vocabulary.Vocabulary` or its symbols (str).
        max_length: the longest sequence the model reads (prompt plus generated text).
    """

    def __init__(self, vocabulary, max_length, **kwargs):
        super().__init__(**kwargs)
        if isinstance(vocabulary, str):
            vocabulary = vocabulary_module.Vocabulary(vocabulary)
        if not isinstance(vocabulary, vocabulary_module.Vocabulary):
            raise ValueError("vocabulary must be a Vocabulary (data.load_text(...).vocabulary) "
                             f"or its characters as a str, got {type(vocabulary).__name__}")
        self.vocabulary = vocabulary
        self.max_length = checks.integer("max_length", max_length, minimum=2)
        self._compiled = {}

    def build(self, input_shape=None):
        # every layer's shape follows from the vocabulary and the widths: one short call
        # builds them all (the input shape does not matter)
        self.built = True
        self.call(ops.zeros((1, 2), dtype="int32"))

    @property
    def vocabulary_size(self):
        return self.vocabulary.size

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary.symbols,
                "max_length": self.max_length}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = masked_cross_entropy(y, y_pred)
        if self.losses:  # regularisers, if a subclass adds any
            loss = loss + ops.sum(self.losses)
        return loss

    # ------------------------------------------------------------------ scoring
    def log_probabilities(self, ids, sequence_length=None):
        """The natural-log probability of each character of a held-out text after the first.

        Args:
            ids: int array (n,) in [0, V), n >= 2 (``vocabulary.encode(text)``).
            sequence_length: the window length; None is ``max_length``. Each window starts
                with no context, as in training.
        Returns:
            float64 array (n - 1,).
        """
        self._check_ids(ids)
        sequence_length = self.max_length if sequence_length is None else sequence_length
        inputs, targets = windows.held_out_windows(ids, sequence_length)
        logits = self.predict(inputs, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
        log_probabilities = np.take_along_axis(
            sampling.log_softmax(logits), np.maximum(targets, 0)[..., None], axis=-1)[..., 0]
        return log_probabilities[targets != windows.PADDING]

    # ------------------------------------------------------------------ generation
    def initial_state(self, batch_size):
        raise NotImplementedError

    def decode_step(self, ids, state):
        raise NotImplementedError

    def generate(self, prompt_ids, num_tokens, greedy=False, temperature=1.0, top_k=None,
                 top_p=None, seed=0, use_cache=True):
        """New ids after each prompt.

        Args:
            prompt_ids: int array (b, p) or (p,) in [0, V), p >= 1, with p + num_tokens <=
                max_length.
            num_tokens: int >= 1, new ids per prompt.
            greedy: always take the most likely id (temperature, top_k, top_p ignored).
            temperature, top_k, top_p: see :mod:`~genai_kit.text.sampling`.
            seed: int; the same seed and settings give the same ids.
            use_cache: carry the model's state from step to step (one step per token); False
                runs the whole prefix through the network for every token. Both give the
                ids under greedy decoding; a sampled run is reproducible by its seed within
                one mode (the compiled cached loop draws its random numbers differently).
        Returns:
            int32 array (b, num_tokens), or (num_tokens,) for a 1-D prompt.
        """
        prompt_ids = np.asarray(prompt_ids)
        single = prompt_ids.ndim == 1
        prompt_ids = self._check_prompt(prompt_ids[None] if single else prompt_ids)
        num_tokens = checks.integer("num_tokens", num_tokens, minimum=1)
        if prompt_ids.shape[1] + num_tokens > self.max_length:
            raise ValueError(
                f"a prompt of {prompt_ids.shape[1]} plus {num_tokens} new characters is longer "
                f"than the {self.max_length} this model reads: shorten the prompt or ask for "
                f"at most {self.max_length - prompt_ids.shape[1]} characters")
        settings = dict(temperature=1.0, top_k=self.vocabulary_size, top_p=1.0)
        if not greedy:
            temperature, top_k, top_p = sampling.check_settings(
                temperature, top_k, top_p, self.vocabulary_size)
            settings = dict(temperature=temperature,
                            top_k=self.vocabulary_size if top_k is None else top_k,
                            top_p=1.0 if top_p is None else top_p)
        seed = checks.integer("seed", seed, minimum=0, maximum=2**31 - 1)
        loop = self._generation_loop(use_cache, greedy, num_tokens)
        new_ids = loop(tf.constant(prompt_ids), tf.constant(seed, tf.int32),
                       *(tf.constant(settings[key], dtype)
                         for key, dtype in (("temperature", tf.float32), ("top_k", tf.int32),
                                            ("top_p", tf.float32))))
        result = new_ids.numpy().astype(np.int32)
        return result[0] if single else result

    def _generation_loop(self, use_cache, greedy, num_tokens):
        """The compiled loop that generates num_tokens ids, one per call of the network.

        With the cache every step has the same shapes, so the whole loop compiles with XLA;
        without it the sequence grows by one each step and runs as a plain TensorFlow graph.
        """
        key = (use_cache, greedy, num_tokens)
        if key in self._compiled:
            return self._compiled[key]

        def choose(logits, seed, step, temperature, top_k, top_p):
            return sampling.choose_next(logits, ops.stack([seed, step]), greedy, temperature,
                                        top_k, top_p)

        def cached(prompt_ids, seed, temperature, top_k, top_p):
            # 1. read the prompt once, filling the cache
            logits, state = self.decode_step(prompt_ids, self.initial_state(
                prompt_ids.shape[0]))
            first = choose(logits[:, -1], seed, 0, temperature, top_k, top_p)
            chosen = tf.TensorArray(tf.int32, size=num_tokens).write(0, first)

            # 2. then one token per step: only its own query, key and value are computed
            def step(index, token, state, chosen):
                logits, state = self.decode_step(token[:, None], state)
                token = choose(logits[:, -1], seed, index, temperature, top_k, top_p)
                return index + 1, token, state, chosen.write(index, token)

            _, _, _, chosen = tf.while_loop(lambda index, *_: index < num_tokens, step,
                                            (1, first, state, chosen))
            return tf.transpose(chosen.stack())

        def uncached(prompt_ids, seed, temperature, top_k, top_p):
            # every step runs the whole sequence so far through the network
            def step(index, sequence):
                logits = self(sequence, training=False)[:, -1]
                token = choose(logits, seed, index, temperature, top_k, top_p)
                return index + 1, tf.concat([sequence, token[:, None]], axis=1)

            _, sequence = tf.while_loop(
                lambda index, _: index < num_tokens, step, (0, prompt_ids),
                shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, None])))
            return sequence[:, -num_tokens:]

        self._compiled[key] = tf.function(cached if use_cache else uncached,
                                          jit_compile=use_cache, reduce_retracing=True)
        return self._compiled[key]

    def generate_text(self, prompt, num_tokens, **settings):
        """:meth:`generate` on text: the prompt's characters must be in the vocabulary.

        Args:
            prompt: a non-empty str, or a list of them (all the same length).
            num_tokens, settings: as :meth:`generate`.
        Returns:
            the new text (str), or a list of str for a list of prompts.
        """
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        for text in prompts:
            vocabulary_module.check_text("prompt", text)
        encoded = [self.vocabulary.encode(text) for text in prompts]
        if len({len(ids) for ids in encoded}) != 1:
            raise ValueError("prompts generated together must have the same length: pad them "
                             "or generate one at a time")
        new_ids = self.generate(np.stack(encoded), num_tokens, **settings)
        texts = [self.vocabulary.decode(row) for row in new_ids]
        return texts[0] if isinstance(prompt, str) else texts

    def _check_ids(self, ids):
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"ids must be a 1-D array of ints (model.vocabulary.encode(text)), "
                             f"got shape {ids.shape} and dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size):
            raise ValueError(f"ids must be in [0, {self.vocabulary_size}), got values in "
                             f"[{ids.min()}, {ids.max()}]")
        return ids

    def _check_prompt(self, prompt_ids):
        if prompt_ids.ndim != 2 or prompt_ids.shape[1] < 1 or prompt_ids.dtype.kind not in "iu":
            raise ValueError("prompt_ids must be ints of shape (batch, length >= 1) or "
                             f"(length,), got shape {prompt_ids.shape} and dtype "
                             f"{prompt_ids.dtype}: encode a prompt with "
                             "model.vocabulary.encode(text)")
        if prompt_ids.min() < 0 or prompt_ids.max() >= self.vocabulary_size:
            raise ValueError(f"prompt ids must be in [0, {self.vocabulary_size}), got values "
                             f"in [{prompt_ids.min()}, {prompt_ids.max()}]")
        return prompt_ids.astype(np.int32)
