"""Which compute devices this machine has, for the device choice in Settings and for diagnostics.

torch is imported inside ``available_devices`` only: importing it takes seconds, and the app's
windows must appear before it is ever loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class DeviceInfo:
    """One device a model can run on. device is the ModelSpec.device value ("cuda", "mps"...)."""

    device: str
    name: str
    total_bytes: int | None = None
    free_bytes: int | None = None

    @property
    def label(self) -> str:
        """Human-readable choice, e.g. "CUDA: NVIDIA H100 (71.2 GB free of 79.1 GB)"."""
        title = {"cuda": "CUDA", "mps": "Apple MPS", "cpu": "CPU"}.get(self.device, self.device)
        text = f"{title}: {self.name}" if self.name else title
        if self.free_bytes is not None and self.total_bytes is not None:
            text += f" ({format_bytes(self.free_bytes)} free of {format_bytes(self.total_bytes)})"
        return text


def available_devices() -> list[DeviceInfo]:
    """The devices present now, GPU first; the CPU is always last. Queries torch (slow import)."""
    import torch

    from penwright.models.loading.devices import mps_available

    devices: list[DeviceInfo] = []
    if torch.cuda.is_available():
        # Only the first GPU: the engine loads on "cuda", which means cuda:0.
        free, total = torch.cuda.mem_get_info(0)
        devices.append(DeviceInfo("cuda", torch.cuda.get_device_name(0), total, free))
    if mps_available():
        memory = psutil.virtual_memory()  # MPS shares the unified memory of the machine
        devices.append(DeviceInfo("mps", "Apple GPU", memory.total, memory.available))
    devices.append(cpu_device())
    return devices


def cpu_device() -> DeviceInfo:
    """The CPU with the machine's memory; needs no torch."""
    memory = psutil.virtual_memory()
    cores = psutil.cpu_count(logical=True) or 1
    return DeviceInfo("cpu", f"{cores} threads", memory.total, memory.available)


def format_bytes(count: int | float) -> str:
    """Bytes in decimal units, as file managers show sizes: 253.1 MB, 1.5 GB."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
