"""Week 11's text pieces that need no training: the corpus, the vocabulary, the metrics, the
n-gram baselines, sampling and windows."""
import math

import numpy as np
import pytest
from keras import ops

from genai_kit import data
from genai_kit.text import language_model, metrics, ngram, sampling, vocabulary, windows


@pytest.fixture(scope="module")
def corpus():
    return data.load_text("web")


# ---------------------------------------------------------------------- the corpus
def test_the_offline_corpus_is_the_world_english_bible_cut_contiguously(corpus):
    whole = corpus.train + corpus.validation + corpus.test
    assert 4_000_000 < len(whole) < 4_100_000
    assert corpus.train.startswith("In the beginning God created the heavens and the earth.")
    assert corpus.vocabulary.size == 75
    assert "`" not in whole and "God's" in whole
    # 90 / 5 / 5, in the text's own order: the parts are consecutive stretches
    assert len(corpus.train) == int(len(whole) * 0.9)
    assert abs(len(corpus.validation) - len(whole) * 0.05) <= 1
    assert corpus.test.endswith("Amen.")
    assert corpus.source == "web"


def test_no_verse_numbers_are_left_in_the_text(corpus):
    assert "1. In the beginning" not in corpus.train
    assert " 2. " not in corpus.train[:2_000]


def test_max_characters_cuts_the_start_of_the_corpus_the_same_way():
    splits = data.load_text("web", max_characters=1_000)
    assert len(splits.train + splits.validation + splits.test) == 1_000
    assert len(splits.train) == 900


def test_a_text_file_is_a_corpus(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("abcabcabcabcabcabcabcabcabcabc" * 10, encoding="utf-8")
    splits = data.load_text(str(path), fractions=(0.8, 0.1, 0.1))
    assert splits.vocabulary.symbols == "abc"
    assert len(splits.train) == 240


@pytest.mark.parametrize("source, fractions, message", [
    ("shakespeare", (0.9, 0.05, 0.05), "unknown text source 'shakespeare'"),
    ("web", (0.9, 0.1), "three positive shares summing to 1"),
    ("web", (0.9, 0.2, 0.1), "three positive shares summing to 1"),
    ("web", (1.0, 0.0, 0.0), "three positive shares summing to 1"),
])
def test_bad_corpus_arguments_say_what_is_allowed(source, fractions, message):
    with pytest.raises(ValueError, match=message):
        data.load_text(source, fractions=fractions)


def test_an_empty_text_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="too short|empty"):
        data.load_text(str(path))


# ---------------------------------------------------------------------- the vocabulary
def test_encode_then_decode_gives_the_text_back(corpus):
    text = corpus.validation[:5_000]
    ids = corpus.vocabulary.encode(text)
    assert ids.dtype == np.int32 and ids.shape == (5_000,)
    assert ids.min() >= 0 and ids.max() < 75
    assert corpus.vocabulary.decode(ids) == text


def test_ids_follow_the_characters_code_points():
    vocab = vocabulary.Vocabulary.from_text("cab a")
    assert vocab.symbols == " abc"
    np.testing.assert_array_equal(vocab.encode("abc "), [1, 2, 3, 0])


def test_unknown_characters_are_named_or_dropped():
    vocab = vocabulary.Vocabulary.from_text("hello world")
    with pytest.raises(ValueError) as error:
        vocab.encode("hello, Zoë")
    message = str(error.value)
    for character in (",", "Z", "ë"):
        assert repr(character) in message
    assert "unknown='drop'" in message
    assert vocab.decode(vocab.encode("hello, Zoë", unknown="drop")) == "hello o"


def test_an_empty_text_makes_no_vocabulary():
    with pytest.raises(ValueError, match="empty"):
        vocabulary.Vocabulary.from_text("")


def test_decode_refuses_ids_outside_the_vocabulary():
    vocab = vocabulary.Vocabulary("ab")
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        vocab.decode([0, 2])


# ---------------------------------------------------------------------- the metrics
def test_a_uniform_model_over_v_symbols_has_perplexity_v():
    for size in (2, 75, 1000):
        log_probabilities = np.full(500, -math.log(size))
        assert metrics.perplexity(log_probabilities) == pytest.approx(size, rel=1e-12)
        assert metrics.bits_per_character(log_probabilities) == pytest.approx(math.log2(size))


