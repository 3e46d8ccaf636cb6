"""``python -m genai_kit sample`` and ``evaluate``: shipped models and .keras files, bad input."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from genai_kit import __main__ as command_line
from genai_kit import commands, features, pretrained

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def run(*arguments):
    """The command in this process: (exit code, stdout, stderr)."""
    try:
        command_line.main(list(arguments))
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code


def test_help_lists_the_three_commands():
    result = subprocess.run([sys.executable, "-m", "genai_kit", "--help"], capture_output=True,
                            text=True, cwd=REPOSITORY, timeout=120)
    assert result.returncode == 0
    for command in ("train", "sample", "evaluate"):
        assert command in result.stdout


def test_sample_writes_the_same_png_bytes_for_the_same_seed_across_processes(tmp_path):
    paths = [tmp_path / "first.png", tmp_path / "second.png"]
    for path in paths:
        result = subprocess.run([sys.executable, "-m", "genai_kit", "sample", "vae", "--num",
                                 "6", "--seed", "5", "--ncols", "3", "--out", str(path)],
                                capture_output=True, text=True, cwd=REPOSITORY, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    grid = np.asarray(Image.open(paths[0]))
    # 2 rows x 3 columns of 28-pixel digits with 2-pixel padding
    assert grid.shape == (2 * 28 + 3 * 2, 3 * 28 + 4 * 2, 3)
    other = tmp_path / "other.png"
    assert run("sample", "vae", "--num", "6", "--seed", "6", "--ncols", "3",
               "--out", str(other)) == 0
    assert other.read_bytes() != paths[0].read_bytes()


def test_sample_draws_the_requested_digit_with_guidance(tmp_path):
    images = commands.sample_images(pretrained.load("diffusion"), 20, seed=0, class_label=3,
                                    guidance=3.0, steps=20)
    labels, _ = features.classify_digits(images)
    assert np.mean(labels == 3) >= 0.8, labels


def test_sample_a_keras_file_from_a_run(tmp_path):
    model = pretrained.load("autoencoder")
    path = tmp_path / "autoencoder.keras"
    model.save(path)
    out = tmp_path / "grid.png"
    assert run("sample", str(path), "--num", "4", "--out", str(out)) == 0
    assert Image.open(out).size == (4 * 28 + 5 * 2, 28 + 2 * 2)


def test_evaluate_prints_the_figures_as_json(capsys):
    assert run("evaluate", "autoencoder", "--num", "50", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["num_samples"] == 50 and report["num_real"] == 500
    assert 0.0 <= report["recognised"] <= 1.0 and 1.0 <= report["effective_classes"] <= 10.0
    # the shipped autoencoder reconstructs held-out digits well: its recorded MSE
    assert report["mse"] == pytest.approx(pretrained.record("autoencoder")["figures"]["mse"],
                                          rel=1e-3)


def test_evaluate_prints_a_readable_report(capsys):
    assert run("evaluate", "vae", "--num", "50") == 0
    text = capsys.readouterr().out
    assert "MNIST-FID" in text and "held-out ELBO" in text and "effective classes" in text


@pytest.mark.parametrize("arguments, expected", [
    (["sample", "difusion", "--out", "OUT/grid.png"], "neither a shipped model"),
    (["sample", "weights.h5", "--out", "OUT/grid.png"], "nor a .keras file"),
    (["sample", "OUT/missing.keras", "--out", "OUT/grid.png"], "no file"),
    (["sample", "vae", "--class", "3", "--out", "OUT/grid.png"], "unconditional"),
    (["sample", "vae", "--steps", "10", "--out", "OUT/grid.png"], "diffusion models only"),
    (["sample", "diffusion", "--steps", "5000", "--out", "OUT/grid.png"], "--steps must be in"),
    (["sample", "diffusion", "--class", "12", "--out", "OUT/grid.png"], "--class must be in"),
    (["sample", "diffusion", "--guidance", "3", "--out", "OUT/grid.png"], "needs --class"),
    (["sample", "vae", "--out", "OUT/no/such/folder/grid.png"], "does not exist"),
    (["sample", "vae", "--out", "OUT/grid.jpg"], "must name a .png"),
    (["sample", "vae", "--num", "0", "--out", "OUT/grid.png"], "--num must be"),
    (["evaluate", "vae", "--num", "1"], "--num must be"),
])
def test_bad_input_exits_2_with_one_line(arguments, expected, tmp_path, capsys):
    arguments = [argument.replace("OUT", str(tmp_path)) for argument in arguments]
    assert run(*arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and "Traceback" not in error
    assert expected in error, error


def test_a_file_that_is_not_a_model_exits_2(tmp_path, capsys):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip file")
    assert run("sample", str(path), "--out", str(tmp_path / "grid.png")) == 2
    error = capsys.readouterr().err.strip()
    assert "cannot load" in error and "\n" not in error
