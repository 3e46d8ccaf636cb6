"""genai_kit: a Keras 3 course kit for generative AI and the optimization that drives it.

Import ``genai_kit`` before TensorFlow or Keras: it sets two TensorFlow defaults that only
take effect before TensorFlow is first imported.

- ``TF_ENABLE_ONEDNN_OPTS=1``: TensorFlow's oneDNN kernels, off by default on AMD CPUs,
  about twice as fast for the DCGAN on a CPU (``benchmarks/dcgan_throughput.py``).
- ``TF_CPP_MIN_LOG_LEVEL=2``: hides TensorFlow's start-up info lines, which would
  otherwise land in every executed notebook.

Both are defaults: a value already in the environment wins.
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from genai_kit import config  # noqa: E402  (the environment must be set first)
from genai_kit.config import choose, quick_mode  # noqa: E402

__version__ = "0.1.0"
__all__ = ["config", "choose", "quick_mode", "__version__"]
