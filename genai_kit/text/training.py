"""Training a character model on a corpus: one function for the notebook, the benchmark and
the shipped model, resumable when given a run folder.

    model = training.new_model("transformer", splits.vocabulary, seed=0)
    result = training.fit(model, splits.vocabulary.encode(splits.train), steps=2000)
    result.characters_per_second     # training throughput, warm-up excluded
"""
import pathlib
import time
from typing import NamedTuple

import keras
import numpy as np

from genai_kit import checks, train
from genai_kit.text import lstm, transformer, windows

MODELS = {"transformer": transformer.CharTransformer, "lstm": lstm.CharLSTM}

# optimization
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 0.01
CLIP_NORM = 1.0
SEQUENCE_LENGTH = 128
BATCH_SIZE = 32
# batches left out of the throughput: the first ones trace and warm up
WARM_UP_BATCHES = 3
MODEL_FILE = "model.keras"


class TrainingResult(NamedTuple):
    """What :func:`fit` returns: the loss per step (this call's), and the throughput."""

    losses: list
    characters_per_second: float


def new_model(name, vocabulary, seed=0, **architecture):
    """A fresh model, its weights drawn from ``seed``.

    Args:
        name: "transformer" or "lstm".
        vocabulary: the corpus' Vocabulary.
        seed: int; the same seed gives the same initial weights.
        architecture: keyword arguments of the model class (``max_length``, ``embedding_dim``,
            ``num_layers``, ...).
    Returns:
        a built :class:`~genai_kit.text.transformer.CharTransformer` or
        :class:`~genai_kit.text.lstm.CharLSTM`.
    """
    checks.choice("model", name, tuple(MODELS))
    keras.utils.set_random_seed(checks.integer("seed", seed, minimum=0))
    model = MODELS[name](vocabulary, **architecture)
    model.build()
    return model


class _Throughput(keras.callbacks.Callback):
    """Characters per second over the batches after the warm-up, and each batch's loss."""

    def __init__(self, characters_per_batch):
        super().__init__()
        self.characters_per_batch = characters_per_batch
        self.losses, self.seconds = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self._started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)
        self.losses.append(float(logs["loss"]))

    def characters_per_second(self):
        timed = self.seconds[WARM_UP_BATCHES:] or self.seconds
        return self.characters_per_batch * len(timed) / sum(timed)


def fit(model, train_ids, steps, sequence_length=SEQUENCE_LENGTH, batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE, seed=0, out=None, steps_per_epoch=None, verbose=0):
    """Trains ``model`` on windows of the training text with AdamW.

    Args:
        model: a model from :func:`new_model` (compiled here).
        train_ids: int array (n,), the encoded training text, n > sequence_length.
        steps: optimizer steps in all, an int >= 1.
        sequence_length: L, the training window, 1 <= L <= model.max_length.
        batch_size: windows per step.
        learning_rate: AdamW's peak rate, > 0; it decays along a cosine to 10% by the end.
        seed: the window order's seed.
        out: None, or a run folder: the model is saved there after every epoch and a
            stopped run resumes where it stopped (``steps_per_epoch`` sets how often).
        steps_per_epoch: steps between saves with ``out``; None is ``steps`` (one epoch).
        verbose: as ``keras.Model.fit``.
    Returns:
        :class:`TrainingResult`.
    """
    steps = checks.integer("steps", steps, minimum=1)
    sequence_length = windows.check_sequence_length(sequence_length)
    if sequence_length > model.max_length:
        raise ValueError(f"sequence_length {sequence_length} is longer than the model's "
                         f"max_length {model.max_length}: train on shorter windows")
    learning_rate = checks.number("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    steps_per_epoch = steps if steps_per_epoch is None else checks.integer(
        "steps_per_epoch", steps_per_epoch, minimum=1, maximum=steps)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps,
                                                      alpha=0.1)
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY,
                                                   clipnorm=CLIP_NORM))
    dataset = windows.training_windows(train_ids, sequence_length, batch_size, seed=seed)
    throughput = _Throughput(sequence_length * batch_size)
    callbacks = [throughput]
    if out is not None:
        out = pathlib.Path(out)
        out.mkdir(parents=True, exist_ok=True)
        # a resumed run skips the windows it already trained on, so it sees what an
        # uninterrupted run would have seen next (the order is fixed by the seed)
        dataset = dataset.skip(train.completed_epochs(out) * steps_per_epoch)
        backup = train.RunBackup(out)
        callbacks = [backup, throughput, train.SaveModel(out / MODEL_FILE),
                     keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
                     train.EpochFinished(backup)]
    model.fit(dataset, epochs=-(-steps // steps_per_epoch), steps_per_epoch=steps_per_epoch,
              callbacks=callbacks, verbose=verbose, shuffle=False)
    return TrainingResult(losses=throughput.losses,
                          characters_per_second=throughput.characters_per_second()
                          if throughput.seconds else float("nan"))


def evaluate(model, ids, sequence_length=None):
    """Held-out log-probabilities of ``ids`` (see ``CharLanguageModel.log_probabilities``)."""
    return model.log_probabilities(np.asarray(ids), sequence_length)
