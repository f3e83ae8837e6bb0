"""Which device and which precision a model runs in: auto picks, user overrides, clear refusals."""

from __future__ import annotations

import torch

from penwright.models.errors import ModelLoadError
from penwright.models.spec import AUTO_PRECISION, DEVICES, PRECISIONS

CPU_AUTO_PRECISION = AUTO_PRECISION["cpu"]
"""What "auto" means on the CPU: int8 weight-only (models.loading.quantize), measured fastest on the
development machine (2 AVX-512 cores, default model: 46.9 tokens/s against 28.2 in bf16 and 12.4
in fp32) and the smallest. fp32 and bf16 stay selectable."""

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}

QUANTIZED_PRECISIONS = ("int8",)
"""Precisions that penwright.models.loading.loader produces by quantizing: the weights are read in
QUANTIZE_FROM_DTYPE and converted (or read already converted from the cache). CPU only: the int8
kernel is a CPU kernel, so "auto" never picks them on a GPU and asking for them there is refused."""

QUANTIZE_FROM_DTYPE = torch.float32
"""The float dtype weights are read in before quantizing: full precision, so the int8 rows are
the same whatever the checkpoint's own dtype."""


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
    if precision in QUANTIZED_PRECISIONS and kind != "cpu":
        raise ModelLoadError(
            f"{precision} runs on the CPU only; on {device} choose auto, bf16, fp16 or fp32"
        )
    if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ModelLoadError(f"this GPU ({device}) does not support bf16; choose fp16 or auto")
    return precision


def choose_dtype(device: str, precision: str = "auto") -> torch.dtype:
    """The torch dtype the weights load in on this device for this precision setting."""
    name = choose_precision(device, precision)
    if name in QUANTIZED_PRECISIONS:
        return QUANTIZE_FROM_DTYPE
    return DTYPES[name]
