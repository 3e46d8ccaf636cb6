"""The check of executed notebooks flags what reads as a failure, and nothing else."""
import json

import pytest

check = pytest.importorskip("scripts.check_notebooks", reason="run from the repository root")


def executed_notebook(tmp_path, *outputs):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Week 0"},
             {"cell_type": "code", "metadata": {}, "source": "print(1)", "execution_count": 1,
              "outputs": list(outputs)}]
    path = tmp_path / "executed.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return str(path)


def stream(text, name="stderr"):
    return {"output_type": "stream", "name": name, "text": text}


CLEAN_OUTPUTS = [
    stream("loss 0.231\n", "stdout"),
    stream("evaluating: 100%|##########| 7/7 [00:03<00:00,  2.1step/s]\n"),
    # a warning-level line is not an error
    stream("W0000 00:00:1712345678.123456    12 cpu_feature_guard.cc:12] something\n"),
    {"output_type": "execute_result", "execution_count": 1, "metadata": {},
     "data": {"text/plain": "{'fid': 12.5}"}},
]

BAD_OUTPUTS = {
    "TensorFlow error line": stream(
        "E0000 00:00:1712345678.123456   123 meta_optimizer.cc:967] remapper failed: ...\n"),
    "old-format error line": stream(
        "2024-05-01 12:00:00.123456: E tensorflow/core/util/util.cc:131] oneDNN ...\n"),
    "retracing": stream("WARNING:tensorflow:5 out of the last 9 calls to <function f> "
                        "triggered tf.function retracing. Tracing is expensive\n"),
    "raised": {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []},
    "printed traceback": stream("Traceback (most recent call last):\n  File ...\n"),
    "widget": {"output_type": "display_data", "metadata": {},
               "data": {"text/plain": "  0%|          | 0/7 [00:00<?, ?it/s]",
                        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}}},
}


def test_a_clean_executed_notebook_passes(tmp_path, capsys):
    assert check.findings(executed_notebook(tmp_path, *CLEAN_OUTPUTS)) == []
    assert check.main([executed_notebook(tmp_path, *CLEAN_OUTPUTS)]) == 0
    assert "no problems" in capsys.readouterr().out


@pytest.mark.parametrize("kind", sorted(BAD_OUTPUTS))
def test_each_kind_of_failure_looking_output_is_flagged(tmp_path, kind):
    path = executed_notebook(tmp_path, *CLEAN_OUTPUTS, BAD_OUTPUTS[kind])
    problems = check.findings(path)
    assert len(problems) == 1, problems
    assert "code cell 1" in problems[0]
    assert check.main([path]) == 1
