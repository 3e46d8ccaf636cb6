"""genai_kit: a Keras 3 course kit for generative AI and the optimization that drives it.

Import ``genai_kit`` before TensorFlow or Keras: it sets TensorFlow's defaults, which only
take effect before TensorFlow is first imported, and then imports TensorFlow itself.

- ``TF_ENABLE_ONEDNN_OPTS=1``: TensorFlow's oneDNN kernels on every CPU (some builds leave
  them off on AMD CPUs; tensorflow-cpu 2.21 already has them on). Without them the DCGAN
  trains much slower: ``benchmarks/dcgan_throughput.py`` measures it.
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
    """Imports TensorFlow with the C-level stderr (file descriptor 2) sent to /dev/null."""
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow
        _use_up_the_onednn_data_type_notice(tensorflow)
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


def _use_up_the_onednn_data_type_notice(tensorflow):
    """Prints oneDNN's one-time data-type notice now, while stderr is silenced.

    With oneDNN on, the first graph op whose data type oneDNN cannot compute on this CPU
    prints, once per process, an error-level line such as "oneDNN supports DT_INT32 only on
    platforms with AVX-512. Falling back to the default Eigen-based implementation". It is
    harmless (Eigen's kernels are the ones TensorFlow runs without oneDNN), but the
    diffusion notebook would show it in red on CPUs without AVX-512. The notice has one
    flag for all data types, so a float16 product, which oneDNN leaves to Eigen on CPUs
    without AVX512-FP16, prints it here instead; on other CPUs there is nothing to print.
    """
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0":
        return

    @tensorflow.function
    def half_precision_product(values):
        return tensorflow.matmul(values, values)

    half_precision_product(tensorflow.ones((1, 1), tensorflow.float16))


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
