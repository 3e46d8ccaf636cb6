"""How well a language model predicts held-out text, and how varied its samples are.

For N predicted tokens with natural-log probabilities log p_1, ..., log p_N of the tokens
that actually came next:

    cross-entropy  H   = -(1/N) * sum_i log p_i              (nats per token)
    perplexity     PPL = exp(H)                              (an "effective branching factor")
    bits per token bpc = H / ln 2 = log2(PPL)

A model that spreads its probability evenly over V symbols has H = ln V and PPL = V, so a
perplexity only means something next to its vocabulary and its unit: 20 per character over
75 characters is a weak model; 20 per word over 50,000 words is a strong one.
"""
import math

import numpy as np

from genai_kit import checks


def _masked_log_probabilities(log_probabilities, mask):
    values = checks.float_array("log_probabilities", log_probabilities, dtype=np.float64)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != values.shape:
            raise ValueError(f"mask must have the shape of log_probabilities {values.shape}, "
                             f"got {mask.shape}")
        values = values[mask.astype(bool)]
    values = values.reshape(-1)
    if values.size == 0:
        raise ValueError("no tokens to score: pass the log-probabilities of at least one "
                         "held-out token (is the mask all zero?)")
    if np.any(values > 1e-6) or np.isnan(values).any():
        raise ValueError("log_probabilities must be natural-log probabilities, <= 0 and not "
                         f"NaN; got a maximum of {np.nanmax(values):g}: pass "
                         "log_softmax(logits), not the logits")
    return values


def cross_entropy(log_probabilities, mask=None):
    """Mean negative log-likelihood in nats per token.

    Args:
        log_probabilities: array of any shape, natural-log probabilities (<= 0) of each
            actual next token; -inf for a token the model called impossible.
        mask: None, or an array of the same shape, nonzero where a token counts (0 on
            padding).
    Returns:
        float >= 0 (inf when a counted token had probability 0).
    """
    return float(-np.mean(_masked_log_probabilities(log_probabilities, mask)))


def perplexity(log_probabilities, mask=None):
    """exp(cross-entropy): a uniform model over V symbols scores V.

    Args and mask: as :func:`cross_entropy`.
    Returns:
        float >= 1.
    """
    return float(math.exp(min(cross_entropy(log_probabilities, mask), 700.0)))


def bits_per_character(log_probabilities, mask=None):
    """Cross-entropy in bits, log2(perplexity); for character models, bits per character.

    Args and mask: as :func:`cross_entropy`.
    Returns:
        float >= 0.
    """
    return cross_entropy(log_probabilities, mask) / math.log(2.0)


def distinct_n(texts, n=2):
    """The share of distinct n-grams among all n-grams of a set of samples (Li et al. 2016).

    Args:
        texts: a list of str (or of id sequences), each at least n long to count.
        n: int >= 1; 2 is distinct-2.
    Returns:
        float in [0, 1]: 1 when no n-gram repeats; 0 when there are no n-grams.
    """
    n = checks.integer("n", n, minimum=1)
    if isinstance(texts, str):
        raise ValueError("texts must be a list of samples, got one str: wrap it as [text]")
    grams = [tuple(text[i:i + n]) for text in texts for i in range(len(text) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0
