"""The CPU description the precision choice and the benchmark rest on."""

from penwright.models.loading.cpu_features import CpuFeatures, cpu_features, parse_cpuinfo

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8

processor\t: 1
model name\t: something else
flags\t\t: fpu
"""


def test_parse_reads_the_first_processor() -> None:
    model, flags = parse_cpuinfo(SAPPHIRE_RAPIDS)
    assert model == "Intel(R) Xeon(R) Platinum 8488C"
    assert {"amx_bf16", "amx_tile", "avx512_bf16"} <= flags and "fpu" in flags


def test_amx_needs_tiles_and_bf16() -> None:
    with_amx = CpuFeatures("x", frozenset({"amx_tile", "amx_bf16"}), "AVX512")
    tiles_only = CpuFeatures("x", frozenset({"amx_tile"}), "AVX512")
    assert with_amx.has_amx_bf16 and not tiles_only.has_amx_bf16


def test_describe_lists_only_the_flags_present() -> None:
    line = CpuFeatures("AMD EPYC", frozenset({"avx2", "avx512_bf16", "sse"}), "AVX512").describe()
    assert line == "AMD EPYC; flags: avx2 avx512_bf16; torch kernels: AVX512"
    bare = CpuFeatures("Old", frozenset(), "DEFAULT").describe()
    assert "none of avx2" in bare


def test_this_machine_has_a_name_and_a_torch_level() -> None:
    features = cpu_features()
    assert features.model and features.torch_capability not in ("", "unknown")
