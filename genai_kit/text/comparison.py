"""The week's measurements, shared by notebook 11 and ``benchmarks/text_models.py``:
every model on the same held-out split, samples against their settings, generation timed
with and without the cache.
"""
import time
from typing import NamedTuple

import numpy as np

from genai_kit import checks
from genai_kit.text import metrics, ngram, training

# what a quick run (CI, a first look) and a full run (the students') train on
SETTINGS = {
    "quick": dict(
        max_characters=300_000,
        models={"lstm": dict(embedding_dim=32, units=128),
                "transformer": dict(max_length=128, embedding_dim=64, num_layers=2,
                                    num_heads=4)},
        steps=200, sequence_length=64, batch_size=32, learning_rate=3e-3),
    "full": dict(
        max_characters=None,
        models={"lstm": dict(),
                "transformer": dict(max_length=512)},
        steps=2000, sequence_length=256, batch_size=16, learning_rate=2e-3),
}
NGRAM_ORDERS = (1, 2, 3)
# add-k: 1 for the sparse-free unigram and bigram counts, a small k for the trigram, whose
# many unseen continuations an add-one prior would over-weight
NGRAM_K = {1: 1.0, 2: 1.0, 3: 0.1, 4: 0.02}
NGRAM_NAMES = {1: "unigram", 2: "bigram", 3: "trigram", 4: "4-gram"}


class Row(NamedTuple):
    """One model on the validation text."""

    name: str
    parameters: int
    validation_perplexity: float
    bits_per_character: float
    characters_per_second: float
    training_seconds: float


def ngram_rows(splits, orders=NGRAM_ORDERS):
    """The count-based baselines: (rows, {order: fitted model}) on ``splits``."""
    vocabulary = splits.vocabulary
    train_ids, validation_ids = vocabulary.encode(splits.train), vocabulary.encode(
        splits.validation)
    rows, models = [], {}
    for order in orders:
        started = time.perf_counter()
        model = ngram.NGramModel(order, NGRAM_K[order]).fit(train_ids, vocabulary.size)
        seconds = time.perf_counter() - started
        log_probabilities = model.log_probabilities(validation_ids)
        models[order] = model
        rows.append(Row(f"{NGRAM_NAMES[order]} (add-{NGRAM_K[order]:g})",
                        vocabulary.size ** order, metrics.perplexity(log_probabilities),
                        metrics.bits_per_character(log_probabilities),
                        len(train_ids) / seconds, seconds))
    return rows, models


def neural_row(name, splits, mode="quick", seed=0, out=None):
    """Trains one neural model with ``SETTINGS[mode]``: (row, trained model)."""
    settings = SETTINGS[checks.choice("mode", mode, tuple(SETTINGS))]
    vocabulary = splits.vocabulary
    model = training.new_model(name, vocabulary, seed=seed, **settings["models"][name])
    started = time.perf_counter()
    result = training.fit(model, vocabulary.encode(splits.train), settings["steps"],
                          settings["sequence_length"], settings["batch_size"],
                          settings["learning_rate"], seed=seed, out=out)
    seconds = time.perf_counter() - started
    log_probabilities = model.log_probabilities(vocabulary.encode(splits.validation),
                                                settings["sequence_length"])
    return Row(name, int(model.count_params()), metrics.perplexity(log_probabilities),
               metrics.bits_per_character(log_probabilities), result.characters_per_second,
               seconds), model


def markdown_table(rows):
    """The rows as a markdown table (str)."""
    lines = ["| model | parameters | validation perplexity | bits per character | "
             "training characters / s |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row.name} | {row.parameters:,} | {row.validation_perplexity:.2f} | "
                     f"{row.bits_per_character:.3f} | {row.characters_per_second:,.0f} |")
    return "\n".join(lines)


class SampleRow(NamedTuple):
    """Samples at one setting: their diversity and their quality."""

    setting: str
    distinct_2: float
    perplexity_under_model: float
    first_sample: str


def sample_sweep(model, prompt, settings, num_samples=8, num_tokens=120, seed=0):
    """Samples at each setting, with distinct-2 (diversity) and the model's own perplexity
    of them (how typical they are: low is safe and repetitive, high is varied and odd).

    Args:
        model: a trained CharLanguageModel.
        prompt: a str in the model's vocabulary.
        settings: list of dicts of ``generate`` keywords, e.g. [{"greedy": True},
            {"temperature": 0.5}, {"top_p": 0.9}].
        num_samples, num_tokens: samples per setting and their length.
        seed: the samples' seed.
    Returns:
        list of :class:`SampleRow`.
    """
    prompt_ids = np.tile(model.vocabulary.encode(prompt), (num_samples, 1))
    rows = []
    for setting in settings:
        new_ids = model.generate(prompt_ids, num_tokens, seed=seed, **setting)
        texts = [model.vocabulary.decode(row) for row in new_ids]
        scored = np.concatenate([prompt_ids, new_ids], axis=1)
        log_probabilities = np.concatenate(
            [model.log_probabilities(row)[prompt_ids.shape[1] - 1:] for row in scored])
        label = ", ".join(f"{key}={value}" for key, value in setting.items()) or "temperature=1"
        rows.append(SampleRow(label, metrics.distinct_n(texts, 2),
                              metrics.perplexity(log_probabilities), texts[0]))
    return rows


class GenerationTiming(NamedTuple):
    """Milliseconds per new token, the fastest of the repeats, compilation excluded."""

    cached_ms_per_token: float
    uncached_ms_per_token: float
    num_tokens: int
    batch_size: int

    @property
    def speedup(self):
        return self.uncached_ms_per_token / self.cached_ms_per_token


def generation_timing(model, num_tokens=256, prompt_length=16, batch_size=1, repeats=3,
                      seed=0):
    """Greedy generation of ``num_tokens`` after a random prompt, with and without the cache.

    Each mode runs once first (it compiles), then ``repeats`` times; the fastest counts.
    Returns:
        :class:`GenerationTiming`.
    """
    random = np.random.default_rng(seed)
    prompt_ids = random.integers(0, model.vocabulary_size, (batch_size, prompt_length))
    per_token = {}
    for use_cache in (True, False):
        model.generate(prompt_ids, num_tokens, greedy=True, use_cache=use_cache)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            model.generate(prompt_ids, num_tokens, greedy=True, use_cache=use_cache)
            times.append(time.perf_counter() - started)
        per_token[use_cache] = 1000 * min(times) / num_tokens
    return GenerationTiming(per_token[True], per_token[False], num_tokens, batch_size)
