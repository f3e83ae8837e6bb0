"""The one thread boundary: an InferenceWorker owning the Engine in a long-lived QThread, and the
InferenceController that the GUI talks to.

Path of a suggestion: the controller builds a SuggestionRequest (a frozen snapshot) and emits it on
a queued signal; the worker's slot runs Engine.stream in the worker thread and emits each delta
with the request id; the controller drops results of any request that is no longer current and
re-emits the rest for the window. Cancellation is a threading.Event that the controller sets
directly from the GUI thread, because a queued "stop" signal would wait behind the generation.

Requests sent while the model is still loading simply queue behind the load in the worker's event
queue; superseded ones are cancelled before they start, so at most the newest one runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.requests import LoadRequest, SuggestionRequest
from models.params import GenerationParams
from models.results import Delta, GenerationStats
from models.spec import LoadProgress, ModelInfo, ModelSpec


class EngineLike(Protocol):
    """What the worker needs of models.engine.Engine (a fake engine in the tests)."""

    def load(
        self, spec: ModelSpec, progress: Callable[[LoadProgress], None] | None = None
    ) -> ModelInfo: ...

    @property
    def last_stats(self) -> GenerationStats: ...

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event | None = None
    ) -> Iterator[Delta]: ...


EngineFactory = Callable[[], EngineLike]
"""Creates the engine. Called inside the worker thread, so importing torch happens there."""


def default_engine_factory() -> EngineLike:
    """The real engine; imported here so that torch/transformers load in the worker thread."""
    from models.engine import Engine

    return Engine()


class _LoadAbandoned(Exception):
    """Raised from the progress callback to stop a load the app no longer wants (shutting down)."""


def describe_error(exc: BaseException) -> str:
    """One line for the writer: the message, or the exception type when there is none."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"Out of memory: {text or type(exc).__name__}"
    return text or type(exc).__name__


class InferenceWorker(QObject):
    """Owns the Engine; lives in the worker thread. Never touches widgets or documents.

    Every slot runs in the worker thread; every signal carries plain values and is delivered to
    the GUI thread queued.
    """

    load_progress = Signal(object)  # LoadProgress
    loaded = Signal(object)  # ModelInfo
    load_failed = Signal(str)
    token_ready = Signal(int, int, str)  # request id, alternative index, text delta
    finished = Signal(int, object)  # request id, GenerationStats
    failed = Signal(int, str)  # request id, message

    def __init__(self, engine_factory: EngineFactory, shutting_down: threading.Event) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._shutting_down = shutting_down
        self._engine: EngineLike | None = None
        self._ready = False
        self._load_error = ""

    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        self._ready = False
        try:
            if self._engine is None:
                self._engine = self._engine_factory()
            info = self._engine.load(request.spec, self._report_progress)
        except _LoadAbandoned:
            return
        except Exception as exc:  # any load failure becomes a message, never a crash
            self._load_error = describe_error(exc)
            self.load_failed.emit(self._load_error)
            return
        self._ready = True
        self.loaded.emit(info)

    def _report_progress(self, progress: LoadProgress) -> None:
        if self._shutting_down.is_set():
            raise _LoadAbandoned
        self.load_progress.emit(progress)

    @Slot(object)
    def generate(self, request: SuggestionRequest) -> None:
        if request.cancelled.is_set() or self._shutting_down.is_set():
            # Superseded while it waited in the queue: report it without running the model.
            self.finished.emit(request.request_id, GenerationStats(cancelled=True))
            return
        if self._engine is None or not self._ready:
            reason = f": {self._load_error}" if self._load_error else ""
            self.failed.emit(request.request_id, f"No model is loaded{reason}")
            return
        engine = self._engine
        try:
            deltas = engine.stream(request.context, request.params, request.cancelled)
            try:
                for delta in deltas:
                    if request.cancelled.is_set():
                        break
                    if delta.text:
                        self.token_ready.emit(request.request_id, delta.alternative, delta.text)
            finally:
                # Leaving early must still run the generator's cleanup (its stats, its cache).
                close = getattr(deltas, "close", None)
                if close is not None:
                    close()
            stats = engine.last_stats
        except Exception as exc:  # OOM, engine bugs: report and stay ready for the next one
            self.failed.emit(request.request_id, describe_error(exc))
            return
        if request.cancelled.is_set() and not stats.cancelled:
            stats = GenerationStats(
                prompt_tokens=stats.prompt_tokens,
                reused_tokens=stats.reused_tokens,
                new_tokens=stats.new_tokens,
                time_to_first_token_s=stats.time_to_first_token_s,
                decode_tokens_per_s=stats.decode_tokens_per_s,
                total_s=stats.total_s,
                cancelled=True,
                stop_reason="cancelled",
            )
        self.finished.emit(request.request_id, stats)


