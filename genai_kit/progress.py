"""Progress bars that read the same live, in an executed notebook, on GitHub and in a log.

tqdm's notebook widget (``tqdm.auto`` in Jupyter) is drawn by the browser: a notebook
executed without one (CI, ``make demo``, nbconvert) saves it as its first frame, ``0%| | 0/7``,
which reads like a cell that hung. A text bar on stdout redraws itself with carriage
returns: live in Jupyter, Colab and a terminal it updates in place, and an executed copy
keeps its final state (nbconvert's ``--coalesce-streams`` drops the frames before it).
"""
import sys

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
