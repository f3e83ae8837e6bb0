"""Penwright's inference engine: loads a causal language model and streams continuations.

This package never imports Qt; the desktop app in ``app/`` drives it from one worker thread.
"""

from penwright.models.errors import EngineError, GenerationError, ModelLoadError, ParamsError
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import DEFAULT_MODEL, LoadProgress, ModelInfo, ModelSpec

__all__ = [
    "DEFAULT_MODEL",
    "EngineError",
    "GenerationError",
    "GenerationParams",
    "LoadProgress",
    "ModelInfo",
    "ModelLoadError",
    "ModelSpec",
    "ParamsError",
    "StopMode",
]
