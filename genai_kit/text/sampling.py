"""Choosing the next token from a model's logits: greedy, temperature, top-k, top-p.

Each filter is one formula on a row of logits z (V,):

    temperature T:  p = softmax(z / T)            T < 1 sharpens, T > 1 flattens
    top-k:          keep the k largest z, renormalise
    top-p (nucleus, Holtzman et al. 2020): keep the smallest set of tokens, most likely
                    first, whose probability reaches p, renormalise
    greedy:         argmax z (what T -> 0 tends to)

They are ``keras.ops`` code, so they run inside the compiled generation loop, and each draw
takes a stateless seed (the caller's seed and the step), so a seed fixes the sample.
"""
import numpy as np
import tensorflow as tf
from keras import ops

from genai_kit import checks


def check_settings(temperature=1.0, top_k=None, top_p=None, vocabulary_size=None):
    """The sampling settings, checked; a ValueError says what is allowed.

    Args:
        temperature: float > 0 (use ``greedy=True`` for the argmax, not 0).
        top_k: None or an int in [1, V].
        top_p: None or a float in (0, 1].
        vocabulary_size: V, to check top_k against; None skips that check.
    Returns:
        (temperature, top_k, top_p).
    """
    temperature = checks.number("temperature", temperature, low=0.0, low_inclusive=False,
                                hint=": for the most likely token, pass greedy=True")
    if top_k is not None:
        top_k = checks.integer("top_k", top_k, minimum=1, maximum=vocabulary_size,
                               hint=": keep at least one token, at most the vocabulary")
    if top_p is not None:
        top_p = checks.number("top_p", top_p, low=0.0, high=1.0, low_inclusive=False,
                              hint=": top_p = 1 keeps every token")
    return temperature, top_k, top_p


def log_softmax(logits):
    """Natural-log probabilities of each row of ``logits`` (..., V), in float64 (numpy)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def filter_logits(logits, temperature=1.0, top_k=None, top_p=None):
    """Logits after temperature, top-k and top-p: filtered-out tokens get -inf.

    Runs in ``keras.ops``, inside a compiled generation loop or on numpy arrays. The
    settings may be tensors (so one compiled loop serves every value); top_k = V and
    top_p = 1 filter nothing.

    Args:
        logits: float (b, V).
        temperature: > 0; top_k: None or int in [1, V]; top_p: None or float in (0, 1].
    Returns:
        float32 tensor (b, V).
    """
    logits = ops.cast(logits, "float32") / ops.cast(temperature, "float32")
    vocabulary_size = ops.shape(logits)[-1]
    # descending, for both filters: row[0] is the most likely token
    descending = ops.flip(ops.sort(logits, axis=-1), axis=-1)
    if top_k is not None:
        # the k-th largest logit of each row; ties with it are kept
        kth = ops.take(descending, ops.cast(top_k, "int32") - 1, axis=-1)
        logits = ops.where(logits >= ops.expand_dims(kth, -1), logits, -np.inf)
        descending = ops.where(ops.arange(vocabulary_size) < ops.cast(top_k, "int32"),
                               descending, -np.inf)
    if top_p is not None:
        probabilities = ops.softmax(descending, axis=-1)
        # keep a token while the probability of those before it is still short of p
        before = ops.cumsum(probabilities, axis=-1) - probabilities
        kept = ops.where(before < ops.cast(top_p, "float32"), descending, np.inf)
        smallest_kept = ops.min(kept, axis=-1, keepdims=True)
        logits = ops.where(logits >= smallest_kept, logits, -np.inf)
    return logits


def filtered_probabilities(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution a sampler draws from, after temperature, top-k and top-p.

    Args:
        logits: array (b, V).
        temperature, top_k, top_p: as :func:`check_settings`.
    Returns:
        float64 numpy array (b, V), each row summing to 1, zero where filtered out.
    """
    logits = np.asarray(logits)
    temperature, top_k, top_p = check_settings(temperature, top_k, top_p, logits.shape[-1])
    filtered = ops.convert_to_numpy(filter_logits(logits, temperature, top_k, top_p))
    return np.exp(log_softmax(filtered))


def choose_next(logits, seed, greedy=False, temperature=1.0, top_k=None, top_p=None):
    """One token per row of ``logits``, in the compiled loop or eagerly.

    Args:
        logits: float (b, V).
        seed: int32 tensor (2,): a stateless seed, e.g. (the caller's seed, the step), so that
            the same seed gives the same tokens in any order of calls.
        greedy: take the argmax (the other settings are then ignored).
        temperature, top_k, top_p: as :func:`filter_logits`.
    Returns:
        int32 tensor (b,).
    """
    if greedy:
        return ops.cast(ops.argmax(logits, axis=-1), "int32")
    filtered = filter_logits(logits, temperature, top_k, top_p)
    # keras.random takes only int seeds and SeedGenerators; a stateless draw needs TF's op
    draws = tf.random.stateless_categorical(filtered, 1, seed=seed, dtype=tf.int32)
    return draws[:, 0]
