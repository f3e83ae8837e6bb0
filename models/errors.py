"""The engine's exceptions: one clear message each, naming the problem and the thing at fault."""


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class ModelLoadError(EngineError):
    """A model could not be loaded (missing folder, no weights, corrupt file, not a model...)."""


class ParamsError(EngineError, ValueError):
    """A generation parameter is out of range or of the wrong type."""


class GenerationError(EngineError):
    """Generation failed (for example the GPU ran out of memory and no fallback was possible)."""
