"""What this machine offers the engine: versions, GPUs, memory, and the device/precision chosen.

Used by ``penwright-cli diagnose`` and by the app's About/diagnostics view. Never imports Qt:
the PySide6 version comes from the installed distribution's metadata.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
from importlib import metadata

from penwright.models.errors import EngineError
from penwright.models.files.folders import cache_root
from penwright.models.spec import ModelInfo

logger = logging.getLogger(__name__)

_GIB = 1024**3


def _version(*distributions: str) -> str:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / _GIB:.1f} GiB"


def collect_diagnostics(engine_info: ModelInfo | None = None) -> dict[str, str]:
    """Facts for a bug report, as display-ready strings, in a stable order.

    With ``engine_info`` (the loaded model) it also says what is actually in use, including why
    it fell back to the CPU if it did.
    """
    import torch

    from penwright.models.loading.cpu_features import cpu_features
    from penwright.models.loading.devices import choose_device, choose_precision, mps_available

    facts: dict[str, str] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "transformers": _version("transformers"),
        "PySide6": _version("PySide6", "PySide6-Essentials", "PySide6_Essentials"),
        "cpu": cpu_features().describe(),
        "cpu cores": str(os.cpu_count() or "unknown"),
        "torch threads": str(torch.get_num_threads()),
        "cuda available": "yes" if torch.cuda.is_available() else "no",
    }
    if torch.cuda.is_available():
        facts["cuda version"] = str(torch.version.cuda)
        for index in range(torch.cuda.device_count()):
            prefix = "gpu" if index == 0 else f"gpu {index}"
            facts[f"{prefix} name"] = torch.cuda.get_device_name(index)
            free, total = torch.cuda.mem_get_info(index)
            facts[f"{prefix} memory total"] = _gib(total)
            facts[f"{prefix} memory free"] = _gib(free)
        facts["bf16 supported"] = "yes" if torch.cuda.is_bf16_supported() else "no"
    facts["mps available"] = "yes" if mps_available() else "no"
    try:
        device = choose_device("auto")
        facts["auto device"] = device
        facts["auto precision"] = choose_precision(device, "auto")
    except EngineError as exc:  # never fail a diagnosis: say what went wrong instead
        logger.warning("no automatic device for the diagnosis", exc_info=True)
        facts["auto device"] = f"error: {exc}"
    facts["model cache"] = str(cache_root())
    if engine_info is not None:
        facts["model"] = engine_info.name
        facts["model path"] = engine_info.path
        facts["model device"] = engine_info.device
        facts["model precision"] = engine_info.precision
        facts["decode path"] = engine_info.decode_path
        if engine_info.kernels:
            facts["kernels"] = engine_info.kernels
        facts["model parameters"] = f"{engine_info.parameters:,}"
        facts["model context length"] = str(engine_info.context_length)
        if engine_info.fallback_reason:
            facts["fallback reason"] = engine_info.fallback_reason
    return facts


def format_diagnostics(facts: dict[str, str]) -> str:
    width = max(len(key) for key in facts)
    return "\n".join(f"{key + ':':<{width + 1}} {value}" for key, value in facts.items())


def run_diagnose(as_json: bool = False) -> int:
    """``penwright-cli diagnose``: print the facts as aligned lines, or JSON. Returns 0."""
    facts = collect_diagnostics()
    if as_json:
        json.dump(facts, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(format_diagnostics(facts))
    return 0
