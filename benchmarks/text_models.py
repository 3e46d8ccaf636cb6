"""Week 11's figures: validation perplexity of every model on the same split of the World
English Bible, training throughput, generation with and without the key/value cache, and
samples against their decoding settings.

    python benchmarks/text_models.py                       # n-grams, the LSTM trained in full,
                                                           # the shipped Transformer
    python benchmarks/text_models.py --train-transformer   # train the Transformer here too
    python benchmarks/text_models.py --quick               # the quick settings (minutes)

The full settings are ``comparison.SETTINGS["full"]``; the shipped Transformer was trained with
them by ``scripts/build_text_model.py``, so by default it stands in for training it again.
Throughput: characters per second over the steps after the warm-up of a training run.
Generation: greedy, 256 new characters after a 16-character prompt, the fastest of 3 runs after
a compiling one, per mode, in the same process.
"""
import argparse
import time

import genai_kit  # noqa: F401  (TensorFlow defaults before keras)

from genai_kit import config, data, pretrained
from genai_kit.text import comparison, metrics, training

SWEEP = [{"greedy": True}, {"temperature": 0.5}, {"temperature": 0.8}, {"temperature": 1.0},
         {"temperature": 1.5}, {"top_k": 5}, {"top_p": 0.5}, {"top_p": 0.9}]
THROUGHPUT_STEPS = 40


def shipped_transformer_row(splits):
    model = pretrained.load("text_transformer")
    record = pretrained.record("text_transformer")
    settings = comparison.SETTINGS["full"]
    started = time.perf_counter()
    log_probabilities = model.log_probabilities(splits.vocabulary.encode(splits.validation),
                                                settings["sequence_length"])
    print(f"scored the validation text in {time.perf_counter() - started:.0f} s", flush=True)
    return comparison.Row("transformer (shipped)", int(model.count_params()),
                          metrics.perplexity(log_probabilities),
                          metrics.bits_per_character(log_probabilities),
                          record["trained"]["characters_per_second"],
                          record["trained"]["training_seconds"]), model


def throughput(name, splits, mode):
    """Training characters per second of a fresh model at the mode's settings, in this run."""
    settings = comparison.SETTINGS[mode]
    model = training.new_model(name, splits.vocabulary, **settings["models"][name])
    result = training.fit(model, splits.vocabulary.encode(splits.train), THROUGHPUT_STEPS,
                          settings["sequence_length"], settings["batch_size"])
    return result.characters_per_second


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick settings")
    parser.add_argument("--train-transformer", action="store_true",
                        help="train the Transformer here instead of using the shipped one")
    arguments = parser.parse_args(argv)
    mode = "quick" if arguments.quick else "full"
    print(config.accelerator_report(), flush=True)
    splits = data.load_text("web", max_characters=comparison.SETTINGS[mode]["max_characters"])
    rows, _ = comparison.ngram_rows(splits, orders=(1, 2, 3, 4))
    print(comparison.markdown_table(rows), flush=True)
    lstm_row, _ = comparison.neural_row("lstm", splits, mode=mode)
    rows.append(lstm_row)
    print(comparison.markdown_table([lstm_row]), flush=True)
    if arguments.train_transformer or arguments.quick:
        transformer_row, model = comparison.neural_row("transformer", splits, mode=mode)
    else:
        transformer_row, model = shipped_transformer_row(splits)
    rows.append(transformer_row)
    trigram = next(row for row in rows if row.name.startswith("trigram"))
    print("\n## validation perplexity per character\n")
    print(comparison.markdown_table(rows))
    for row in (lstm_row, transformer_row):
        print(f"{row.name}: {row.validation_perplexity:.2f}, "
              f"{trigram.validation_perplexity - row.validation_perplexity:.2f} below the trigram "
              f"({row.validation_perplexity / trigram.validation_perplexity:.1%} of it), "
              f"{row.bits_per_character:.3f} bits per character")

    print("\n## training throughput, same run\n", flush=True)
    for name in ("lstm", "transformer"):
        print(f"{name}: {throughput(name, splits, mode):,.0f} characters/s at sequence length "
              f"{comparison.SETTINGS[mode]['sequence_length']}, batch "
              f"{comparison.SETTINGS[mode]['batch_size']}", flush=True)

    print("\n## generation, 256 new characters, greedy\n", flush=True)
    for batch in (1, 8):
        timing = comparison.generation_timing(model, num_tokens=256, batch_size=batch)
        print(f"batch {batch}: {timing.cached_ms_per_token:.2f} ms per token with the cache, "
              f"{timing.uncached_ms_per_token:.2f} without: {timing.speedup:.1f}x", flush=True)

    print("\n## samples (8 per setting, 100 characters after 'And God said, ')\n")
    print("| setting | distinct-2 | perplexity under the model | first sample |")
    print("|---|---:|---:|---|")
    for row in comparison.sample_sweep(model, "And God said, ", SWEEP, num_samples=8,
                                       num_tokens=100):
        sample = row.first_sample[:60].replace("|", "/")
        print(f"| {row.setting} | {row.distinct_2:.3f} | {row.perplexity_under_model:.2f} | "
              f"{sample!r} |")


if __name__ == "__main__":
    main()
