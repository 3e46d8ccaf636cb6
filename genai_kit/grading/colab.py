"""Lets a student copy's public tests run on Colab.

Otter reads a student copy's public tests from the notebook file itself, and on Colab the
open notebook lives in Drive, not on the machine that runs it. :func:`save_this_notebook`
asks Colab's front end for the open notebook and writes it next to the kernel, so that
``otter.Notebook(NAME)`` and ``grader.check("q1")`` find the tests. Elsewhere it does nothing.
"""
import json
import pathlib
import sys


def running_on_colab():
    """True inside a Colab kernel."""
    return "google.colab" in sys.modules


def save_this_notebook(name):
    """On Colab, writes the open notebook to ``name`` in the working folder; elsewhere, nothing.

    Args:
        name: the student copy's file name, e.g. ``"week05_evaluating_generative_models.ipynb"``.
    Returns:
        ``pathlib.Path`` of the written file on Colab, None elsewhere.
    """
    if not str(name).endswith(".ipynb"):
        raise ValueError(f"expected a notebook's file name ending in .ipynb, got {name!r}")
    if not running_on_colab():
        return None
    from google.colab import _message  # Colab's channel to its front end

    notebook = _message.blocking_request("get_ipynb", request="", timeout_sec=60)["ipynb"]
    path = pathlib.Path(name)
    path.write_text(json.dumps(notebook))
    return path
