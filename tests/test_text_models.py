"""Week 11's neural language models: the Transformer's mask and cache, the LSTM, training
that beats the bigram, resuming, saving, generation and its bad input."""
import keras
import numpy as np
import pytest

from genai_kit import data, pretrained
from genai_kit.efficient import lora
from genai_kit.text import comparison, metrics, ngram, training, transformer

SMALL = dict(max_length=64, embedding_dim=32, num_layers=2, num_heads=4)


@pytest.fixture(scope="module")
def splits():
    return data.load_text("web", max_characters=comparison.SETTINGS["quick"]["max_characters"])


@pytest.fixture(scope="module")
def small_transformer(splits):
    return training.new_model("transformer", splits.vocabulary, seed=0, **SMALL)


def random_ids(shape, seed=0, vocabulary_size=70):
    """Ids every vocabulary here knows (the quick corpus has 73 characters)."""
    return np.random.default_rng(seed).integers(0, vocabulary_size, shape).astype(np.int32)


def test_the_transformer_is_causal(small_transformer):
    ids = random_ids((2, 20))
    changed = ids.copy()
    changed[:, 12:] = (changed[:, 12:] + 1) % 70
    before, after = small_transformer(ids).numpy(), small_transformer(changed).numpy()
    assert before.shape == (2, 20, small_transformer.vocabulary_size)
    # the logits up to position 11 read nothing after it
    np.testing.assert_allclose(before[:, :12], after[:, :12], atol=1e-5)
    assert np.abs(before[:, 12:] - after[:, 12:]).max() > 1e-3


def test_the_cached_steps_compute_the_logits_of_the_full_pass(small_transformer):
    ids = random_ids((2, 16), seed=1)
    full = small_transformer(ids).numpy()
    state = small_transformer.initial_state(2)
    pieces = []
    for start, end in ((0, 7), (7, 8), (8, 16)):
        logits, state = small_transformer.decode_step(ids[:, start:end], state)
        pieces.append(logits.numpy())
    # float32 sums in another order: logits of order 1 agree to a few 1e-6
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, atol=1e-4)


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_cached_and_uncached_greedy_generation_give_the_same_tokens(splits, name):
    model = training.new_model(name, splits.vocabulary, seed=0,
                               **(SMALL if name == "transformer" else dict(units=32)))
    prompt = random_ids((3, 5), seed=2)
    cached = model.generate(prompt, 30, greedy=True)
    uncached = model.generate(prompt, 30, greedy=True, use_cache=False)
    assert cached.shape == (3, 30) and cached.dtype == np.int32
    np.testing.assert_array_equal(cached, uncached)


def test_sampled_generation_repeats_with_its_seed_and_changes_with_another(small_transformer):
    prompt = random_ids((4, 3), seed=3)
    first = small_transformer.generate(prompt, 25, temperature=1.5, top_p=0.95, seed=11)
    np.testing.assert_array_equal(
        small_transformer.generate(prompt, 25, temperature=1.5, top_p=0.95, seed=11), first)
    assert not np.array_equal(
        small_transformer.generate(prompt, 25, temperature=1.5, top_p=0.95, seed=12), first)


def test_top_k_one_is_greedy(small_transformer):
    prompt = random_ids((2, 4), seed=4)
    np.testing.assert_array_equal(small_transformer.generate(prompt, 12, top_k=1, seed=5),
                                  small_transformer.generate(prompt, 12, greedy=True))


@pytest.mark.parametrize("settings, message", [
    (dict(prompt="", num_tokens=5), "prompt is empty"),
    (dict(prompt="In the {beginning}", num_tokens=5), r"'\{', '\}'"),
    (dict(prompt="In", num_tokens=63), "longer than the 64"),
    (dict(prompt="In", num_tokens=0), "num_tokens must be >= 1"),
    (dict(prompt="In", num_tokens=5, temperature=0.0), "greedy=True"),
    (dict(prompt="In", num_tokens=5, top_p=0.0), r"top_p must be in \(0.0, 1.0\]"),
    (dict(prompt="In", num_tokens=5, top_p=1.01), r"top_p must be in \(0.0, 1.0\]"),
])
def test_bad_generation_input_says_what_to_fix(small_transformer, settings, message):
    with pytest.raises(ValueError, match=message):
        small_transformer.generate_text(**settings)


