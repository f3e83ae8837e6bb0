"""Helpers of tests/models/serving: a real Penwright server on 127.0.0.1 over the tiny random
Gemma 3 (tests/conftest.py).

``start_server`` starts one with any ServeConfig (port 0: a free port) and a GatedEngine, the
real Engine with a gate the tests may close: a request that reaches the model then waits at the
gate, which keeps the queue full or a stream open for as long as a test needs, with no timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.serving.jobs import JobQueue
from penwright.models.serving.owner import ModelOwner
from penwright.models.serving.server import HttpServer


class GatedEngine(Engine):
    """The real Engine; ``gate`` cleared makes each stream wait before its first token (until
    the gate opens or the request is cancelled). Records every request's cancel Event."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.reached = threading.Semaphore(0)  # released as each request reaches the model
        self.cancel_events: list[threading.Event] = []
        self.contexts: list[str] = []
        self.ended: list[GenerationStats] = []  # each request's stats once its stream ended
        self.ended_one = threading.Semaphore(0)

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event | None = None
    ) -> Iterator[Delta]:
        cancelled = cancelled or threading.Event()
        self.cancel_events.append(cancelled)
        self.contexts.append(context)
        inner = super().stream(context, params, cancelled)
        return self._gated(inner, cancelled)

    def _gated(self, inner: Iterator[Delta], cancelled: threading.Event) -> Iterator[Delta]:
        self.reached.release()
        while not self.gate.wait(0.01):
            if cancelled.is_set():
                break
        try:
            yield from inner
        finally:
            self.ended.append(self.last_stats)
            self.ended_one.release()


@dataclass
class RunningServer:
    engine: GatedEngine
    queue: JobQueue
    owner: ModelOwner
    http: HttpServer
    model_id: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"


StartServer = Callable[..., RunningServer]