class InferenceController(QObject):
    """The GUI thread's handle on the worker: starts it, sends requests, filters stale results.

    Signals re-emitted here concern only the current request, so the window never sees a token
    of a superseded or stopped suggestion.
    """

    model_progress = Signal(object)  # LoadProgress
    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    suggestion_delta = Signal(int, int, str)  # request id, alternative index, text delta
    suggestion_finished = Signal(int, object)  # request id, GenerationStats
    suggestion_failed = Signal(int, str)  # request id, message

    # Private: to the worker thread (queued, because the worker lives there).
    _load_requested = Signal(object)
    _generate_requested = Signal(object)

    def __init__(self, engine_factory: EngineFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._shutting_down = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName("penwright-inference")
        self._worker = InferenceWorker(engine_factory, self._shutting_down)
        self._worker.moveToThread(self._thread)
        # The worker has no parent, so it is deleted on the worker thread when that stops.
        self._thread.finished.connect(self._worker.deleteLater)

        self._load_requested.connect(self._worker.load)
        self._generate_requested.connect(self._worker.generate)
        self._worker.load_progress.connect(self._on_load_progress)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.load_failed.connect(self._on_load_failed)
        self._worker.token_ready.connect(self._on_token_ready)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)

        self._next_id = 1
        self._current: SuggestionRequest | None = None
        self._spec: ModelSpec | None = None
        self.model_info: ModelInfo | None = None
        self.loading = False
        self.load_error: str | None = None
        self._thread.start()

    # -- requests from the GUI -------------------------------------------------------------

    def load_model(self, spec: ModelSpec) -> None:
        self._spec = spec
        self.loading = True
        self.load_error = None
        self._load_requested.emit(LoadRequest(spec))

    def request(self, text_before_cursor: str, params: GenerationParams) -> int:
        """Ask for a continuation; cancels the previous request. Returns the new request id."""
        self.stop()
        if self.load_error is not None and self._spec is not None:
            self.load_model(self._spec)  # the last load failed: try again before this request
        request = SuggestionRequest.snapshot(self._next_id, text_before_cursor, params)
        self._next_id += 1
        self._current = request
        self._generate_requested.emit(request)
        return request.request_id

    def stop(self) -> None:
        """Cancel the current request at once; its late tokens are dropped."""
        if self._current is not None:
            self._current.cancelled.set()

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def current_id(self) -> int | None:
        return self._current.request_id if self._current is not None else None

    def shutdown(self) -> None:
        """Cancel, stop the worker thread and wait for it. Safe to call twice."""
        self._shutting_down.set()
        self.stop()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    # -- results from the worker (GUI thread) -------------------------------------------------

    def _is_current(self, request_id: int) -> bool:
        current = self._current
        return current is not None and current.request_id == request_id

    @Slot(object)
    def _on_load_progress(self, progress: LoadProgress) -> None:
        self.model_progress.emit(progress)

    @Slot(object)
    def _on_loaded(self, info: ModelInfo) -> None:
        self.loading = False
        self.model_info = info
        self.model_loaded.emit(info)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.loading = False
        self.load_error = message
        self.model_failed.emit(message)

    @Slot(int, int, str)
    def _on_token_ready(self, request_id: int, alternative: int, text: str) -> None:
        current = self._current
        if current is None or current.request_id != request_id or current.cancelled.is_set():
            return  # stale: a newer request, a stop or a dismissal superseded it
        self.suggestion_delta.emit(request_id, alternative, text)

    @Slot(int, object)
    def _on_finished(self, request_id: int, stats: GenerationStats) -> None:
        if self._is_current(request_id):
            self._current = None
            self.suggestion_finished.emit(request_id, stats)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if self._is_current(request_id):
            self._current = None
            self.suggestion_failed.emit(request_id, message)
