"""emit(): Signal.emit with a work-around for a PySide6 reference-count bug.

PySide6 6.12.0's SignalInstance.emit() returns True without taking a reference to it, so every
discarded result drops one of True's references; after a few thousand emits (a long suggestion
streams two per token) the interpreter aborts with "bool_dealloc: deallocating True or False".
Reproduce: `for _ in range(100): obj.sig.emit()` lowers sys.getrefcount(True) by 100.

Rather than pin a version, a probe measures the bug once at run time and, only when present,
gives back the reference that emit() stole. Extra references to True are harmless, so a wrong
guess could never crash. Every Python-side emit in app/ goes through here.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance


class _Probe(QObject):
    fired = Signal()


def _measure_emit_reference_loss() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(64):
        probe.fired.emit()
    after = sys.getrefcount(True)
    lost = before - after
    # Give back what the probe itself took, then report whether emit() steals references.
    for _ in range(max(lost, 0)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= 32  # tolerant of other threads touching True meanwhile


# Measured at import, on the GUI thread before the worker starts, so nothing races the probe.
_EMIT_STEALS_REFERENCE = _measure_emit_reference_loss()


def emit(signal: SignalInstance, *args: Any) -> None:
    """signal.emit(*args), safe against PySide6's reference leak on the returned bool."""
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]  # stubs say None
    if _EMIT_STEALS_REFERENCE:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