def test_perplexity_is_exp_of_the_mean_negative_log_likelihood():
    log_probabilities = np.log([0.5, 0.25, 0.125])
    assert metrics.cross_entropy(log_probabilities) == pytest.approx(
        -np.mean(log_probabilities))
    # the geometric mean of the inverse probabilities: (2 * 4 * 8) ** (1/3) = 4
    assert metrics.perplexity(log_probabilities) == pytest.approx(4.0)


def test_padding_masked_out_does_not_count():
    log_probabilities = np.array([[np.log(0.5), np.log(0.5), -50.0]])
    mask = np.array([[1, 1, 0]])
    assert metrics.perplexity(log_probabilities, mask) == pytest.approx(2.0)
    assert metrics.perplexity(log_probabilities) > 2.0


def test_bad_log_probabilities_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="log_softmax"):
        metrics.perplexity([0.3, 2.0])
    with pytest.raises(ValueError, match="at least one"):
        metrics.perplexity([-1.0], mask=[0])


def test_distinct_2_counts_repeated_bigrams_once():
    assert metrics.distinct_n(["abab"], 2) == pytest.approx(2 / 3)
    assert metrics.distinct_n(["abcd", "efgh"], 2) == 1.0
    assert metrics.distinct_n(["a"], 2) == 0.0
    with pytest.raises(ValueError, match="list of samples"):
        metrics.distinct_n("abab")


# ---------------------------------------------------------------------- n-grams
def test_ngram_probabilities_are_the_closed_form_of_add_k():
    ids = np.array([0, 1, 0, 1, 0, 2])  # bigrams: 01, 10, 01, 10, 02
    model = ngram.NGramModel(2, k=0.5).fit(ids, 3)
    # p(1 | 0) = (count(0 1) + k) / (count(0 .) + k V) = (2 + 0.5) / (3 + 1.5)
    assert math.exp(model.next_log_probabilities([0])[1]) == pytest.approx(2.5 / 4.5)
    unigram = ngram.NGramModel(1, k=1.0).fit(ids, 3)
    assert math.exp(unigram.next_log_probabilities([])[0]) == pytest.approx(4 / 9)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_each_next_character_distribution_sums_to_one(corpus, order):
    ids = corpus.vocabulary.encode(corpus.train[:50_000])
    model = ngram.NGramModel(order, k=0.1).fit(ids, corpus.vocabulary.size)
    for context in ([], ids[:1], ids[100:110], [74, 74, 74]):
        total = np.exp(model.next_log_probabilities(np.asarray(context, dtype=np.int64))).sum()
        assert total == pytest.approx(1.0, abs=1e-9)


def test_ngram_log_probabilities_score_every_character_after_the_first(corpus):
    ids = corpus.vocabulary.encode(corpus.validation[:1_000])
    model = ngram.NGramModel(3, k=0.1).fit(corpus.vocabulary.encode(corpus.train[:100_000]),
                                           corpus.vocabulary.size)
    scores = model.log_probabilities(ids)
    assert scores.shape == (999,)
    # the second character is scored by the bigram (one character before it), the rest by
    # the trigram, from the same counts
    assert scores[0] == pytest.approx(model._log_probability_of_grams(ids[None, :2])[0])
    assert scores[5] == pytest.approx(model.next_log_probabilities(ids[:6])[ids[6]])


def test_the_baselines_on_the_world_english_bible(corpus):
    """The week's baseline figures, in closed form: the same on every machine."""
    train_ids = corpus.vocabulary.encode(corpus.train)
    validation_ids = corpus.vocabulary.encode(corpus.validation)
    measured = {order: metrics.perplexity(ngram.NGramModel(order, k).fit(
        train_ids, 75).log_probabilities(validation_ids))
        for order, k in ((1, 1.0), (2, 1.0), (3, 0.1))}
    assert measured[1] == pytest.approx(20.60, abs=0.01)
    assert measured[2] == pytest.approx(10.88, abs=0.01)
    assert measured[3] == pytest.approx(6.63, abs=0.01)


def test_bad_ngram_settings_are_refused():
    with pytest.raises(ValueError, match="k must be > 0"):
        ngram.NGramModel(2, k=0)
    with pytest.raises(ValueError, match="order must be >= 1"):
        ngram.NGramModel(0)
    with pytest.raises(ValueError, match="fit"):
        ngram.NGramModel(2).log_probabilities([0, 1])


