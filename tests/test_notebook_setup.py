"""The notebooks' setup cell installs the kit's tagged release, the one ``genai_kit.__version__`` names."""
import json
import pathlib
import re

import pytest

import genai_kit

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
INSTALL = re.compile(r"%pip install\b.*\bgit\+https://github\.com/genai-kit/genai_kit(\S*)")


def install_lines(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [match for cell in cells if cell["cell_type"] == "code"
            for line in cell["source"] if (match := INSTALL.search(line))]


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_setup_cell_installs_the_release_tag_of_this_version(notebook):
    # a branch moves: whoever can push to it would run code in every student's Colab; a tag
    # is the release the notebook was written for
    [install] = install_lines(notebook)
    assert install.group(1) == f"@v{genai_kit.__version__}", (
        f"{notebook.name} installs {install.group(0)!r}: on a release, set the setup cell's "
        f"pip line to git+https://github.com/genai-kit/genai_kit@v{genai_kit.__version__}")
