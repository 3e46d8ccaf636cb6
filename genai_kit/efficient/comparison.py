"""The week's table: every technique's size, speed and quality beside the float32 model.

    rows = [comparison.measure("float32", model, x_test, y_test)]
    rows.append(comparison.measure("int8", quantization.quantized_copy(model), x_test, y_test))
    print(comparison.markdown_table(rows))

Latencies are the fastest of repeated calls after a warm-up (``size.latency``) and are shown as
ratios against the first row, measured in the same run: a ratio survives a busy machine
better than seconds do.
"""

from genai_kit import checks
from genai_kit.efficient import digits, layers, lora, pruning, size

LATENCY_BATCH_SIZES = (1, 256)
# the shifted task of the LoRA experiment: trained on the first classes, adapted to the rest
FIRST_DIGITS = tuple(range(5))
SHIFTED_DIGITS = tuple(range(5, 10))
LORA_RANK = 4
SHIFT_EPOCHS = 10


def measure(name, model, images, labels, task="digits 0-9", latency_repeats=size.LATENCY_REPEATS):
    """One row of the table for a trained classifier.

    Args:
        name: the row's label, e.g. "int8".
        model: a built Keras classifier, (n, 28, 28, 1) -> scores (n, 10).
        images, labels: the held-out digits its accuracy is measured on.
        task: what the accuracy is measured on, for the table.
    Returns:
        dict with "name", "parameters", "trainable", "file_bytes", "gzip_bytes",
        "latency_1" and "latency_256" (seconds per call), "accuracy" (in [0, 1]) and "task".
    """
    total, trainable = size.parameter_counts(model)
    file_bytes, gzip_bytes = size.keras_file_bytes(model)
    row = {"name": name, "parameters": total, "trainable": trainable,
           "file_bytes": file_bytes, "gzip_bytes": gzip_bytes}
    for batch_size in LATENCY_BATCH_SIZES:
        row[f"latency_{batch_size}"] = size.latency(model, batch_size, repeats=latency_repeats)
    row["accuracy"] = digits.accuracy(model, images, labels)
    row["task"] = task
    return row


def markdown_table(rows):
    """The rows of :func:`measure` as a Markdown table, latencies relative to the first row."""
    if not rows:
        raise ValueError("no rows to show: measure at least the float32 model")
    reference = rows[0]
    lines = ["| model | parameters | trainable | .keras bytes | gzip bytes | "
             f"latency at 1 (x {reference['name']}) | latency at 256 (x {reference['name']}) | "
             "accuracy | on |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['parameters']:,} | {row['trainable']:,} | "
            f"{row['file_bytes']:,} | {row['gzip_bytes']:,} | "
            f"{row['latency_1'] / reference['latency_1']:.2f} | "
            f"{row['latency_256'] / reference['latency_256']:.2f} | "
            f"{row['accuracy']:.1%} | {row['task']} |")
    return "\n".join(lines)


def lora_shift(rank=LORA_RANK, epochs=SHIFT_EPOCHS, seed=0):
    """LoRA against a full fine-tune on a shifted task: digits 0-4 first, then 5-9.

    A classifier is trained on the digits 0-4, then adapted to the digits 5-9 twice, from
    the same weights: every weight fine-tuned, and only rank-``rank`` adapters.

    Args:
        rank: the adapters' rank, an int >= 1.
        epochs: epochs of each training, a positive int.
    Returns:
        dict with "base" (trained on 0-4), "full" and "lora" (adapted to 5-9), the three
        models; "accuracy": {"base on 0-4", "base on 5-9", "full on 5-9", "lora on 5-9"}
        in [0, 1]; "recovered": lora's accuracy over full's; "trainable_share" of the LoRA
        model in [0, 1].
    """
    epochs = checks.integer("epochs", epochs, minimum=1)
    first_train, first_test = digits.split("train", FIRST_DIGITS), digits.split("test", FIRST_DIGITS)
    shifted_train = digits.split("train", SHIFTED_DIGITS)
    shifted_test = digits.split("test", SHIFTED_DIGITS)
    base = digits.build_dense_classifier(seed=seed)
    digits.train_classifier(base, *first_train, epochs=epochs, seed=seed)

    full = layers.copy_of(base)
    digits.train_classifier(full, *shifted_train, epochs=epochs, seed=seed)
    adapted = lora.lora_copy(base, rank)
    digits.train_classifier(adapted, *shifted_train, epochs=epochs, seed=seed,
                            learning_rate=lora.LEARNING_RATE)
    accuracy = {"base on 0-4": digits.accuracy(base, *first_test),
                "base on 5-9": digits.accuracy(base, *shifted_test),
                "full on 5-9": digits.accuracy(full, *shifted_test),
                "lora on 5-9": digits.accuracy(adapted, *shifted_test)}
    return {"base": base, "full": full, "lora": adapted, "accuracy": accuracy,
            "recovered": accuracy["lora on 5-9"] / accuracy["full on 5-9"],
            "trainable_share": lora.trainable_share(adapted)}


def pruning_rows(model, images, labels, test_images, test_labels, sparsities=(0.5, 0.75, 0.9),
                 epochs=None, seed=0):
    """A row of the table for each sparsity: ``model``'s weights pruned and fine-tuned.

    Args:
        model: the trained float32 classifier (it is not changed: each row prunes a copy).
        images, labels: the training digits the pruned copies fine-tune on.
        test_images, test_labels: the held-out digits of the accuracy column.
        sparsities: targets in [0, 1).
        epochs: fine-tuning epochs (None: ``pruning.FINE_TUNE_EPOCHS``).
    Returns:
        list of (row, measured sparsity) pairs, one per target, as in :func:`measure`.
    """
    pairs = []
    for target in sparsities:
        pruned = layers.copy_of(model)
        pruning.prune(pruned, images, labels, target,
                      epochs=pruning.FINE_TUNE_EPOCHS if epochs is None else epochs, seed=seed)
        row = measure(f"pruned {target:.0%}", pruned, test_images, test_labels)
        pairs.append((row, pruning.sparsity(pruned)))
    return pairs
