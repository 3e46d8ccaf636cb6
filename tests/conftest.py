"""Shared settings for the unit tests."""
import os

import matplotlib
import pytest

import genai_kit  # noqa: F401  (sets TensorFlow's defaults before anything imports it)
from genai_kit import config

# headless figures in tests; notebook kernels keep their inline backend
matplotlib.use("Agg")


# oneDNN capped below AVX-512 (ONEDNN_MAX_CPU_ISA=AVX2, to compute like a CPU without it)
# has no bfloat16 kernels, while TensorFlow, which reads the real CPU, still sends bfloat16
# work to oneDNN, and the process aborts. A real CPU without AVX-512 gets Eigen's kernels.
_ISAS_WITHOUT_ONEDNN_BFLOAT16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_cpu_detection: the test reads this CPU's flags itself (see conftest.py)")
    config.addinivalue_line(
        "markers", "bfloat16: the test computes in bfloat16 (skipped where oneDNN is capped "
                   "below AVX-512, which cannot)")


def pytest_collection_modifyitems(config, items):
    capped = {os.environ.get(name, "").strip().upper()
              for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")}
    if capped & _ISAS_WITHOUT_ONEDNN_BFLOAT16:
        skip = pytest.mark.skip(reason="oneDNN is capped below AVX-512: no bfloat16 kernels")
        for item in items:
            if item.get_closest_marker("bfloat16"):
                item.add_marker(skip)


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
