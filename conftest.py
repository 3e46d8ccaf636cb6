"""Pytest settings for the whole repository: tests/ and the notebooks run by nbmake.

At the end of a run that executed notebooks, prints how long each one took, so an
instructor sees which week is slow.
"""
import os

# quiet TensorFlow in every test and notebook kernel
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_notebook_results = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb") and report.when == "call":
        _notebook_results[path] = (report.duration, report.outcome)


def pytest_terminal_summary(terminalreporter):
    if not _notebook_results:
        return
    terminalreporter.section("notebook times")
    width = max(len(path) for path in _notebook_results)
    for path, (seconds, outcome) in sorted(_notebook_results.items()):
        terminalreporter.write_line(f"{path:<{width}}  {seconds:7.1f} s  {outcome}")
    total = sum(seconds for seconds, _ in _notebook_results.values())
    terminalreporter.write_line(f"{'total':<{width}}  {total:7.1f} s")
