"""Grades a folder of submissions and writes the gradebook: one row per student.

    python -m genai_kit grade SUBMISSIONS_DIR --out grades.csv

Every ``.ipynb`` in the folder (or one level down, ``alice/week05_....ipynb``) is a
submission; its student is the file's name (or its folder's). Each is graded in its own
process (:mod:`genai_kit.grading.submission`), a few at a time, with a time limit per cell
and one for the whole notebook. A submission that crashes or runs out of time keeps the
points of the questions that ran and gets a reason; it never stops the others. A notebook of
another assignment, or one that is not a student copy, is refused with a message.
"""
import concurrent.futures
import csv
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from collections import Counter

import nbformat

from genai_kit.grading import assignments

# seconds: one cell, and one whole submission (the backstop for a cell that ignores signals)
CELL_TIMEOUT = 120
NOTEBOOK_TIMEOUT = 900
# the row's status, with its meaning
STATUSES = {
    "graded": "ran to the end without an error",
    "errors": "ran to the end; some cells raised (their questions lose their points)",
    "timed out": "stopped after the notebook's time limit: no question was graded",
    "refused": "not graded: another assignment's notebook, or not a student copy",
}
SUBMISSION_SCRIPT = pathlib.Path(__file__).with_name("submission.py")


def find_submissions(folder):
    """The submitted notebooks of a folder, with the student each belongs to.

    Args:
        folder: a folder of ``STUDENT.ipynb`` files, or of ``STUDENT/anything.ipynb``.
    Returns:
        list of (student, path) pairs, sorted by student.
    Raises:
        NotADirectoryError: the folder does not exist.
        ValueError: no notebook in it, or two notebooks of one student.
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"no folder {folder}: pass the folder of submitted notebooks")
    found = {}
    paths = sorted(folder.glob("*.ipynb")) + sorted(folder.glob("*/*.ipynb"))
    for path in paths:
        if ".ipynb_checkpoints" in path.parts:
            continue
        student = path.stem if path.parent == folder else path.parent.name
        if student in found:
            raise ValueError(f"two notebooks for {student}: {found[student].name} and "
                             f"{path.relative_to(folder)}; keep one submission per student")
        found[student] = path
    if not found:
        raise ValueError(f"no .ipynb notebook in {folder} (or its subfolders)")
    return sorted(found.items())


def assignment_of(path):
    """The assignment a notebook was released for, from its metadata, or None."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # not JSON, not a notebook: refused later with the reason
        return None
    return notebook.metadata.get("otter", {}).get("assignment_name")


