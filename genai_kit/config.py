"""The kit's settings: the quick-mode switch, where shipped assets live, what the CPU can do.

Quick mode is the one switch that CI turns on (``GENAI_KIT_QUICK=1``) so that every
notebook finishes in about a minute on a laptop CPU; students run the full version by
default. Notebooks read it here and nowhere else.
"""
import functools
import os
import pathlib

QUICK_ENV_VAR = "GENAI_KIT_QUICK"

# CPU flags of bfloat16 arithmetic: AVX512-BF16 (AMD Zen 4+, Intel Cooper Lake) and AMX
# (Intel Sapphire Rapids+)
_BFLOAT16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# oneDNN's ONEDNN_MAX_CPU_ISA (DNNL_MAX_CPU_ISA before oneDNN 2) caps the instruction set its
# kernels use; below AVX512_CORE_BF16 they emulate bfloat16. Capping it to AVX2 makes a
# CPU with AVX-512 compute like one without (a laptop, Colab, most CI runners).
_ISA_ENV_VARS = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
_ISAS_WITHOUT_BFLOAT16 = frozenset({
    "SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
})

# assets/ sits at the repository root and is installed as the package ``genai_kit.assets``
# (see pyproject.toml); this file's folder is genai_kit/ in a checkout.
_ASSET_DIRS = (
    pathlib.Path(__file__).resolve().parent / "assets",
    pathlib.Path(__file__).resolve().parent.parent / "assets",
)


def quick_mode():
    """True when ``GENAI_KIT_QUICK`` is set to 1/true/yes (CI's quick run), else False."""
    value = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    return value in {"1", "true", "yes", "on"}


def choose(quick, full):
    """Returns ``quick`` in quick mode and ``full`` otherwise, e.g. ``EPOCHS = choose(2, 50)``."""
    return quick if quick_mode() else full


def asset_path(filename):
    """Path of a file the kit ships in ``assets/``, e.g. ``asset_path("mnist_5k.npz")``.

    Raises:
        FileNotFoundError: the file is in none of the asset folders (a broken install).
    """
    for folder in _ASSET_DIRS:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(folder) for folder in _ASSET_DIRS)
    raise FileNotFoundError(
        f"asset {filename!r} not found in {searched}: reinstall the kit "
        "(pip install -e . in a checkout) so that assets/ is installed with it"
    )


@functools.lru_cache(maxsize=None)
def cpu_computes_bfloat16(cpuinfo_path="/proc/cpuinfo"):
    """True when the CPU has bfloat16 instructions and TensorFlow can use them.

    On such a CPU TensorFlow's oneDNN kernels run bfloat16 convolutions faster than float32
    ones (the README has the figures); elsewhere bfloat16 is emulated and slower than
    float32. Reads the CPU flags of ``cpuinfo_path`` (Linux; False where it does not exist)
    and requires oneDNN, which ``TF_ENABLE_ONEDNN_OPTS=0`` turns off, with its instruction set
    not capped below bfloat16 by ``ONEDNN_MAX_CPU_ISA`` (e.g. ``AVX2``). The answer is cached
    per path.
    """
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0":
        return False
    if any(os.environ.get(name, "").strip().upper() in _ISAS_WITHOUT_BFLOAT16
           for name in _ISA_ENV_VARS):
        return False
    try:
        cpuinfo = pathlib.Path(cpuinfo_path).read_text()
    except OSError:
        return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & _BFLOAT16_CPU_FLAGS)


def accelerator_report(gpus=None):
    """One line on what this notebook will train on, and how to get a GPU where it has none.

    Args:
        gpus: the GPU names to report; default: the GPUs TensorFlow sees.
    Returns:
        str, e.g. "training on 1 GPU: /physical_device:GPU:0", or, with no GPU, a line that
        says how to switch one on in Colab and what the CPU can do.
    """
    if gpus is None:
        import tensorflow as tf

        gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    if gpus:
        return f"training on {len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {', '.join(gpus)}"
    cpu = ("a CPU with bfloat16 instructions (the kit trains in mixed bfloat16)"
           if cpu_computes_bfloat16() else "a CPU (float32)")
    return (f"no GPU: training on {cpu}. Quick mode runs fine here; for the full run on Colab, "
            "choose Runtime > Change runtime type > T4 GPU, then run the notebook again")
