"""Grades one submitted notebook with otter-grader, under a time limit per cell.

The gradebook runs this file as a script, one process per submission, so that a submission
that hangs or crashes its kernel cannot take the others down, and so that the grading process
itself imports only otter (the notebook's kernel imports what the notebook imports):

    python genai_kit/grading/submission.py SUBMISSION.ipynb AUTOGRADER.zip RESULT.json \
        --cell-timeout 120

Otter executes the notebook top to bottom with errors allowed, then runs every test, hidden
ones included. Before that, the grader puts one cell of its own at the top of a copy: it
gives every later cell at most ``--cell-timeout`` seconds (a ``TimeoutError`` stops the cell,
and the cells after it still run), so a submission that sleeps keeps the points of the
questions that ran. RESULT.json holds, per test file (question), the score and the points
possible, and the errors raised by the notebook's cells.
"""
import argparse
import json
import pathlib
import tempfile

import nbformat

# the first line of the grader's own cell, to tell its errors from the student's
TIME_LIMIT_MARK = "# the grader's time limit per cell"
TIME_LIMIT_CELL = TIME_LIMIT_MARK + """ (SIGALRM: a TimeoutError stops a cell that runs past it)
import signal as _grader_signal

def _grader_cell_ran_too_long(signum, frame):
    raise TimeoutError("this cell ran past the grader's limit of {seconds} s per cell")

if hasattr(_grader_signal, "SIGALRM"):
    _grader_signal.signal(_grader_signal.SIGALRM, _grader_cell_ran_too_long)
    get_ipython().events.register("pre_run_cell", lambda info: _grader_signal.alarm({seconds}))
    get_ipython().events.register("post_run_cell", lambda result: _grader_signal.alarm(0))
"""


def with_time_limit(notebook, seconds):
    """A copy of a notebook whose first cell limits every later cell to ``seconds``.

    Args:
        notebook: an ``nbformat`` notebook.
        seconds: int >= 1.
    Returns:
        a new notebook.
    """
    limited = nbformat.from_dict(json.loads(json.dumps(notebook)))
    limited.cells.insert(0, nbformat.v4.new_code_cell(TIME_LIMIT_CELL.format(seconds=int(seconds))))
    return limited


def cell_errors(executed):
    """The errors that the submission's own cells raised, in order.

    Args:
        executed: the executed notebook (otter's results.notebook).
    Returns:
        list of dicts with ``name`` (the exception type), ``message`` (its first line) and
        ``cell`` (the first line of the cell's code).
    """
    errors = []
    for cell in executed.cells:
        if cell.cell_type != "code" or cell.source.startswith(TIME_LIMIT_MARK):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first_line = (cell.source.strip().splitlines() or [""])[0]
                errors.append({"name": output.get("ename", ""),
                               "message": (output.get("evalue", "").splitlines() or [""])[0][:300],
                               "cell": first_line[:120]})
    return errors


def grade(submission, autograder, cell_timeout=120):
    """Grades one notebook.

    Args:
        submission: path of the student's ``.ipynb``.
        autograder: path of the assignment's autograder ``.zip`` (from ``otter assign``).
        cell_timeout: seconds each cell may run, >= 1.
    Returns:
        dict with ``scores`` ({question: [score, possible]}), ``errors`` (from
        :func:`cell_errors`) and ``catastrophic`` (otter's own failure as text, or None).
    """
    import otter.api

    submission = pathlib.Path(submission)
    notebook = nbformat.read(submission, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        # the notebook opens its tests as otter.Notebook("<assignment>.ipynb"): grade a copy
        # of that name, whatever the student called the file
        name = notebook.metadata.get("otter", {}).get("assignment_name") or submission.stem
        copy = pathlib.Path(scratch) / f"{name}.ipynb"
        nbformat.write(with_time_limit(notebook, cell_timeout), copy)
        results = otter.api.grade_submission(str(copy), str(autograder), quiet=True)
    scores = {name: [float(results.get_score(name)), float(results.get_result(name).possible)]
              for name in results.test_files}
    catastrophic = results.catastrophic_error
    return {"scores": scores,
            "errors": cell_errors(results.notebook) if results.notebook is not None else [],
            "catastrophic": None if catastrophic is None else repr(catastrophic)[:500]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission")
    parser.add_argument("autograder")
    parser.add_argument("result", help="where to write the result JSON")
    parser.add_argument("--cell-timeout", type=int, default=120)
    arguments = parser.parse_args(argv)
    result = grade(arguments.submission, arguments.autograder, arguments.cell_timeout)
    pathlib.Path(arguments.result).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