# ---------------------------------------------------------------------- sampling
def test_top_k_keeps_the_k_most_likely_tokens():
    logits = np.log([[0.1, 0.4, 0.2, 0.3]])
    probabilities = sampling.filtered_probabilities(logits, top_k=2)
    np.testing.assert_allclose(probabilities, [[0, 4 / 7, 0, 3 / 7]], atol=1e-6)


def test_top_p_keeps_the_smallest_set_that_reaches_p():
    logits = np.log([[0.1, 0.4, 0.2, 0.3]])
    # 0.4 < 0.6, 0.4 + 0.3 >= 0.6: the two most likely tokens
    np.testing.assert_allclose(sampling.filtered_probabilities(logits, top_p=0.6),
                               [[0, 4 / 7, 0, 3 / 7]], atol=1e-6)
    np.testing.assert_allclose(sampling.filtered_probabilities(logits, top_p=0.3),
                               [[0, 1, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(sampling.filtered_probabilities(logits, top_p=1.0),
                               [[0.1, 0.4, 0.2, 0.3]], atol=1e-6)


def test_temperature_divides_the_logits():
    logits = np.array([[0.0, 1.0, 2.0]])
    expected = np.exp(logits / 0.5) / np.exp(logits / 0.5).sum()
    np.testing.assert_allclose(sampling.filtered_probabilities(logits, temperature=0.5),
                               expected, atol=1e-6)


@pytest.mark.parametrize("settings, message", [
    (dict(temperature=0), "greedy=True"),
    (dict(temperature=-1.0), "temperature must be > 0"),
    (dict(top_p=0.0), r"top_p must be in \(0.0, 1.0\]"),
    (dict(top_p=1.5), r"top_p must be in \(0.0, 1.0\]"),
    (dict(top_k=0), r"top_k must be in \[1, 4\]"),
])
def test_bad_sampling_settings_say_what_is_allowed(settings, message):
    with pytest.raises(ValueError, match=message):
        sampling.filtered_probabilities(np.zeros((1, 4)), **settings)


def test_sampling_draws_from_the_filtered_distribution_and_repeats_with_its_seed():
    logits = np.tile(np.log([[0.1, 0.4, 0.2, 0.3]]), (20_000, 1)).astype(np.float32)
    seed = np.array([7, 0], dtype=np.int32)
    chosen = ops.convert_to_numpy(sampling.choose_next(logits, seed, top_k=3))
    frequencies = np.bincount(chosen, minlength=4) / len(chosen)
    # three binomial standard deviations at n = 20,000 are below 0.011
    np.testing.assert_allclose(frequencies, [0, 4 / 9, 2 / 9, 3 / 9], atol=0.011)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(sampling.choose_next(logits, seed, top_k=3)), chosen)
    greedy = ops.convert_to_numpy(sampling.choose_next(logits[:3], seed, greedy=True))
    np.testing.assert_array_equal(greedy, [1, 1, 1])


# ---------------------------------------------------------------------- windows and loss
def test_training_windows_predict_the_next_character():
    ids = np.arange(101, dtype=np.int32)
    inputs, targets = next(iter(windows.training_windows(ids, 10, batch_size=4, seed=0)))
    inputs, targets = inputs.numpy(), targets.numpy()
    assert inputs.shape == targets.shape == (4, 10)
    np.testing.assert_array_equal(targets, inputs + 1)
    assert np.all(inputs[:, 0] % 10 == 0)


def test_held_out_windows_score_every_character_after_the_first_once():
    ids = np.arange(1, 24, dtype=np.int32)  # 23 characters: 22 targets
    inputs, targets = windows.held_out_windows(ids, 8)
    assert inputs.shape == targets.shape == (3, 8)
    real = targets[targets != windows.PADDING]
    np.testing.assert_array_equal(real, ids[1:])
    assert np.count_nonzero(targets == windows.PADDING) == 2


def test_a_sequence_length_below_one_is_refused():
    with pytest.raises(ValueError, match="sequence_length must be >= 1"):
        windows.held_out_windows(np.arange(10), 0)


def test_the_loss_averages_over_characters_not_padding():
    logits = np.log(np.array([[[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]]], dtype=np.float32))
    targets = np.array([[0, 1, windows.PADDING]], dtype=np.int32)
    loss = float(language_model.masked_cross_entropy(targets, logits))
    assert loss == pytest.approx(math.log(2), rel=1e-6)
