"""Which device and which precision a model runs in: auto picks, user overrides, clear refusals."""

from __future__ import annotations

import torch

from models.errors import ModelLoadError
from models.spec import DEVICES, PRECISIONS

CPU_AUTO_PRECISION = "fp32"
"""What "auto" means on the CPU. The one place to change it when the benchmark shows something
faster (bf16 matmuls on AVX-512 machines, for example)."""

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}

QUANTIZED_PRECISIONS = ("int8",)
"""Accepted and recorded in ModelInfo; the weights load in the device's float precision and the
quantization step (not part of loading) converts them afterwards."""


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def choose_device(requested: str = "auto") -> str:
    """auto = CUDA, else Apple MPS, else CPU. An explicit choice wins but must exist here.

    Accepts "cuda:N" for a specific GPU. Raises ModelLoadError naming the missing device.
    """
    requested = (requested or "auto").strip().lower()
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if mps_available() else "cpu"
    kind, _, index = requested.partition(":")
    if kind not in DEVICES or (index and kind != "cuda"):
        raise ModelLoadError(
            f"unknown device {requested!r}: choose one of {', '.join(DEVICES)} (or cuda:N)"
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ModelLoadError(
                "device 'cuda' was asked for, but PyTorch sees no CUDA GPU here "
                f"(torch {torch.__version__}); choose 'auto' or 'cpu'"
            )
        if index:
            count = torch.cuda.device_count()
            if not index.isdigit() or int(index) >= count:
                raise ModelLoadError(
                    f"device {requested!r} does not exist: this machine has {count} CUDA GPU(s)"
                )
    if kind == "mps" and not mps_available():
        raise ModelLoadError("device 'mps' was asked for, but Apple MPS is not available here")
    return requested


def choose_precision(device: str, precision: str = "auto") -> str:
    """The precision name to run in: "auto" becomes the device's best; others are checked."""
    precision = (precision or "auto").strip().lower()
    if precision not in PRECISIONS:
        raise ModelLoadError(
            f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}"
        )
    kind = device.partition(":")[0]
    if precision == "auto":
        if kind == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        if kind == "mps":
            return "fp16"
        return CPU_AUTO_PRECISION
    if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ModelLoadError(f"this GPU ({device}) does not support bf16; choose fp16 or auto")
    return precision


def choose_dtype(device: str, precision: str = "auto") -> torch.dtype:
    """The torch dtype the weights load in on this device for this precision setting."""
    name = choose_precision(device, precision)
    if name in QUANTIZED_PRECISIONS:
        name = choose_precision(device, "auto")
    return DTYPES[name]
