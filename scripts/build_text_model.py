"""Trains the shipped character Transformer on the World English Bible, exports it to
assets/pretrained and records it.

    python scripts/build_text_model.py                 # train (or resume), export, measure
    python scripts/build_text_model.py --measure-only

The run lives in ``runs/pretrained/text_transformer`` and resumes there after an
interruption (a save every ``STEPS_PER_EPOCH`` steps). The shipped file holds the weights
without optimizer state; its record ``assets/pretrained/text_transformer.json`` holds the
command, the settings, what was trained, the file's size and the held-out figures.
"""
import argparse
import json
import pathlib
import sys
import time

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
ASSETS = REPOSITORY / "assets" / "pretrained"
RUN = REPOSITORY / "runs" / "pretrained" / "text_transformer"
NAME = "text_transformer"
COMMAND = "python scripts/build_text_model.py"
STEPS_PER_EPOCH = 200
SEED = 0


def recipe():
    """The full settings of the week (``comparison.SETTINGS["full"]``) for the Transformer:
    (architecture, training keywords)."""
    from genai_kit.text import comparison

    settings = comparison.SETTINGS["full"]
    training = {key: settings[key] for key in ("steps", "sequence_length", "batch_size",
                                               "learning_rate")}
    return settings["models"]["transformer"], {**training, "seed": SEED}


def train():
    from genai_kit import data
    from genai_kit.text import training

    architecture, settings = recipe()
    splits = data.load_text("web")
    model = training.new_model("transformer", splits.vocabulary, seed=SEED, **architecture)
    started = time.time()
    result = training.fit(model, splits.vocabulary.encode(splits.train), out=RUN,
                          steps_per_epoch=STEPS_PER_EPOCH, verbose=2, **settings)
    return result, time.time() - started


def export_and_measure(result=None, seconds=None):
    import genai_kit.text.transformer  # noqa: F401  (registers the classes for load_model)
    import keras

    from genai_kit import data
    from genai_kit.text import metrics, ngram

    model = keras.saving.load_model(RUN / "model.keras", compile=False)
    ASSETS.mkdir(parents=True, exist_ok=True)
    target = ASSETS / f"{NAME}.keras"
    # loaded without compiling: the shipped file has no optimizer state
    model.save(target)
    splits = data.load_text("web")
    vocabulary = splits.vocabulary
    validation, test = vocabulary.encode(splits.validation), vocabulary.encode(splits.test)
    trigram = ngram.NGramModel(3, k=0.1).fit(vocabulary.encode(splits.train), vocabulary.size)
    figures = {
        "validation_perplexity": metrics.perplexity(model.log_probabilities(validation, 256)),
        "test_perplexity": metrics.perplexity(model.log_probabilities(test, 256)),
        "validation_bits_per_character": metrics.bits_per_character(
            model.log_probabilities(validation, 256)),
        "trigram_validation_perplexity": metrics.perplexity(trigram.log_probabilities(validation)),
        "window": 256,
        "sample_greedy": model.generate_text("And God said, ", 120, greedy=True),
        "sample_top_p_0.9": model.generate_text("And God said, ", 120, top_p=0.9, seed=0),
    }
    previous = json.loads((ASSETS / f"{NAME}.json").read_text()) \
        if (ASSETS / f"{NAME}.json").exists() else {}
    trained = previous.get("trained", {})
    architecture, settings = recipe()
    if result is not None:
        trained = {"optimizer_steps": settings["steps"],
                   "characters_seen": settings["steps"] * settings["batch_size"]
                   * settings["sequence_length"],
                   "characters_per_second": result.characters_per_second,
                   "training_seconds": round(seconds)}
    record = {"name": NAME, "command": COMMAND, "corpus": "web", "settings": {**architecture, **settings},
              "trained": trained, "parameters": int(model.count_params()),
              "size_bytes": target.stat().st_size, "figures": figures}
    (ASSETS / f"{NAME}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(json.dumps(record, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure-only", action="store_true",
                        help="export and measure the run as it is, without training")
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(REPOSITORY))
    result = seconds = None
    if not arguments.measure_only:
        result, seconds = train()
    export_and_measure(result, seconds)


if __name__ == "__main__":
    main()