def test_a_model_needs_heads_that_divide_its_width(splits):
    with pytest.raises(ValueError, match="multiple of num_heads"):
        transformer.CharTransformer(splits.vocabulary, embedding_dim=30, num_heads=4)
    with pytest.raises(ValueError, match="unknown model 'gpt'"):
        training.new_model("gpt", splits.vocabulary)


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_a_saved_model_loads_with_its_vocabulary_and_the_same_logits(splits, name, tmp_path):
    model = training.new_model(name, splits.vocabulary, seed=0,
                               **(SMALL if name == "transformer" else dict(units=32)))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert type(loaded) is type(model)
    assert loaded.vocabulary == splits.vocabulary
    ids = random_ids((2, 9), seed=6)
    np.testing.assert_allclose(loaded(ids).numpy(), model(ids).numpy(), atol=1e-6)


def test_lora_adapts_the_attention_and_mlp_of_the_transformer(splits):
    model = training.new_model("transformer", splits.vocabulary, seed=0, **SMALL)
    adapted = lora.enable_lora(model, rank=2)
    assert any("query" in name for name in adapted) and any("mlp" in name for name in adapted)
    ids = random_ids((1, 8))
    before = model(ids).numpy()
    # adapters start at zero: the adapted model computes what the trained one did
    np.testing.assert_allclose(model(ids).numpy(), before, atol=1e-6)
    assert lora.trainable_share(model) < 0.25


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_a_quick_run_beats_the_bigram_on_held_out_text(splits, name):
    row, model = comparison.neural_row(name, splits, mode="quick")
    vocabulary = splits.vocabulary
    bigram = ngram.NGramModel(2, comparison.NGRAM_K[2]).fit(vocabulary.encode(splits.train),
                                                             vocabulary.size)
    bigram_perplexity = metrics.perplexity(bigram.log_probabilities(
        vocabulary.encode(splits.validation)))
    assert row.validation_perplexity < bigram_perplexity, (row, bigram_perplexity)
    assert row.characters_per_second > 0 and row.parameters == model.count_params()
    # learned behaviour in the samples: after "And God said" comes a space and a lowercase
    # letter or a comma far more often than under a uniform guess
    text = model.generate_text("And God said", 1, greedy=True)
    assert text in " ,", repr(text)


def test_an_interrupted_run_resumes_from_its_last_save(splits, tmp_path):
    ids = splits.vocabulary.encode(splits.train)
    settings = dict(steps=6, sequence_length=16, batch_size=4, steps_per_epoch=2)
    whole = training.new_model("transformer", splits.vocabulary, seed=0, **SMALL)
    training.fit(whole, ids, out=tmp_path / "whole", **settings)

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    stopped = training.new_model("transformer", splits.vocabulary, seed=0, **SMALL)
    original_fit = stopped.fit

    def fit_then_stop(*args, callbacks=(), **kwargs):
        return original_fit(*args, callbacks=[*callbacks, Stop()], **kwargs)

    stopped.fit = fit_then_stop
    with pytest.raises(KeyboardInterrupt):
        training.fit(stopped, ids, out=tmp_path / "resumed", **settings)
    resumed = training.new_model("transformer", splits.vocabulary, seed=0, **SMALL)
    result = training.fit(resumed, ids, out=tmp_path / "resumed", **settings)
    # only the last epoch was trained again, and it ends where the whole run did
    assert len(result.losses) == 2
    assert int(resumed.optimizer.iterations.numpy()) == 6
    for resumed_weight, whole_weight in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(resumed_weight, whole_weight, atol=1e-5)


def test_the_shipped_transformer_beats_the_trigram_and_writes_text():
    model = pretrained.load("text_transformer")
    assert isinstance(model, transformer.CharTransformer)
    record = pretrained.record("text_transformer")
    figures = record["figures"]
    assert figures["validation_perplexity"] < figures["trigram_validation_perplexity"]
    splits = data.load_text("web")
    ids = splits.vocabulary.encode(splits.validation[:20_000])
    measured = metrics.perplexity(model.log_probabilities(ids, figures["window"]))
    # 20,000 characters of the validation text score close to the whole text's figure
    assert measured < figures["trigram_validation_perplexity"]
    assert abs(measured - figures["validation_perplexity"]) < 0.15 * figures[
        "validation_perplexity"]
    assert record["size_bytes"] == pretrained.path("text_transformer").stat().st_size
    text = model.generate_text("And God said, ", 60, greedy=True)
    assert len(text) == 60 and " the " in text
    assert pretrained.describe("text_transformer").startswith("shipped text_transformer: ")
