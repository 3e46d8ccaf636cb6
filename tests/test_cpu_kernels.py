"""The kit's networks give the same numbers, to rounding, with the kernels of other CPUs.

Which kernels TensorFlow runs depends on the CPU: oneDNN's (blocked for AVX-512 or for
AVX2) or Eigen's where oneDNN is off. One machine can run all three: oneDNN capped at AVX2
(``ONEDNN_MAX_CPU_ISA=AVX2``) computes like a CPU without AVX-512 (a laptop, Colab, most CI
runners), and ``TF_ENABLE_ONEDNN_OPTS=0`` like TensorFlow's default on CPUs without
AVX512-VNNI. Each runs in a fresh process, since both settings are read when TensorFlow starts.
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from genai_kit.models import autoencoder, dcgan
from tolerances import assert_rounding_close, network_roundings

KERNEL_SETTINGS = {
    "oneDNN capped at AVX2 (a CPU without AVX-512)": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "oneDNN off (Eigen kernels)": {"TF_ENABLE_ONEDNN_OPTS": "0"},
}

SCRIPT = textwrap.dedent("""
    import sys
    import genai_kit
    import genai_kit.models.autoencoder  # registers the class for load_model
    import keras
    import numpy as np
    folder = sys.argv[1]
    inputs = np.load(f"{folder}/inputs.npz")
    outputs = {}
    for name in ("dense", "conv"):
        model = keras.saving.load_model(f"{folder}/{name}.keras")
        outputs[f"{name}_codes"] = model.encode(inputs["digits"])
        outputs[f"{name}_reconstructions"] = model.reconstruct(inputs["digits"])
    generator = keras.saving.load_model(f"{folder}/generator.keras")
    discriminator = keras.saving.load_model(f"{folder}/discriminator.keras")
    outputs["images"] = keras.ops.convert_to_numpy(generator(inputs["latents"]))
    outputs["logits"] = keras.ops.convert_to_numpy(discriminator(inputs["images"]))
    np.savez(sys.argv[2], **outputs)
""")


@pytest.fixture(scope="module")
def saved_networks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("networks")
    keras.utils.set_random_seed(0)
    networks = {
        "dense": autoencoder.build_autoencoder(latent_dim=16),
        "conv": autoencoder.build_autoencoder(architecture="conv", latent_dim=16),
        "generator": dcgan.build_dcgan_generator(base_channels=32, filters=(16, 16, 8),
                                                 dtype_policy="float32"),
        "discriminator": dcgan.build_dcgan_discriminator(filters=(8, 16, 16),
                                                         dtype_policy="float32"),
    }
    rng = np.random.default_rng(0)
    inputs = dict(digits=rng.uniform(size=(64, 28, 28, 1)).astype("float32"),
                  latents=rng.normal(size=(16, 100)).astype("float32"),
                  images=rng.uniform(-1, 1, (16, 64, 64, 3)).astype("float32"))
    np.savez(folder / "inputs.npz", **inputs)
    for name in ("dense", "conv"):
        networks[name](inputs["digits"][:1])  # builds the subclassed model before saving
    for name, network in networks.items():
        network.save(folder / f"{name}.keras")
    (folder / "run.py").write_text(SCRIPT)
    return folder, networks


def outputs_with(folder, name, settings):
    result_path = folder / ("outputs_" + "".join(c if c.isalnum() else "_" for c in name) + ".npz")
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")}
    environment.update(settings)
    result = subprocess.run([sys.executable, str(folder / "run.py"), str(folder), str(result_path)],
                            capture_output=True, text=True, env=environment, timeout=300,
                            cwd=pathlib.Path(__file__).parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(result_path))


@pytest.fixture(scope="module")
def outputs_here(saved_networks):
    return outputs_with(saved_networks[0], "this CPU", {})


@pytest.mark.parametrize("setting", sorted(KERNEL_SETTINGS))
def test_other_cpus_kernels_agree_with_this_cpus_to_rounding(saved_networks, outputs_here,
                                                             setting):
    folder, networks = saved_networks
    here = outputs_here
    there = outputs_with(folder, setting, KERNEL_SETTINGS[setting])
    assert sorted(here) == sorted(there)
    roundings = {
        "dense_codes": network_roundings(networks["dense"].encoder),
        "dense_reconstructions": network_roundings(networks["dense"]),
        "conv_codes": network_roundings(networks["conv"].encoder),
        "conv_reconstructions": network_roundings(networks["conv"]),
        "images": network_roundings(networks["generator"]),
        "logits": network_roundings(networks["discriminator"]),
    }
    for name, values in here.items():
        assert np.isfinite(values).all(), name
        assert_rounding_close(there[name], values, roundings=roundings[name], err_msg=name)
    # the settings did change the arithmetic somewhere: the test compares different kernels.
    # On a CPU without AVX-512 the AVX2 cap is the CPU's own instruction set: nothing changes
    if KERNEL_SETTINGS[setting].get("ONEDNN_MAX_CPU_ISA") == "AVX2" and not _has_avx512():
        return
    assert any(not np.array_equal(there[name], here[name]) for name in here)


def _has_avx512(cpuinfo_path="/proc/cpuinfo"):
    """True when this CPU has AVX-512 instructions (Linux; False where it cannot tell)."""
    try:
        cpuinfo = pathlib.Path(cpuinfo_path).read_text()
    except OSError:
        return False
    return any(flag.startswith("avx512") for line in cpuinfo.splitlines()
               if line.startswith("flags") for flag in line.partition(":")[2].split())
