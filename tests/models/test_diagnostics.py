"""penwright-cli diagnose: versions, devices and the engine's choice, as text and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import torch

from penwright.models.diagnostics import collect_diagnostics
from penwright.models.spec import AUTO_PRECISION, ModelInfo

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PENWRIGHT_CACHE_DIR": "/nonexistent/penwright-cache"}
    return subprocess.run(
        [sys.executable, "-m", "penwright.cli", "diagnose", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_diagnose_json_names_versions_devices_and_choice() -> None:
    result = _cli("--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["torch"] == torch.__version__
    assert facts["transformers"] == metadata.version("transformers")
    assert facts["cuda available"] == ("yes" if torch.cuda.is_available() else "no")
    mps = torch.backends.mps.is_available()
    expected_device = "cuda" if torch.cuda.is_available() else "mps" if mps else "cpu"
    assert facts["auto device"] == expected_device
    if expected_device == "cuda" and not torch.cuda.is_bf16_supported():
        expected_precision = "fp16"  # a CUDA GPU without bf16 (before Ampere)
    else:
        expected_precision = AUTO_PRECISION[expected_device]
    assert facts["auto precision"] == expected_precision
    assert facts["model cache"] == "/nonexistent/penwright-cache"
    if torch.cuda.is_available():
        assert facts["gpu name"] and facts["gpu memory total"].endswith("GiB")
        assert facts["bf16 supported"] == ("yes" if torch.cuda.is_bf16_supported() else "no")


def test_diagnose_text_is_one_aligned_line_per_fact() -> None:
    result = _cli()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("torch:") and torch.__version__ in line for line in lines)
    assert any(line.startswith("auto device:") for line in lines)
    value_columns = {len(line) - len(line.split(":", 1)[1].lstrip(" ")) for line in lines}
    assert len(value_columns) == 1, "values should line up in one column"


def test_diagnose_does_not_import_qt() -> None:
    code = (
        "import sys\nfrom penwright.models.diagnostics import collect_diagnostics\n"
        "facts = collect_diagnostics()\n"
        "print(facts['PySide6'], any(m.startswith('PySide6') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    version, imported = result.stdout.split()
    assert version != "not installed"
    assert imported == "False"


def test_loaded_model_facts_include_the_fallback_reason() -> None:
    info = ModelInfo(
        name="Gemma 3 270M", source="default", path="/cache/x", device="cpu",
        precision="fp32", parameters=268_098_176, context_length=32768,
        fallback_reason="not enough memory on cuda for the model; using the CPU",
    )
    facts = collect_diagnostics(info)
    assert facts["model"] == "Gemma 3 270M"
    assert facts["model parameters"] == "268,098,176"
    assert facts["model device"] == "cpu"
    assert facts["fallback reason"].startswith("not enough memory on cuda")


def test_the_cpu_and_the_kernels_chosen_are_named() -> None:
    info = ModelInfo(
        name="Gemma 3 270M", source="default", path="/cache/x", device="cpu",
        precision="int8", parameters=268_098_176, context_length=32768,
        kernels="output layer: int8 x int8 (x86 engine); CPU: AMD EPYC",
    )
    facts = collect_diagnostics(info)
    assert facts["kernels"].startswith("output layer: int8 x int8")
    assert "torch kernels:" in facts["cpu"] and facts["cpu"].split(";")[0]
    assert "kernels" not in collect_diagnostics(None)


def test_cuda_facts_appear_when_a_gpu_is_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU 80GB")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (40 * 1024**3, 80 * 1024**3))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    facts = collect_diagnostics()
    assert facts["gpu name"] == "Fake GPU 80GB"
    assert facts["gpu memory total"] == "80.0 GiB"
    assert facts["gpu memory free"] == "40.0 GiB"
    assert facts["auto device"] == "cuda"
    assert facts["auto precision"] == "bf16"
