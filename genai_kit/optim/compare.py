"""The same model trained with different optimizers: same initial weights, same batches."""
import time

import keras

from genai_kit.optim import optimizers as numpy_optimizers
from genai_kit import tensorflow_messages
from genai_kit.progress import progress_bar


def compare_optimizers(build_model, optimizers, train, test, epochs=5, batch_size=128, seed=0,
                       progress=True):
    """Trains one fresh model per optimizer and scores it on held-out data.

    Every run starts from ``keras.utils.set_random_seed(seed)``, so all models get the same
    initial weights and see the batches in the same order: only the optimizer differs.

    Args:
        build_model: callable() -> compiled keras.Model (its loss is kept, its optimizer
            replaced), e.g. ``lambda: autoencoder.build_autoencoder()``.
        optimizers: dict name -> a ``genai_kit.optim`` optimizer (its Keras twin is used) or a
            callable() returning a fresh ``keras.optimizers`` optimizer.
        train, test: tuples ``(x,)`` (autoencoder: x -> x) or ``(x, y)``.
        epochs, batch_size: the same for every optimizer.
    Returns:
        dict name -> {"history": dict metric -> list per epoch (with "val_loss" on ``test``),
        "test_loss": float, "seconds": float (training wall time)}.
    """
    results = {}
    with tensorflow_messages.models_built_per_trial():
        for name, optimizer in progress_bar(optimizers.items(), desc="optimizers",
                                            disable=not progress):
            results[name] = _train_one(name, optimizer, build_model, train, test, epochs,
                                       batch_size, seed)
    return results


def _train_one(name, optimizer, build_model, train, test, epochs, batch_size, seed):
    """Trains a fresh model with ``optimizer``: its history, test loss and training time."""
    make_optimizer = optimizer.to_keras if isinstance(
        optimizer, numpy_optimizers.Optimizer) else optimizer
    if not callable(make_optimizer):
        raise ValueError(f"optimizers[{name!r}] must be a genai_kit.optim optimizer or a "
                         "callable returning a fresh keras optimizer, e.g. "
                         "lambda: keras.optimizers.Adam(1e-3)")
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=make_optimizer(), loss=model.loss)
    start = time.perf_counter()
    history = model.fit(train[0], train[-1], validation_data=(test[0], test[-1]),
                        epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    return {"history": history.history, "test_loss": history.history["val_loss"][-1],
            "seconds": seconds}
