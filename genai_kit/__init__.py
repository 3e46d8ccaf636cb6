"""genai_kit: a Keras 3 course kit for generative AI and the optimization that drives it.

Import ``genai_kit`` before TensorFlow or Keras: it sets TensorFlow's defaults, which only
take effect before TensorFlow is first imported, and then imports TensorFlow itself.

- ``TF_ENABLE_ONEDNN_OPTS=1``: TensorFlow's oneDNN kernels on every CPU. TensorFlow's own
  default turns them on only on CPUs with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX, and off
  on the others (AMD Zen 3, older Intel CPUs), where the DCGAN then trains much slower:
  ``benchmarks/dcgan_throughput.py`` measures it.
- ``TF_CPP_MIN_LOG_LEVEL=2``: hides TensorFlow's C++ info messages while it runs.

Both are defaults: a value already in the environment wins. TensorFlow 2.21 also writes a
few start-up lines straight to the process's stderr, before it reads any setting; they would
land in every executed notebook, so the kit imports TensorFlow with stderr silenced. An import
error still raises as usual.
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly():
    """Imports TensorFlow with the C-level stderr sent to /dev/null (an error still raises)."""
    from genai_kit.tensorflow_messages import stderr_silenced

    with stderr_silenced():
        import tensorflow  # noqa: F401


_import_tensorflow_quietly()

from genai_kit import config  # noqa: E402  (the environment must be set first)
from genai_kit.config import choose, quick_mode  # noqa: E402

__version__ = "0.1.0"
__all__ = ["config", "choose", "quick_mode", "__version__"]

# every Keras class of the kit registers itself when its module is imported: importing the
# model packages here lets keras.saving.load_model read any of the kit's .keras files (a
# generator.keras, a diffusion model) after a plain `import genai_kit`
from genai_kit import models  # noqa: E402,F401
from genai_kit import diffusion  # noqa: E402,F401
