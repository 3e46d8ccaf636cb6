"""The graded assignments: every master builds, its solutions get full points, its student copy
scores 0, and the gradebook handles a correct, a blank, a wrong, a crashing, a sleeping and a
never-ending submission, and one of another week, in bounded time.

The notebook-running tests grade each week's two copies (a kernel each) and week 5's fixture
cases; none runs a teaching notebook.
"""
import copy
import csv
import json

import nbformat
import pytest

from genai_kit.grading import assignments, gradebook, submission

WEEK5 = "week05_evaluating_generative_models"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every master built by otter assign into a scratch build folder."""
    out = tmp_path_factory.mktemp("assignments")
    names = assignments.build(out=out)
    return out, names


def _solution_with(built, name, cell_start, edit):
    """The solution copy of ``name`` with one code cell's source edited."""
    out, _ = built
    notebook = nbformat.read(out / "solutions" / f"{name}.ipynb", as_version=4)
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(cell_start):
            cell.source = edit(cell.source)
            return notebook
    raise KeyError(f"no code cell of {name} starts with {cell_start!r}")


# --- the masters and their copies --------------------------------------------------------

def test_every_teaching_week_has_a_master_with_three_to_six_questions(built):
    _, names = built
    weeks = sorted(int(name[4:6]) for name in names)
    taught = sorted(int(path.name[:2]) for path in
                    (assignments.REPOSITORY / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert weeks == taught, f"expected a master for each teaching week {taught}, got {names}"
    for master in assignments.masters():
        found = assignments.questions(master)
        assert 3 <= len(found) <= 6, f"{master.name} has {len(found)} questions"
        assert all(question["points"] > 0 for question in found)
        assert sum(not question["manual"] for question in found) >= 3, master.name


def test_student_copies_hold_no_solution_and_no_hidden_test(built):
    out, names = built
    for name in names:
        student = nbformat.read(out / "student" / f"{name}.ipynb", as_version=4)
        text = "\n".join(cell.source for cell in student.cells)
        assert "BEGIN SOLUTION" not in text and "# SOLUTION" not in text, name
        tests = student.metadata["otter"]["tests"]
        for question, test in tests.items():
            for suite in test["suites"]:
                assert not any(case["hidden"] for case in suite["cases"]), (name, question)
        # and the autograder has hidden tests for every autograded question
        listing = json.loads((out / "autograder" / f"{name}.json").read_text())
        assert {question["name"] for question in listing if not question["manual"]} == set(tests)


def test_questions_graded_by_hand_are_exported_with_a_rubric(built):
    out, names = built
    manual_weeks = 0
    for name in names:
        listing = json.loads((out / "autograder" / f"{name}.json").read_text())
        page = (out / "rubrics" / f"{name}.md").read_text()
        for question in listing:
            if question["manual"]:
                manual_weeks += 1
                assert f"## {question['name']}" in page and "ubric" in page, name
    assert manual_weeks >= 1, "at least one discussion question is graded by hand"


def test_a_misnamed_master_is_refused_with_the_fix(tmp_path):
    master = assignments.masters()[0]
    wrong = tmp_path / "week99_renamed.ipynb"
    wrong.write_bytes(master.read_bytes())
    with pytest.raises(ValueError, match="must say `name: week99_renamed`"):
        assignments.assignment_config(wrong)
    with pytest.raises(ValueError, match="unknown assignment"):
        assignments.build(out=tmp_path / "out", names=["week42_nothing"])


def test_a_question_name_used_twice_is_refused(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 1"),
        nbformat.v4.new_raw_cell("# END QUESTION"),
        nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"),
        nbformat.v4.new_raw_cell("# END QUESTION")])
    path = tmp_path / "week98_twice.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(ValueError, match="used twice"):
        assignments.questions(path)


# --- grading every week's copies ---------------------------------------------------------

def test_solutions_get_full_points_and_untouched_student_copies_score_zero(built, tmp_path):
    out, names = built
    for name in names:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "solution.ipynb").write_bytes((out / "solutions" / f"{name}.ipynb").read_bytes())
        (folder / "blank.ipynb").write_bytes((out / "student" / f"{name}.ipynb").read_bytes())
        rows = {row["student"]: row for row in
                gradebook.grade_folder(folder, out / "autograder", jobs=2)}
        solution, blank = rows["solution"], rows["blank"]
        assert solution["status"] == "graded", (name, solution["reason"])
        assert solution["autograded"] == solution["possible"] > 0, (name, solution)
        # an untouched copy runs to the end: its answer cells hold `...`, its checks fail
        assert blank["status"] in ("graded", "errors"), (name, blank["reason"])
        assert "timed out" not in blank["reason"], name
        assert blank["autograded"] == 0, (name, blank)


# --- the five cases of a gradebook -------------------------------------------------------

