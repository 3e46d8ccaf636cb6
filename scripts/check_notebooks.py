"""Fails when an executed notebook shows a student something that reads as a failure.

Looks through the saved outputs of executed notebooks for:
- a traceback (an error output, or "Traceback (most recent call last)" in printed text);
- an error-level line of TensorFlow's C++ logging (``E0000 00:00:...`` or ``F...``), which
  HTML pages show in red;
- TensorFlow's retracing warning ("triggered tf.function retracing");
- a progress-bar widget, which a notebook executed without a browser saves as its first
  frame (``0%| | 0/7``): it reads like a cell that hung.

Run it on executed copies (``make demo`` and ``make test`` do):

    python scripts/check_notebooks.py build/notebooks/*.ipynb

Exit status 0 when every notebook is clean, 1 otherwise, with one line per finding.
"""
import argparse
import json
import pathlib
import re
import sys

# absl-style C++ log lines at ERROR or FATAL level: "E0000 00:00:1712345678.123456  123 file.cc:12]"
_CPP_ERROR_LINE = re.compile(r"^[EF]\d{4} \d\d:\d\d:\d\d", re.MULTILINE)
# TensorFlow's older C++ log format: "2024-05-01 12:00:00.000000: E tensorflow/..."
_OLD_CPP_ERROR_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [EF] ", re.MULTILINE)
_RETRACING = "triggered tf.function retracing"
_TRACEBACK = "Traceback (most recent call last)"
_WIDGET = "application/vnd.jupyter.widget-view+json"


def _output_text(output):
    """The printed text of one output: stream text, or the text/plain of a result."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def findings(notebook_path):
    """Problems in one executed notebook, as "path: cell N: what" strings (empty if clean)."""
    notebook = json.loads(pathlib.Path(notebook_path).read_text())
    problems = []
    code_cells = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        where = f"{notebook_path}: code cell {number}"
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{where}: raised {output.get('ename')}: {output.get('evalue')}")
                continue
            if _WIDGET in output.get("data", {}):
                problems.append(f"{where}: a widget (a progress bar saved as its first frame)")
            text = _output_text(output)
            for pattern in (_CPP_ERROR_LINE, _OLD_CPP_ERROR_LINE):
                for match in pattern.finditer(text):
                    line = text[match.start():].splitlines()[0]
                    problems.append(f"{where}: TensorFlow error line: {line[:160]}")
            if _RETRACING in text:
                problems.append(f"{where}: a tf.function retracing warning")
            if _TRACEBACK in text:
                problems.append(f"{where}: a printed traceback")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", help="executed .ipynb files")
    arguments = parser.parse_args(argv)
    problems = [problem for path in arguments.notebooks for problem in findings(path)]
    for problem in problems:
        print(problem)
    print(f"checked {len(arguments.notebooks)} executed notebooks: "
          f"{len(problems) or 'no'} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
