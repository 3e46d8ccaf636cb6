"""Shared settings for the unit tests."""
import matplotlib

import genai_kit  # noqa: F401  (sets TensorFlow's defaults before anything imports it)

# headless figures in tests; notebook kernels keep their inline backend
matplotlib.use("Agg")
