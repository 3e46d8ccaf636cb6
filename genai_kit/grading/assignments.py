"""The weekly assignments: read the master notebooks and build every copy with ``otter assign``.

A master notebook ``assignments/weekNN_topic.ipynb`` holds the questions, their solutions
and their tests in otter-grader's format; ``assignments/README.md`` shows how to write one.
:func:`build` writes, for every master::

    build/assignments/student/weekNN_topic.ipynb      to release: prompts and public tests
    build/assignments/autograder/weekNN_topic.zip     to grade with: every test, hidden too
    build/assignments/autograder/weekNN_topic.json    its questions and points (gradebook columns)
    build/assignments/solutions/weekNN_topic.ipynb    the answers (never release it)
    build/assignments/rubrics/weekNN_topic.md         the questions graded by hand

    python -m genai_kit.grading.assignments            # what ``make assignments`` runs
"""
import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import nbformat
import yaml

# the repository's folders (the kit installed in place with ``pip install -e .``)
REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
MASTERS = REPOSITORY / "assignments"
BUILD = REPOSITORY / "build" / "assignments"
# weekNN_topic: the week first, so that a folder lists the assignments in course order
MASTER_NAME = re.compile(r"^week\d\d_[a-z0-9_]+$")
# the copies' folders, inside the build folder
COPIES = ("student", "autograder", "solutions", "rubrics")


def masters(folder=MASTERS):
    """The master notebooks of a folder, in course order.

    Args:
        folder: a folder of ``weekNN_topic.ipynb`` masters.
    Returns:
        list of ``pathlib.Path``, sorted by name.
    Raises:
        FileNotFoundError: the folder does not exist or holds no master.
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}: the masters live in the repository's "
                                "assignments/ folder")
    found = sorted(path for path in folder.glob("week*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no weekNN_topic.ipynb master notebook in {folder}")
    return found


def _raw_block(cell, keyword):
    """The YAML under a raw cell's ``# KEYWORD`` first line, as a dict, or None."""
    if cell.cell_type != "raw":
        return None
    lines = cell.source.strip().splitlines()
    if not lines or lines[0].strip().upper() != f"# {keyword}":
        return None
    return yaml.safe_load("\n".join(lines[1:])) or {}


def assignment_config(master):
    """The ``# ASSIGNMENT CONFIG`` of a master notebook.

    Args:
        master: path of a master notebook.
    Returns:
        dict: otter's assignment configuration (``name`` is the assignment's name).
    Raises:
        ValueError: the notebook has no assignment config, or its ``name`` is not the file's.
    """
    master = pathlib.Path(master)
    notebook = nbformat.read(master, as_version=4)
    for cell in notebook.cells:
        config = _raw_block(cell, "ASSIGNMENT CONFIG")
        if config is not None:
            break
    else:
        raise ValueError(f"{master.name} has no '# ASSIGNMENT CONFIG' raw cell: it is not a "
                         "master notebook (see assignments/README.md)")
    if not MASTER_NAME.match(master.stem) or config.get("name") != master.stem:
        raise ValueError(f"{master.name}: the file must be named weekNN_topic.ipynb and its "
                         f"ASSIGNMENT CONFIG must say `name: {master.stem}`, "
                         f"got name {config.get('name')!r}")
    return config


def questions(master):
    """The questions of a master notebook, in order.

    Args:
        master: path of a master notebook.
    Returns:
        list of dicts with ``name`` (str), ``points`` (float), ``manual`` (bool: graded by
        hand), ``prompt`` and ``solution`` (the question's markdown and its solution cells'
        text).
    Raises:
        ValueError: a question without a name or points, or a name used twice.
    """
    notebook = nbformat.read(pathlib.Path(master), as_version=4)
    found, current, block = [], None, None
    for cell in notebook.cells:
        config = _raw_block(cell, "BEGIN QUESTION")
        if config is not None:
            if "name" not in config or "points" not in config:
                raise ValueError(f"{pathlib.Path(master).name}: every question needs a `name` "
                                 f"and `points`, got {config}")
            current = {"name": str(config["name"]), "points": float(config["points"]),
                       "manual": bool(config.get("manual", False)), "prompt": [],
                       "solution": []}
            found.append(current)
            block = "prompt"
            continue
        if current is None:
            continue
        if cell.cell_type == "raw":
            marker = cell.source.strip().upper()
            if marker == "# END QUESTION":
                current, block = None, None
            elif marker == "# BEGIN SOLUTION":
                block = "solution"
            elif marker in ("# END SOLUTION", "# BEGIN TESTS", "# END TESTS"):
                block = "tests" if marker == "# BEGIN TESTS" else "prompt"
            continue
        if block in ("prompt", "solution"):
            current[block].append(cell.source)
    names = [question["name"] for question in found]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{pathlib.Path(master).name}: question names used twice: {repeated}")
    return [dict(question, prompt="\n\n".join(question["prompt"]),
                 solution="\n\n".join(question["solution"])) for question in found]


