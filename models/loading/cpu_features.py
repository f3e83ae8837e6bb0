"""What this CPU offers the kernels that matter for a small model: its name and ISA flags.

Why: the fastest precision and kernels differ per CPU (AMX tiles on Sapphire Rapids make bf16
matmuls several times faster than fp32; AVX-512 VNNI speeds int8 dot products), so the loader
picks per CPU, and the benchmark and Diagnostics print what the choice rests on. Linux reads
/proc/cpuinfo; elsewhere only the name (``platform.processor()``) and torch's own view of the
vector unit are known, and the flags read as absent.
"""

from __future__ import annotations

import contextlib
import platform
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")

FLAGS_THAT_MATTER = (
    "avx2",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
"""The /proc/cpuinfo flags the benchmark prints and the precision choice reads."""


@dataclass(frozen=True)
class CpuFeatures:
    model: str
    flags: frozenset[str]
    torch_capability: str  # torch's dispatch level ("AVX512", "AVX2", "DEFAULT", ...)

    @property
    def has_amx_bf16(self) -> bool:
        return {"amx_tile", "amx_bf16"} <= self.flags

    @property
    def has_avx512_bf16(self) -> bool:
        return "avx512_bf16" in self.flags

    def describe(self) -> str:
        """One line: the model name and which of FLAGS_THAT_MATTER it has."""
        shown = [flag for flag in FLAGS_THAT_MATTER if flag in self.flags]
        listed = " ".join(shown) if shown else "none of " + " ".join(FLAGS_THAT_MATTER)
        return f"{self.model}; flags: {listed}; torch kernels: {self.torch_capability}"


def parse_cpuinfo(text: str) -> tuple[str, frozenset[str]]:
    """(model name, flags) of the first processor in /proc/cpuinfo's text."""
    model, flags = "", frozenset[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
        if model and flags:
            break
    return model, flags


@cache
def cpu_features() -> CpuFeatures:
    """This machine's CPU (read once per process)."""
    model, flags = "", frozenset[str]()
    with contextlib.suppress(OSError):  # not Linux, or /proc is hidden: the name only
        model, flags = parse_cpuinfo(CPUINFO.read_text(encoding="utf-8", errors="replace"))
    return CpuFeatures(
        model=model or platform.processor() or platform.machine() or "unknown CPU",
        flags=flags,
        torch_capability=_torch_capability(),
    )


def _torch_capability() -> str:
    try:
        import torch

        return str(torch.backends.cpu.get_cpu_capability())
    except (ImportError, AttributeError):
        return "unknown"
