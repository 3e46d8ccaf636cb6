"""What the kit reads about the CPU it runs on."""
import pytest

from genai_kit import config

AMD_ZEN4_FLAGS = "flags\t\t: fpu vme sse sse2 avx2 fma avx512f avx512_bf16 avx512_vnni\n"
INTEL_SKYLAKE_FLAGS = "flags\t\t: fpu vme sse sse2 avx2 fma avx512f avx512cd avx512bw\n"
INTEL_SAPPHIRE_RAPIDS_FLAGS = "flags\t\t: fpu vme sse sse2 avx2 fma avx512f amx_tile amx_bf16\n"


# this file tests the real detection, not the answer the other tests force (conftest.py)
pytestmark = pytest.mark.real_cpu_detection


@pytest.fixture(autouse=True)
def fresh_answers(monkeypatch):
    for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"):
        monkeypatch.delenv(name, raising=False)
    config.cpu_computes_bfloat16.cache_clear()
    yield
    config.cpu_computes_bfloat16.cache_clear()


def cpuinfo(tmp_path, text):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\n" + text + "\nprocessor\t: 1\n" + text)
    return str(path)


def test_bfloat16_is_native_on_cpus_with_avx512_bf16_or_amx(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert config.cpu_computes_bfloat16(cpuinfo(tmp_path, AMD_ZEN4_FLAGS))
    config.cpu_computes_bfloat16.cache_clear()
    assert config.cpu_computes_bfloat16(cpuinfo(tmp_path, INTEL_SAPPHIRE_RAPIDS_FLAGS))


def test_bfloat16_is_not_native_without_the_flags_or_without_onednn(tmp_path, monkeypatch):
    assert not config.cpu_computes_bfloat16(cpuinfo(tmp_path, INTEL_SKYLAKE_FLAGS))
    assert not config.cpu_computes_bfloat16(str(tmp_path / "no_such_file"))
    config.cpu_computes_bfloat16.cache_clear()
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert not config.cpu_computes_bfloat16(cpuinfo(tmp_path, AMD_ZEN4_FLAGS))


@pytest.mark.parametrize("isa", ["AVX2", "avx512_core_vnni", "SSE41"])
def test_onednn_capped_below_bfloat16_computes_float32(tmp_path, monkeypatch, isa):
    # ONEDNN_MAX_CPU_ISA=AVX2 makes a Zen 4 compute like a Zen 3: so must the kit's choice
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa)
    assert not config.cpu_computes_bfloat16(cpuinfo(tmp_path, AMD_ZEN4_FLAGS))


@pytest.mark.parametrize("isa", ["AVX512_CORE_BF16", "AVX512_CORE_AMX", "ALL"])
def test_onednn_capped_at_or_above_bfloat16_keeps_it(tmp_path, monkeypatch, isa):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", isa)
    assert config.cpu_computes_bfloat16(cpuinfo(tmp_path, AMD_ZEN4_FLAGS))

