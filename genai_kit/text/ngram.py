"""Count-based n-gram models with add-k smoothing: the baseline every neural model must beat.

An order-n model predicts a character from the n - 1 before it, in closed form:

    p(w | context) = (count(context, w) + k) / (count(context) + k * V)

where the counts come from the training text and V is the vocabulary size. k > 0 keeps an
unseen continuation possible (a held-out perplexity would otherwise be infinite); a smaller
k trusts the counts more. The first characters of a text, which have fewer than n - 1
characters before them, are predicted by the lower orders (the bigram for the second
character, and so on), so every model scores the same tokens.

    model = ngram.NGramModel(order=3, k=0.1).fit(train_ids, vocabulary.size)
    metrics.perplexity(model.log_probabilities(validation_ids))
"""
import numpy as np

from genai_kit import checks

# the highest order whose codes fit int64 with a vocabulary of this size
INT64_BITS = 62


class NGramModel:
    """An order-``order`` character model with add-k smoothing.

    Args:
        order: 1 (unigram), 2 (bigram), 3 (trigram) or more.
        k: the add-k pseudo-count, > 0.
    """

    def __init__(self, order, k=1.0):
        self.order = checks.integer("order", order, minimum=1)
        self.k = checks.number("k", k, low=0.0, low_inclusive=False,
                               hint=": k = 0 gives unseen characters probability 0")
        self.vocabulary_size = None
        self._tables = None

    def fit(self, ids, vocabulary_size):
        """Counts every m-gram, m = 1..order, of the training ids.

        Args:
            ids: int array (n,) in [0, vocabulary_size), n >= order.
            vocabulary_size: V, an int >= 1.
        Returns:
            self.
        """
        self.vocabulary_size = checks.integer("vocabulary_size", vocabulary_size, minimum=1)
        if self.order * np.log2(max(self.vocabulary_size, 2)) > INT64_BITS:
            raise ValueError(f"order {self.order} over {self.vocabulary_size} symbols is too "
                             "high to count exactly: use a lower order")
        ids = self._check_ids(ids, minimum_length=self.order)
        self._tables = [_count_table(ids, m, self.vocabulary_size)
                        for m in range(1, self.order + 1)]
        return self

    def log_probabilities(self, ids):
        """The natural-log probability of each character of ``ids`` after the first.

        Args:
            ids: int array (n,) in [0, V), n >= 2.
        Returns:
            float64 array (n - 1,): entry t - 1 is log p(ids[t] | ids[t - order + 1 : t]).
        """
        self._check_fitted()
        ids = self._check_ids(ids, minimum_length=2)
        result = np.empty(len(ids) - 1)
        # the first characters have fewer than order - 1 before them: the lower orders
        for t in range(1, min(self.order - 1, len(ids))):
            result[t - 1] = self._log_probability_of_grams(ids[None, :t + 1])[0]
        if len(ids) >= self.order:
            # window j holds ids[j : j + order] and predicts ids[j + order - 1]; a unigram's
            # first window is the first character, which nothing predicts
            windows = np.lib.stride_tricks.sliding_window_view(ids, self.order)
            skipped = 1 if self.order == 1 else 0
            result[max(self.order - 2, 0):] = self._log_probability_of_grams(windows[skipped:])
        return result

    def next_log_probabilities(self, context):
        """The distribution of the next character after ``context``.

        Args:
            context: int array (c,) in [0, V); only its last order - 1 entries count.
        Returns:
            float64 array (V,) of natural-log probabilities (logsumexp 0).
        """
        self._check_fitted()
        context = self._check_ids(context, minimum_length=0)
        # only the last order - 1 characters count, fewer at the start of a text
        context = context[max(len(context) - self.order + 1, 0):]
        candidates = np.arange(self.vocabulary_size)
        grams = np.concatenate(
            [np.broadcast_to(context, (self.vocabulary_size, len(context))),
             candidates[:, None]], axis=1)
        return self._log_probability_of_grams(grams)

    def generate(self, context, num_tokens, seed=0):
        """Samples ``num_tokens`` characters after ``context`` (temperature 1).

        Args:
            context: int array (c,) in [0, V).
            num_tokens: int >= 1.
            seed: int, the sampler's seed.
        Returns:
            int array (num_tokens,) of the new ids.
        """
        num_tokens = checks.integer("num_tokens", num_tokens, minimum=1)
        random = np.random.default_rng(seed)
        ids = list(self._check_ids(context, minimum_length=0))
        for _ in range(num_tokens):
            probabilities = np.exp(self.next_log_probabilities(np.array(ids, dtype=np.int64)))
            ids.append(int(random.choice(self.vocabulary_size, p=probabilities / probabilities.sum())))
        return np.array(ids[len(ids) - num_tokens:], dtype=np.int64)

    # ------------------------------------------------------------------ the closed form
    def _log_probability_of_grams(self, grams):
        """log p(last | the others) for each row of ``grams`` (rows of equal length m)."""
        m = grams.shape[1]
        codes, counts, context_codes, context_counts, total = self._tables[m - 1]
        gram_codes = _codes(grams, self.vocabulary_size)
        numerator = _lookup(codes, counts, gram_codes) + self.k
        if m == 1:
            denominator = total
        else:
            denominator = _lookup(context_codes, context_counts,
                                  gram_codes // self.vocabulary_size)
        return np.log(numerator) - np.log(denominator + self.k * self.vocabulary_size)

    def _check_fitted(self):
        if self._tables is None:
            raise ValueError("this n-gram model has no counts yet: call "
                             ".fit(train_ids, vocabulary_size) first")

    def _check_ids(self, ids, minimum_length):
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"ids must be one sequence, shape (n,), got shape {ids.shape}")
        if len(ids) < minimum_length:
            raise ValueError(f"need at least {minimum_length} ids, got {len(ids)}")
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0
                         or (self.vocabulary_size and ids.max() >= self.vocabulary_size)):
            raise ValueError(f"ids must be whole numbers in [0, {self.vocabulary_size}), "
                             f"got dtype {ids.dtype} with values in [{ids.min()}, {ids.max()}]")
        return ids.astype(np.int64)


def _codes(grams, vocabulary_size):
    """Each row of ``grams`` (n, m) as one int64, base V."""
    powers = vocabulary_size ** np.arange(grams.shape[1] - 1, -1, -1, dtype=np.int64)
    return grams.astype(np.int64) @ powers


def _count_table(ids, m, vocabulary_size):
    grams = np.lib.stride_tricks.sliding_window_view(ids, m)
    codes, counts = np.unique(_codes(grams, vocabulary_size), return_counts=True)
    # a context's count is the number of m-grams that start with it
    context_codes, inverse = np.unique(codes // vocabulary_size, return_inverse=True)
    context_counts = np.bincount(inverse, weights=counts)
    return codes, counts, context_codes, context_counts, float(len(grams))


def _lookup(sorted_codes, counts, queries):
    """The count of each query code, 0 where it was never seen."""
    positions = np.clip(np.searchsorted(sorted_codes, queries), 0, len(sorted_codes) - 1)
    return np.where(sorted_codes[positions] == queries, counts[positions], 0).astype(np.float64)
