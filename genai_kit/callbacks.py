"""Keras callbacks that watch a generative model train.

- :class:`SampleGrid`: the same latent batch decoded after every epoch, so students see one
  image evolve; saved as PNGs, shown inline in notebooks, written to TensorBoard.
- :class:`GenerativeMetrics`: IS, FID, KID, precision/recall every few epochs, written into
  the epoch's ``logs`` so History, EarlyStopping, ModelCheckpoint and TensorBoard see them.

Both work with every generative model of the kit through the sampling protocol of
:mod:`genai_kit.sampling` (``latent_shape`` + ``generate(latents)``).
"""
import os
import pathlib

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from genai_kit import evaluation, features, latent, plots, sampling


def _generator_to_sample(callback):
    """The generator a callback samples from: its own, or the model being trained."""
    source = callback.model if callback.generator is None else callback.generator
    if source is None:
        raise ValueError(f"{type(callback).__name__} has no generator: pass one, or use it in model.fit")
    if callback.generator is None and not sampling.is_generator(source):
        raise ValueError(
            f"the model being trained ({type(source).__name__}) has no latent_shape/"
            f"generate: pass the decoder or generator to sample from, "
            f"e.g. {type(callback).__name__}(vae.decoder, ...)")
    return sampling.as_generator(source, value_range=callback.value_range)


