"""The notebooks' setup cells: the kit's tagged release (the one ``genai_kit.__version__`` names),
and for the weeks that train on a GPU, a check that says how to switch one on."""
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


# the weeks whose full runs want a GPU: Colab opens them on one, and they say so when it is off
GPU_WEEKS = ("04_gans", "06_diffusion")


@pytest.mark.parametrize("stem", GPU_WEEKS)
def test_gpu_weeks_ask_colab_for_a_gpu_and_check_for_one(stem):
    notebook = json.loads((NOTEBOOKS[0].parent / f"{stem}.ipynb").read_text(encoding="utf-8"))
    assert notebook["metadata"].get("accelerator") == "GPU"
    setup = "".join(next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")["source"])
    assert "accelerator_report()" in setup


def test_accelerator_report_names_the_gpus_or_says_how_to_switch_one_on():
    assert genai_kit.config.accelerator_report(["/physical_device:GPU:0"]) == \
        "training on 1 GPU: /physical_device:GPU:0"
    assert "2 GPUs" in genai_kit.config.accelerator_report(["GPU:0", "GPU:1"])
    without = genai_kit.config.accelerator_report([])
    assert without.startswith("no GPU: training on a CPU (float32)")
    assert "Runtime > Change runtime type" in without
    assert genai_kit.config.accelerator_report().startswith("no GPU")  # the test machines have none


def test_accelerator_report_says_when_the_cpu_trains_in_bfloat16(cpu_with_bfloat16):
    assert "mixed bfloat16" in genai_kit.config.accelerator_report([])
