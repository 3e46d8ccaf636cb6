"""What a plain (not editable) install of the kit contains, as Colab's `pip install` makes it."""
import pathlib

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib arrived in Python 3.11")

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def test_every_subpackage_is_installed():
    # setuptools installs only the packages listed: a missing one imports in the editable
    # install of this repository and fails on Colab (ModuleNotFoundError: genai_kit.efficient)
    listed = set(tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(path.parent.relative_to(REPOSITORY).parts)
             for path in (REPOSITORY / "genai_kit").rglob("__init__.py")}
    assert found - listed == set(), f"add {sorted(found - listed)} to pyproject.toml's packages"
    assert "genai_kit.assets" in listed