def test_gradebook_of_correct_blank_wrong_crashing_sleeping_and_foreign_submissions(built, tmp_path):
    out, _ = built
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(nbformat.read(out / "solutions" / f"{WEEK5}.ipynb", as_version=4),
                   folder / "correct.ipynb")
    (folder / "blank.ipynb").write_bytes((out / "student" / f"{WEEK5}.ipynb").read_bytes())
    # FID without the square-root term: question 2 only
    nbformat.write(_solution_with(built, WEEK5, "def frechet_distance",
                                  lambda source: source.replace(" - 2.0 * root", "")),
                   folder / "wrong.ipynb")
    # a crash in question 3's cell: the other questions keep their points
    nbformat.write(_solution_with(built, WEEK5, "def covered_classes",
                                  lambda source: 'raise RuntimeError("lost my kernel")\n' + source),
                   folder / "crashing.ipynb")
    # a cell that sleeps: the per-cell limit stops it, the cells after it still run
    nbformat.write(_solution_with(built, WEEK5, "def covered_classes",
                                  lambda source: "import time\ntime.sleep(3600)\n" + source),
                   folder / "sleeping.ipynb")
    # a setup cell that ignores the limit's signal and never ends: the notebook's limit stops it
    never_ending = nbformat.read(out / "student" / f"{WEEK5}.ipynb", as_version=4)
    setup = next(cell for cell in never_ending.cells if cell.cell_type == "code")
    setup.source = ("import signal, time\n"
                   "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                   "while True:\n"
                   "    time.sleep(1)")
    nbformat.write(never_ending, folder / "never_ending.ipynb")
    # another week's student copy
    (folder / "other_week.ipynb").write_bytes(
        (out / "student" / "week00_generative_vs_discriminative.ipynb").read_bytes())

    # the limits leave a loaded machine time to import TensorFlow in a cell
    rows = gradebook.grade_folder(folder, out / "autograder", assignment=WEEK5, cell_timeout=40,
                                  notebook_timeout=100, jobs=3)
    gradebook.write_csv(rows, tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as handle:
        table = {row["student"]: row for row in csv.DictReader(handle)}

    listing = json.loads((out / "autograder" / f"{WEEK5}.json").read_text())
    points = {question["name"]: question["points"] for question in listing}
    full = sum(points[name] for name in points if not name.startswith("q4"))
    assert set(table) == {"correct", "blank", "wrong", "crashing", "sleeping", "never_ending",
                          "other_week"}
    assert "q4_fid_bias (by hand)" in table["correct"], "the hand-graded question has a column"

    def score(student, column="autograded"):
        return float(table[student][column])

    assert score("correct") == full and table["correct"]["status"] == "graded", table["correct"]["status"] + ": " + table["correct"]["reason"]
    assert score("blank") == 0
    assert score("wrong") == full - points["q2_frechet_distance"]
    assert score("wrong", "q2_frechet_distance") == 0 and score("wrong", "q1_inception_score") > 0
    for student, error in (("crashing", "RuntimeError"), ("sleeping", "TimeoutError")):
        assert score(student) == full - points["q3_mode_collapse"], student
        assert table[student]["status"] == "errors" and error in table[student]["reason"]
    assert table["never_ending"]["status"] == "timed out", table["never_ending"]
    assert score("never_ending") == 0 and "100 s" in table["never_ending"]["reason"]
    assert table["other_week"]["status"] == "refused"
    assert "week00_generative_vs_discriminative" in table["other_week"]["reason"]


# --- bad input ---------------------------------------------------------------------------

def test_bad_folders_and_outputs_get_messages_that_say_what_to_do(tmp_path):
    with pytest.raises(NotADirectoryError, match="no folder"):
        gradebook.find_submissions(tmp_path / "missing")
    with pytest.raises(ValueError, match="no .ipynb"):
        gradebook.find_submissions(tmp_path)
    (tmp_path / "ada.ipynb").write_text("{}")
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "week05.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="two notebooks for ada"):
        gradebook.find_submissions(tmp_path)
    with pytest.raises(ValueError, match="must name a .csv"):
        gradebook.check_output(tmp_path / "grades.xlsx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gradebook.check_output(tmp_path / "nowhere" / "grades.csv")


def test_grading_needs_a_built_assignment_and_sane_limits(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["otter"] = {"assignment_name": WEEK5}
    nbformat.write(notebook, folder / "ada.ipynb")
    with pytest.raises(FileNotFoundError, match="run `make assignments` first"):
        gradebook.grade_folder(folder, tmp_path / "empty")
    with pytest.raises(ValueError, match="cell_timeout < notebook_timeout"):
        gradebook.grade_folder(folder, tmp_path, cell_timeout=60, notebook_timeout=30)
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        gradebook.grade_folder(folder, tmp_path, jobs=0)
    nbformat.write(nbformat.v4.new_notebook(), folder / "ada.ipynb")
    with pytest.raises(ValueError, match="pass --assignment"):
        gradebook.grade_folder(folder, tmp_path)


def test_the_time_limit_cell_comes_first_and_its_errors_are_not_the_students():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    limited = submission.with_time_limit(notebook, 7)
    assert len(limited.cells) == 2 and len(notebook.cells) == 1, "the original is not changed"
    assert limited.cells[0].source.startswith(submission.TIME_LIMIT_MARK)
    assert "alarm(7)" in limited.cells[0].source
    limited.cells[0].outputs = [nbformat.v4.new_output("error", ename="X", evalue="e")]
    limited.cells[1].outputs = [nbformat.v4.new_output("error", ename="NameError",
                                                       evalue="name 'y' is not defined\nmore")]
    assert submission.cell_errors(limited) == [
        {"name": "NameError", "message": "name 'y' is not defined", "cell": "x = 1"}]


def test_every_teaching_notebook_names_its_graded_assignment():
    notebooks = sorted((assignments.REPOSITORY / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    masters = {path.name for path in assignments.masters()}
    for path in notebooks:
        name = f"week{path.stem}.ipynb"
        text = path.read_text()
        assert f"assignments/{name}" in text, f"{path.name} does not name its graded assignment"
        assert name in masters, f"{path.name} names {name}, which has no master"