def _in_notebook():
    """True inside a Jupyter kernel (where figures can be displayed inline)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


class SampleGrid(keras.callbacks.Callback):
    """Decodes a fixed latent batch every ``every`` epochs and shows/saves the image grid.

    The latents are drawn once (seeded) and reused, so each cell of the grid follows one
    sample through training. Grid number 0 is the untrained model (``include_initial``),
    grid number N the model after epoch N (1-based, as Keras prints epochs).

    Example::

        grid = callbacks.SampleGrid(directory="runs/dcgan/samples")   # model.generate is used
        model.fit(dataset, epochs=20, callbacks=[grid])
        grid.plot_evolution()

        # a plain decoder: pass it, with the range of its output pixels
        grid = callbacks.SampleGrid(vae.decoder, value_range=(0, 1))

    Args:
        generator: what to sample from. None (default): the model being trained, which
            must follow the protocol (``latent_shape`` + ``generate``). Otherwise a model
            following it, or a plain keras.Model mapping latents to images (wrapped with
            ``sampling.as_generator(generator, value_range)``).
        num_samples: number of images in the grid (n).
        ncols: images per grid row.
        seed: seed of the fixed latent batch.
        every: draw a grid every this many epochs (and after the last epoch).
        directory: folder for ``epoch_0000.png, epoch_0001.png, ...``; None saves nothing.
        log_dir: TensorBoard log folder; grids go to its ``samples`` image summary.
        show: display each grid inline when running in a notebook (nothing in scripts).
        include_initial: also draw grid 0 before the first epoch.
        value_range: (low, high) output range of a plain Keras model, e.g. (-1, 1) for a
            tanh generator; ignored for protocol models (their ``generate`` gives [0, 1]).

    Attributes:
        latents: numpy float32 (num_samples, *latent_shape), the fixed batch.
        grids: dict epoch -> uint8 (H, W, 3) grid image, in drawing order.
    """

    def __init__(self, generator=None, num_samples=16, ncols=8, seed=0, every=1,
                 directory=None, log_dir=None, show=True, include_initial=True,
                 value_range=(0, 1)):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"every must be a positive number of epochs, got {every}")
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be at least 1, got {num_samples}")
        self.generator = generator
        self.num_samples = int(num_samples)
        self.ncols = int(ncols)
        self.seed = seed
        self.every = int(every)
        self.directory = None if directory is None else pathlib.Path(directory)
        self.log_dir = None if log_dir is None else pathlib.Path(log_dir)
        self.show = show
        self.include_initial = include_initial
        self.value_range = value_range
        self.latents = None
        self.grids = {}
        self._writer = None
        self._last_epoch = None

    def draw(self, epoch):
        """Generates the grid for ``epoch`` now, stores, saves and shows it; returns it.

        Returns:
            uint8 (H, W, 3) grid image.
        """
        generator = _generator_to_sample(self)
        if self.latents is None:
            self.latents = latent.latent_batch(generator, self.num_samples, seed=self.seed)
        images = generator.generate(self.latents)
        grid = plots.image_grid(images, value_range=(0, 1), ncols=self.ncols)
        self.grids[epoch] = grid
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # written under a temporary name, then renamed: an interruption leaves no
            # half-written PNG behind
            path = self.directory / f"epoch_{epoch:04d}.png"
            temporary = path.with_name(f".{path.name}.incoming")
            keras.utils.save_img(temporary, grid, file_format="png", scale=False)
            os.replace(temporary, path)
        if self.log_dir is not None:
            self._write_tensorboard(grid, epoch)
        if self.show and _in_notebook():
            self._display(images, epoch)
        return grid

    def _write_tensorboard(self, grid, epoch):
        # tf.summary.image needs the tensorboard package; its on-disk format is just this
        # (width, height, PNG) string tensor tagged for the "images" plugin, so we write
        # it directly and the logs open in TensorBoard's Images tab
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        height, width, _ = grid.shape
        png = tf.image.encode_png(grid)
        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"))
        with self._writer.as_default():
            tf.summary.write("samples", tf.stack([str(width), str(height), png]),
                             step=epoch, metadata=metadata)
        self._writer.flush()

    def _display(self, images, epoch):
        import matplotlib.pyplot as plt
        from IPython.display import display

        figure = plots.show_images(images, value_range=(0, 1), ncols=self.ncols,
                                   title=f"samples after epoch {epoch}")
        display(figure)
        plt.close(figure)

    def on_train_begin(self, logs=None):
        if self.include_initial and not self.grids:
            self.draw(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.draw(epoch + 1)
        self._last_epoch = epoch + 1

    def on_train_end(self, logs=None):
        if self._last_epoch is not None and self._last_epoch not in self.grids:
            self.draw(self._last_epoch)

    def plot_evolution(self, epochs=None, max_rows=8):
        """One row per drawn epoch, stacked top to bottom: the samples' evolution.

        Args:
            epochs: the epochs to show (default: at most ``max_rows`` evenly spread ones).
            max_rows: cap on rows when ``epochs`` is None.
        Returns:
            matplotlib Figure.
        """
        import matplotlib.pyplot as plt

        if not self.grids:
            raise ValueError("no grids yet: train with this callback or call draw(epoch)")
        drawn = sorted(self.grids)
        if epochs is None:
            picks = np.unique(np.linspace(0, len(drawn) - 1, min(max_rows, len(drawn))).round())
            epochs = [drawn[int(index)] for index in picks]
        missing = [epoch for epoch in epochs if epoch not in self.grids]
        if missing:
            raise ValueError(f"no grid for epochs {missing}; drawn epochs are {drawn}")
        height, width, _ = self.grids[epochs[0]].shape
        figure, axes = plt.subplots(len(epochs), 1, squeeze=False,
                                    figsize=(8, 8 * height / width * len(epochs) + 0.3))
        for axis, epoch in zip(axes[:, 0], epochs):
            axis.imshow(self.grids[epoch])
            axis.set_ylabel(f"epoch {epoch}")
            axis.set_xticks([])
            axis.set_yticks([])
        figure.tight_layout()
        return figure


class GenerativeMetrics(keras.callbacks.Callback):
    """Every ``every`` epochs, generates samples and logs IS, FID, KID and precision/recall.

    The values go into the epoch's ``logs`` as ``val_is``, ``val_fid``, ``val_kid``,
    ``val_precision``, ``val_recall`` (with ``prefix="val_"``), so Keras' History, the
    progress bar, TensorBoard, ``EarlyStopping(monitor="val_fid")`` and
    ``ModelCheckpoint(monitor="val_fid", mode="min")`` see them. Put this callback
    before those in the ``callbacks`` list. On epochs without an evaluation the keys are
    absent (EarlyStopping then skips the epoch instead of counting it), so the History
    lists are shorter than the epochs: use ``self.history`` for plots.

    The real features are extracted once (first evaluation) and reused. Samples use the
    same latents every time (``seed``), so the curve shows the model changing, not noise.

    Example::

        real_images, _ = data.load_mnist("test")
        watch = callbacks.GenerativeMetrics(real_images, every=5, num_samples=1000)
        history = model.fit(dataset, epochs=50, callbacks=[watch,
            keras.callbacks.ModelCheckpoint("best.keras", monitor="val_fid", mode="min")])
        plt.plot(watch.history["epoch"], watch.history["fid"])

    Args:
        real_images: float (n, H, W, C) in ``real_value_range``, or the ExtractedFeatures
            of ``evaluation.extract`` (e.g. computed once for several runs).
        generator: None (the model being trained, following the sampling protocol), a
            protocol model, or a plain keras.Model (wrapped with ``value_range``).
        every: evaluate every this many epochs (and never in between).
        num_samples: images generated per evaluation (FID depends on it: keep it fixed).
        extractor: "mnist" (default, offline), "inception" or an extractor object.
        include: metrics to compute, a subset of ``evaluation.METRICS``.
        prefix: prepended to the log keys.
        seed: seed of the latents and of KID's subsets.
        value_range: output range of a plain Keras generator; real_value_range: of the
            real images.
        kid_subsets: KID's subsets (of at most 1000 samples) per evaluation; 20 instead
            of the usual 100 keeps an evaluation short, at a larger KID std.
        verbose: print one line of metrics per evaluation.

    Attributes:
        history: dict "epoch" -> list of evaluated epochs, and one list per metric.
    """

    def __init__(self, real_images, generator=None, every=1, num_samples=1000,
                 extractor="mnist", include=evaluation.METRICS, prefix="val_", seed=0,
                 value_range=(0, 1), real_value_range=(0, 1), kid_subsets=20, verbose=1):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"every must be a positive number of epochs, got {every}")
        self.real = real_images
        self.generator = generator
        self.every = int(every)
        self.num_samples = int(num_samples)
        self.extractor = extractor  # resolved once, at the first evaluation
        self.include = tuple(include)
        self.prefix = prefix
        self.seed = seed
        self.value_range = value_range
        self.real_value_range = real_value_range
        self.kid_subsets = int(kid_subsets)
        self.verbose = verbose
        self.history = {"epoch": []}

    def evaluate(self):
        """Evaluates the generator now; returns the metrics dict of ``evaluation.evaluate``."""
        self.extractor = features.get_extractor(self.extractor)
        if not isinstance(self.real, evaluation.ExtractedFeatures):
            self.real = evaluation.extract(self.real, self.extractor,
                                           value_range=self.real_value_range)
        return evaluation.evaluate(
            _generator_to_sample(self), self.real, extractor=self.extractor,
            num_samples=self.num_samples, seed=self.seed, include=self.include,
            kid_subsets=self.kid_subsets, progress=False)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every != 0:
            return
        results = self.evaluate()
        scores = {key: value for key, value in results.items() if not key.startswith("num_")}
        self.history["epoch"].append(epoch + 1)
        for key, value in scores.items():
            self.history.setdefault(key, []).append(value)
            if logs is not None:
                logs[self.prefix + key] = value
        if self.verbose:
            shown = " - ".join(f"{self.prefix}{key}: {value:.4g}" for key, value in scores.items())
            print(f"epoch {epoch + 1}: {shown}")
