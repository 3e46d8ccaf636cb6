"""Graded exercises: master notebooks, the student and autograder copies, and a gradebook.

The course's graded questions are written in otter-grader's master-notebook format (one
notebook per week in ``assignments/``, with ``# BEGIN QUESTION``, ``# BEGIN SOLUTION`` and
``# BEGIN TESTS`` blocks, public and hidden tests). Otter writes the copies:

- :mod:`genai_kit.grading.assignments` runs ``otter assign`` on every master and lays out
  ``build/assignments/`` (student copies, autograder archives, solutions, rubrics);
- :mod:`genai_kit.grading.submission` grades one submitted notebook with ``otter run``'s
  engine, under a time limit per cell, in its own process;
- :mod:`genai_kit.grading.gradebook` grades a folder of submissions, a few at a time, each
  under a time limit, and writes one row per student.

``python -m genai_kit grade SUBMISSIONS_DIR --out grades.csv`` is the instructors' command.
"""