def rubric(master):
    """The questions graded by hand, with their model answers and rubrics, as markdown.

    Args:
        master: path of a master notebook.
    Returns:
        str: a markdown page, or a line saying that every question is autograded.
    """
    master = pathlib.Path(master)
    manual = [question for question in questions(master) if question["manual"]]
    lines = [f"# {master.stem}: questions graded by hand", ""]
    if not manual:
        return "\n".join(lines + ["Every question of this assignment is autograded.", ""])
    for question in manual:
        # the solution's own markers only tell otter what to strip from the student copy
        solution = "\n".join(line for line in question["solution"].splitlines()
                             if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION"))
        lines += [f"## {question['name']} ({question['points']:g} points)", "",
                  question["prompt"], "", "### Model answer and rubric", "",
                  solution, ""]
    return "\n".join(lines)


def build(masters_folder=MASTERS, out=BUILD, names=None):
    """Runs ``otter assign`` on master notebooks and lays out their copies under ``out``.

    Args:
        masters_folder: the folder of master notebooks.
        out: the build folder; its ``student/``, ``autograder/``, ``solutions/`` and
            ``rubrics/`` subfolders are written (old copies of the same names replaced).
        names: assignment names to build (default: every master).
    Returns:
        list of the assignment names built.
    Raises:
        ValueError: an unknown name, or a master that otter refuses (its message included).
    """
    out = pathlib.Path(out)
    available = {path.stem: path for path in masters(masters_folder)}
    names = list(available) if names is None else list(names)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown}: choose from {sorted(available)}")
    for copy in COPIES:
        (out / copy).mkdir(parents=True, exist_ok=True)
    for name in names:
        master = available[name]
        assignment_config(master)  # refuses a master that is misnamed before otter runs
        with tempfile.TemporaryDirectory() as scratch:
            dist = pathlib.Path(scratch) / "dist"
            # otter names its archive after the master and a timestamp; run it on a copy
            # in the scratch folder so that nothing is written next to the master
            shutil.copy(master, pathlib.Path(scratch) / master.name)
            done = subprocess.run([sys.executable, "-m", "otter", "assign", master.name, "dist"],
                                  cwd=scratch, capture_output=True, text=True)
            if done.returncode != 0:
                raise ValueError(f"otter assign refused {master.name}:\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
            (archive,) = (dist / "autograder").glob("*.zip")
            shutil.copy(archive, out / "autograder" / f"{name}.zip")
            shutil.copy(dist / "autograder" / master.name, out / "solutions" / master.name)
            shutil.copy(dist / "student" / master.name, out / "student" / master.name)
        (out / "rubrics" / f"{name}.md").write_text(rubric(master))
        # the gradebook's columns: every question with its points, by hand or not
        listing = [{key: question[key] for key in ("name", "points", "manual")}
                   for question in questions(master)]
        (out / "autograder" / f"{name}.json").write_text(json.dumps(listing, indent=1) + "\n")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m genai_kit.grading.assignments",
        description="Build the student copies, autograder archives, solutions and rubrics.")
    parser.add_argument("names", nargs="*", help="assignments to build (default: all)")
    parser.add_argument("--masters", default=str(MASTERS), help="folder of master notebooks")
    parser.add_argument("--out", default=str(BUILD), help="build folder")
    arguments = parser.parse_args(argv)
    try:
        built = build(arguments.masters, arguments.out, arguments.names or None)
    except (ValueError, FileNotFoundError) as error:
        parser.exit(2, f"error: {error}\n")
    print(f"built {len(built)} assignment(s) in {arguments.out}: student/ to release, "
          "autograder/ to grade with, solutions/ and rubrics/ for instructors")


if __name__ == "__main__":
    main()
