"""Text as windows of ids: shuffled training windows, and held-out windows that score each
character exactly once.

A window of length L holds inputs ids[s : s + L] and targets ids[s + 1 : s + L + 1]: the
model predicts each next character from the ones before it in the window. Held-out windows
start every L characters, so each character after the first is a target once; the last
window is padded, and its padding targets are ``PADDING`` (-1), which the loss and the
perplexity leave out.
"""
import numpy as np
import tensorflow as tf

from genai_kit import checks

# the target id of padding: no character, masked out of the loss and the perplexity
PADDING = -1


def check_sequence_length(sequence_length):
    return checks.integer("sequence_length", sequence_length, minimum=1,
                          hint=": a window needs at least one character to predict")


def _check_ids(ids, minimum_length):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D array of ints (vocabulary.encode(text)), got "
                         f"shape {ids.shape} and dtype {ids.dtype}")
    if len(ids) < minimum_length:
        raise ValueError(f"the text has {len(ids)} characters; this needs at least "
                         f"{minimum_length}: use a longer text or a shorter sequence_length")
    return ids.astype(np.int32)


def training_windows(ids, sequence_length, batch_size, seed=0):
    """Shuffled, repeated batches of training windows.

    Each pass goes through every non-overlapping window of the text once, in an order that
    the seed fixes and that changes from pass to pass.

    Args:
        ids: int array (n,), n >= sequence_length + 1.
        sequence_length: L, an int >= 1.
        batch_size: an int >= 1.
        seed: the shuffle's seed.
    Returns:
        an endless ``tf.data.Dataset`` of (inputs, targets), each int32 (batch_size, L).
    """
    sequence_length = check_sequence_length(sequence_length)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    ids = _check_ids(ids, sequence_length + 1)
    num_windows = (len(ids) - 1) // sequence_length
    text = tf.constant(ids)

    def window(index):
        start = index * sequence_length
        chunk = text[start:start + sequence_length + 1]
        return chunk[:-1], chunk[1:]

    return (tf.data.Dataset.range(num_windows)
            .shuffle(num_windows, seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .map(window, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def held_out_windows(ids, sequence_length):
    """Every character of a held-out text after the first, as the target of one window.

    Args:
        ids: int array (n,), n >= 2.
        sequence_length: L, an int >= 1.
    Returns:
        (inputs, targets): int32 arrays (w, L) with w = ceil((n - 1) / L); the inputs' padding
        is 0 and the targets' is ``PADDING``.
    """
    sequence_length = check_sequence_length(sequence_length)
    ids = _check_ids(ids, 2)
    num_targets = len(ids) - 1
    num_windows = -(-num_targets // sequence_length)
    inputs = np.zeros((num_windows, sequence_length), dtype=np.int32)
    targets = np.full((num_windows, sequence_length), PADDING, dtype=np.int32)
    inputs.reshape(-1)[:num_targets] = ids[:-1]
    targets.reshape(-1)[:num_targets] = ids[1:]
    return inputs, targets
