"""Progress bars that read the same live, in an executed notebook, on GitHub and in a log.

tqdm's notebook widget (``tqdm.auto`` in Jupyter) is drawn by the browser: a notebook
executed without one (CI, ``make demo``, nbconvert) saves it as its first frame, ``0%| | 0/7``,
which reads like a cell that hung. A text bar on stdout redraws itself with carriage
returns: live in Jupyter, Colab and a terminal it updates in place, and an executed copy
keeps its final state (nbconvert's ``--coalesce-streams`` drops the frames before it).
"""
import sys

import keras
from tqdm.std import tqdm

# redraw at most twice a second: a long loop leaves a short output behind
_MIN_INTERVAL_SECONDS = 0.5


def progress_bar(iterable=None, **options):
    """A text tqdm bar on stdout, e.g. ``for batch in progress_bar(batches, desc="sampling")``.

    Args:
        iterable: what to iterate over, or None with ``total=`` for a bar updated by hand.
        options: tqdm's arguments (``desc``, ``total``, ``unit``, ``disable``, ...).
    Returns:
        a ``tqdm`` object.
    """
    options.setdefault("file", sys.stdout)
    options.setdefault("mininterval", _MIN_INTERVAL_SECONDS)
    options.setdefault("dynamic_ncols", False)
    options.setdefault("ncols", 80)
    return tqdm(iterable, **options)



class EpochProgress(keras.callbacks.Callback):
    """One text bar over a whole ``fit``, one tick per epoch, with the latest loss beside it.

    ``fit(verbose=1)`` draws a bar per epoch (a long run leaves hundreds of lines behind) and
    ``verbose=0`` shows nothing for many minutes; this draws one line that ends as, e.g.,
    ``beta 4: 100%|█████| 30/30 [01:12<00:00, loss=131.7]``. Use it with
    ``fit(..., verbose=0, callbacks=[progress.EpochProgress("beta 4")])``.

    Args:
        desc: the bar's label.
        monitor: the log entry shown beside the bar, e.g. "loss" or "val_loss".
    """

    def __init__(self, desc="epochs", monitor="loss"):
        super().__init__()
        self.desc, self.monitor = desc, monitor
        self.bar = None

    def on_train_begin(self, logs=None):
        self.bar = progress_bar(total=self.params.get("epochs"), desc=self.desc, unit="epoch")

    def on_epoch_begin(self, epoch, logs=None):
        # a resumed fit (initial_epoch > 0) starts its bar where the run stopped
        if self.bar.n < epoch:
            self.bar.update(epoch - self.bar.n)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None:
            self.bar.set_postfix({self.monitor: f"{float(value):.4g}"}, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()
