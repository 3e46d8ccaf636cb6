"""Shared settings for the unit tests."""
import matplotlib
import pytest

import genai_kit  # noqa: F401  (sets TensorFlow's defaults before anything imports it)
from genai_kit import config

# headless figures in tests; notebook kernels keep their inline backend
matplotlib.use("Agg")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_cpu_detection: the test reads this CPU's flags itself (see conftest.py)")


@pytest.fixture(autouse=True)
def cpu_without_bfloat16(request, monkeypatch):
    """Every test sees a CPU without bfloat16 instructions, whichever CPU runs it.

    Where the kit chooses a path from the CPU ("auto" precision), the tests would otherwise
    run one path on a Zen 4 or a Sapphire Rapids and the other on a laptop or Colab. They run
    the float32 path everywhere; tests of the bfloat16 path ask for ``cpu_with_bfloat16``,
    which bfloat16 then runs natively or emulated. ``tests/test_config.py`` checks the real
    detection.
    """
    if request.node.get_closest_marker("real_cpu_detection") is None:
        monkeypatch.setattr(config, "cpu_computes_bfloat16", lambda *args: False)


@pytest.fixture
def cpu_with_bfloat16(monkeypatch):
    """A CPU that computes bfloat16 natively, as far as the kit's choices are concerned."""
    monkeypatch.setattr(config, "cpu_computes_bfloat16", lambda *args: True)