def _run_submission(path, autograder, cell_timeout, notebook_timeout):
    """Grades one notebook in a subprocess; returns its result dict or a failure reason."""
    import psutil  # ipykernel's dependency: kills the kernel with the grader on a timeout

    with tempfile.TemporaryDirectory() as scratch:
        result_path = pathlib.Path(scratch) / "result.json"
        command = [sys.executable, str(SUBMISSION_SCRIPT), str(path), str(autograder),
                   str(result_path), "--cell-timeout", str(cell_timeout)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            output, _ = process.communicate(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            parent = psutil.Process(process.pid)
            # the kernel runs in its own session: kill the grader's whole process tree
            for child in parent.children(recursive=True) + [parent]:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
            process.communicate()
            return {"timed_out": True}
        if process.returncode != 0 or not result_path.is_file():
            last_lines = " | ".join(output.strip().splitlines()[-3:])[-400:]
            return {"failed": f"the grader exited with status {process.returncode}: {last_lines}"}
        return json.loads(result_path.read_text())


def _row(student, path, assignment, listing, result, notebook_timeout):
    """One gradebook row from a grading result."""
    row = {"student": student, "file": path.name, "assignment": assignment}
    autograded = [question for question in listing if not question["manual"]]
    scores = result.get("scores", {})
    for question in autograded:
        # otter sums a question's test cases in floats (1/3 + 1/3 + 1/3): round the sums
        row[question["name"]] = round(scores.get(question["name"], [0.0])[0], 6)
    for question in listing:
        if question["manual"]:
            row[f"{question['name']} (by hand)"] = ""
    row["autograded"] = round(sum(row[question["name"]] for question in autograded), 6)
    row["possible"] = round(sum(question["points"] for question in autograded), 6)
    if result.get("timed_out"):
        row["status"] = "timed out"
        row["reason"] = (f"the notebook ran past {notebook_timeout} s in all and was stopped: "
                         "make its slow cells faster and grade it again")
    elif result.get("failed") or result.get("catastrophic"):
        row["status"] = "errors"
        row["reason"] = result.get("failed") or f"otter could not grade it: {result['catastrophic']}"
    elif result.get("errors"):
        row["status"] = "errors"
        row["reason"] = "; ".join(f"{error['name']}: {error['message']} (in the cell that "
                                  f"starts {error['cell']!r})" for error in result["errors"][:3])
        if len(result["errors"]) > 3:
            row["reason"] += f"; and {len(result['errors']) - 3} more"
    else:
        row["status"], row["reason"] = "graded", ""
    return row


def _refused(student, path, assignment, listing, reason):
    row = _row(student, path, assignment, listing, {}, None)
    row["status"], row["reason"] = "refused", reason
    return row


def grade_folder(folder, autograder_folder=assignments.BUILD / "autograder", assignment=None,
                 cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT, jobs=None,
                 progress=None):
    """Grades every submission of a folder against one assignment.

    Args:
        folder: the folder of submissions (see :func:`find_submissions`).
        autograder_folder: where ``make assignments`` wrote ``NAME.zip`` and ``NAME.json``.
        assignment: the assignment's name (``weekNN_topic``); default: the one most of the
            submissions were released for.
        cell_timeout: seconds each cell may run, >= 1.
        notebook_timeout: seconds a whole submission may run, > cell_timeout.
        jobs: submissions graded at once, >= 1 (default: the number of CPUs, at most 4).
        progress: a callable that gets each finished row (e.g. to print it), or None.
    Returns:
        list of row dicts, one per student, sorted by student: ``student``, ``file``,
        ``assignment``, the points of each autograded question, an empty column per
        question graded by hand, ``autograded``, ``possible``, ``status`` (a key of
        ``STATUSES``) and ``reason``.
    Raises:
        ValueError: bad timeouts or jobs, an unknown assignment, or no way to tell the
            assignment; FileNotFoundError: the assignment was not built.
    """
    if int(cell_timeout) < 1 or int(notebook_timeout) <= int(cell_timeout):
        raise ValueError(f"need 1 <= cell_timeout < notebook_timeout, got {cell_timeout} and "
                         f"{notebook_timeout} seconds")
    jobs = min(os.cpu_count() or 1, 4) if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    submissions = find_submissions(folder)
    released_for = {student: assignment_of(path) for student, path in submissions}
    if assignment is None:
        named = Counter(name for name in released_for.values() if name)
        if not named:
            raise ValueError(f"no notebook in {folder} is a student copy of an assignment "
                             "(their metadata names none): pass --assignment weekNN_topic")
        assignment = named.most_common(1)[0][0]
    autograder_folder = pathlib.Path(autograder_folder)
    archive = autograder_folder / f"{assignment}.zip"
    listing_path = autograder_folder / f"{assignment}.json"
    if not archive.is_file() or not listing_path.is_file():
        built = sorted(path.stem for path in autograder_folder.glob("*.zip"))
        raise FileNotFoundError(f"no autograder for {assignment} in {autograder_folder} "
                                f"(built: {built or 'none'}): run `make assignments` first, or "
                                "pass the assignment's name with --assignment")
    listing = json.loads(listing_path.read_text())

    rows, pending = [], []
    for student, path in submissions:
        if released_for[student] is None:
            rows.append(_refused(student, path, assignment, listing,
                                 "not a student copy of an assignment (no otter metadata): "
                                 f"submit the {assignment}.ipynb you were given"))
        elif released_for[student] != assignment:
            rows.append(_refused(student, path, assignment, listing,
                                 f"this is the notebook of {released_for[student]}, not of "
                                 f"{assignment}: grade it with --assignment "
                                 f"{released_for[student]}"))
        else:
            pending.append((student, path))
    for row in rows:
        if progress:
            progress(row)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_run_submission, path, archive, cell_timeout, notebook_timeout):
                   (student, path) for student, path in pending}
        for future in concurrent.futures.as_completed(futures):
            student, path = futures[future]
            row = _row(student, path, assignment, listing, future.result(), notebook_timeout)
            rows.append(row)
            if progress:
                progress(row)
    return sorted(rows, key=lambda row: row["student"])


def check_output(out):
    """The gradebook's path, checked before any grading starts.

    Args:
        out: path of a ``.csv`` file in an existing folder.
    Returns:
        ``pathlib.Path``.
    Raises:
        ValueError: not a ``.csv`` name; FileNotFoundError: its folder does not exist.
    """
    out = pathlib.Path(out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"--out {out} must name a .csv file, e.g. --out grades.csv")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"the folder {out.parent} of --out does not exist: create it first")
    return out


def write_csv(rows, out):
    """Writes gradebook rows to a CSV file, one per student, columns in the rows' order.

    Args:
        rows: from :func:`grade_folder` (at least one).
        out: path of the ``.csv`` file (see :func:`check_output`).
    """
    out = check_output(out)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_grade(arguments):
    """``python -m genai_kit grade``: grades a folder and writes the gradebook."""
    out = check_output(arguments.out)

    def show(row):
        line = f"{row['student']}: {row['autograded']:g}/{row['possible']:g} {row['status']}"
        print(line + (f" ({row['reason']})" if row["reason"] else ""), flush=True)

    rows = grade_folder(arguments.submissions, arguments.autograders, arguments.assignment,
                        arguments.cell_timeout, arguments.timeout, arguments.jobs, progress=show)
    write_csv(rows, out)
    counts = Counter(row["status"] for row in rows)
    print(f"gradebook of {rows[0]['assignment']}: {out} ({len(rows)} students: "
          + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) + ")")


def add_grade_arguments(parser):
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                        help="folder of submitted notebooks (STUDENT.ipynb or STUDENT/*.ipynb)")
    parser.add_argument("--out", required=True, help="the gradebook to write, e.g. grades.csv")
    parser.add_argument("--assignment", default=None,
                        help="weekNN_topic (default: the one the submissions were released for)")
    parser.add_argument("--autograders", default=str(assignments.BUILD / "autograder"),
                        help="folder of the autograder archives that `make assignments` wrote")
    parser.add_argument("--timeout", type=int, default=NOTEBOOK_TIMEOUT,
                        help=f"seconds per submission (default {NOTEBOOK_TIMEOUT})")
    parser.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                        help=f"seconds per cell (default {CELL_TIMEOUT})")
    parser.add_argument("--jobs", type=int, default=None,
                        help="submissions graded at once (default: CPUs, at most 4)")
