"""The values that cross the thread boundary between the GUI and the inference worker.

Everything here is a frozen dataclass of plain values (plus the cancel Event, which is meant to be
shared), so a request can be handed to the worker thread on a queued signal without the worker
ever touching a widget or the QTextDocument.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from penwright.models.params import MAX_CONTEXT_CHARS, GenerationParams
from penwright.models.spec import ModelSpec


@dataclass(frozen=True)
class LoadRequest:
    """Load a model to replace the worker's. A newer load supersedes this one: the controller
    sets `superseded` (from the GUI thread) and the loader stops at its next progress report."""

    spec: ModelSpec
    load_id: int = 0
    superseded: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class SuggestionRequest:
    """Continue `context` with `params`; stop as soon as `cancelled` is set (from any thread)."""

    request_id: int
    context: str
    params: GenerationParams
    cancelled: threading.Event

    @classmethod
    def snapshot(
        cls, request_id: int, text_before_cursor: str, params: GenerationParams
    ) -> SuggestionRequest:
        """Build a request from the text before the cursor, keeping only its bounded tail."""
        return cls(
            request_id=request_id,
            context=text_before_cursor[-MAX_CONTEXT_CHARS:],
            params=params,
            cancelled=threading.Event(),
        )
