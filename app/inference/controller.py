"""The one thread boundary: an InferenceWorker owning the text source (the local Engine, or any
models.sources.protocol.TextSource) in a long-lived QThread, and the InferenceController that the
GUI talks to.

Path of a suggestion: the controller builds a SuggestionRequest (a frozen snapshot) and emits it on
a queued signal; the worker's slot runs TextSource.stream in the worker thread and emits each delta
with the request id; the controller drops results of any request that is no longer current and
re-emits the rest for the window. Cancellation is a threading.Event that the controller sets
directly from the GUI thread, because a queued "stop" signal would wait behind the generation.

Loading runs in a second thread (ModelLoader) into a fresh engine, so the model in use keeps
serving while another loads; the worker swaps engines only when the new one loaded. Until a first
model is ready, the newest request waits in the worker and runs as soon as it is; superseded ones
are cancelled before they start, so at most the newest one runs.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from penwright.app.inference.requests import LoadRequest, SuggestionRequest
from penwright.models.loading.device_probe import DeviceInfo
from penwright.models.params import GenerationParams
from penwright.models.results import GenerationStats
from penwright.models.serving.jobs import JobQueue
from penwright.models.sources.protocol import TextSource
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

if TYPE_CHECKING:
    from penwright.models.serving.owner import ServedModel

logger = logging.getLogger(__name__)
_SENT_KEPT = 64  # requests whose settings are remembered: more than a suggestion's swaps

EngineFactory = Callable[[], TextSource]
"""Creates a text source (the local Engine, a remote server's client), one per load. Called in
the loader thread: torch is imported there."""

SourceRouter = Callable[[ModelSpec], "TextSource | None"]
"""The text source for a spec that is not a local model (a remote server's, see
InferenceController.route_sources), or None for the engine factory's. Runs in the loader
thread."""

DeviceProbe = Callable[[], list[DeviceInfo]]
"""Lists the devices present (models.loading.device_probe.available_devices); runs in the loader
thread."""


def default_engine_factory() -> TextSource:
    """The real engine; imported here so that torch/transformers load in the worker thread."""
    from penwright.models.loading.responsive import import_inference_libraries

    # First, so torch's big library loads without holding the GIL the GUI thread needs.
    import_inference_libraries()
    from penwright.models.generation.engine import Engine

    return Engine()


def default_device_probe() -> list[DeviceInfo]:
    from penwright.models.loading.device_probe import available_devices

    return available_devices()


class _LoadAbandoned(Exception):
    """Raised from the progress callback to stop a load the app no longer wants (a newer load
    superseded it, or the app is shutting down)."""


def describe_error(exc: BaseException) -> str:
    """One line for the writer: the message, or the exception type when there is none."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"Out of memory: {text or type(exc).__name__}"
    return text or type(exc).__name__


class ModelLoader(QObject):
    """Loads models into fresh engines; lives in its own thread, so that the worker keeps
    generating with the engine it has meanwhile. Never touches widgets.

    A loaded engine is handed to the worker (queued signal) and never used here again: one
    owner thread at a time, as the Engine's contract asks.
    """

    progress = Signal(object)  # LoadProgress
    devices_found = Signal(object)  # list[DeviceInfo]
    loaded = Signal(object, object, object)  # LoadRequest, engine, ModelInfo
    failed = Signal(object, str)  # LoadRequest, message
    abandoned = Signal(object)  # LoadRequest

    def __init__(
        self,
        engine_factory: EngineFactory,
        device_probe: DeviceProbe,
        shutting_down: threading.Event,
    ) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._device_probe = device_probe
        self._shutting_down = shutting_down
        self.router: SourceRouter | None = None  # set before the first load, from the GUI

    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        try:
            self._check(request)
            routed = self.router(request.spec) if self.router is not None else None
            engine = routed if routed is not None else self._engine_factory()
            info = engine.load(request.spec, lambda progress: self._report(request, progress))
        except _LoadAbandoned:
            self.abandoned.emit(request)
            return
        except Exception as exc:  # any load failure becomes a message, never a crash
            logger.exception("loading %s failed", request.spec.source)
            self.failed.emit(request, describe_error(exc))
            self._probe_devices()
            return
        self.loaded.emit(request, engine, info)
        self._probe_devices()

    def _check(self, request: LoadRequest) -> None:
        if self._shutting_down.is_set() or request.superseded.is_set():
            raise _LoadAbandoned

    def _report(self, request: LoadRequest, progress: LoadProgress) -> None:
        self._check(request)
        self.progress.emit(progress)

    def _probe_devices(self) -> None:
        # Probing needs torch. A real engine has imported it by now, so this costs milliseconds;
        # an engine that never imported it (the tests' fakes) must not pay seconds for it here.
        if "torch" not in sys.modules and self._device_probe is default_device_probe:
            return
        try:
            devices = self._device_probe()
        except Exception:  # the settings panel then offers Auto and the CPU only
            logger.warning("probing the devices failed", exc_info=True)
            return
        self.devices_found.emit(devices)


class PendingCount:
    """How many of the editor's requests are posted to the worker and not yet started. The GUI
    thread adds, the worker takes; the server's requests wait while it is above zero."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self, change: int) -> None:
        with self._lock:
            self._count = max(0, self._count + change)

    def __bool__(self) -> bool:
        with self._lock:
            return self._count > 0


class InferenceWorker(QObject):
    """Owns the engine in use; lives in the worker thread. Never touches widgets or documents.

    Every slot runs in the worker thread; every signal carries plain values and is delivered to
    the GUI thread queued. Loads go to the ModelLoader (start_load) and come back as a ready
    engine, which replaces the current one only then: a failed load leaves it serving.
    """

    start_load = Signal(object)  # LoadRequest, to the loader thread
    loaded = Signal(int, object)  # load id, ModelInfo
    load_failed = Signal(int, str)  # load id, message
    token_ready = Signal(int, int, str)  # request id, alternative index, text delta
    # request id, alternative index, tuple[TokenInfo, ...]: after the text they belong to
    tokens_ready = Signal(int, int, object)
    finished = Signal(int, object)  # request id, GenerationStats
    failed = Signal(int, str)  # request id, message
    served_model_changed = Signal(object)  # models.serving.owner.ServedModel, after each load
    served_one = Signal()  # a request from another program was answered
    preview_ready = Signal(int, object)  # preview id, PromptPreview, or str: why there is none
    _serve_later = Signal(object)  # JobQueue: to itself, behind the editor's posted requests

    def __init__(self, shutting_down: threading.Event) -> None:
        super().__init__()
        self.editor_pending = PendingCount()
        self._serve_later.connect(self.serve_pending, Qt.ConnectionType.QueuedConnection)
        self._shutting_down = shutting_down
        self._engine: TextSource | None = None
        self._load_error = ""
        self._loads_in_flight = 0
        self._waiting: SuggestionRequest | None = None  # asked for before any model was ready
        self._default_threads: int | None = None

    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        self._loads_in_flight += 1
        self.start_load.emit(request)

    @Slot(object, object, object)
    def _on_engine_loaded(self, request: LoadRequest, engine: TextSource, info: ModelInfo) -> None:
        self._loads_in_flight -= 1
        if request.superseded.is_set() or self._shutting_down.is_set():
            engine.close()  # never used: free its model now, in its owner thread
        else:
            previous, self._engine = self._engine, engine
            if previous is not None:
                # Here, in its owner thread, and at once: a GPU holds one model at a time better
                # than two until the garbage collector comes by.
                previous.close()
            self._load_error = ""
            self.loaded.emit(request.load_id, info)
            self._describe_for_serving(engine)
        self._run_waiting()

    def _describe_for_serving(self, engine: TextSource) -> None:
        """What the HTTP server may say about the new model, read here in its owner thread."""
        from penwright.models.serving.owner import describe_source

        try:
            self.served_model_changed.emit(describe_source(engine))
        except Exception:  # the server then answers 503, the editor is unaffected
            logger.warning("describing the model for serving failed", exc_info=True)

    @Slot(object)
    def serve_pending(self, queue: JobQueue) -> None:
        """Run one request other programs queued (models.serving). Each queued request posts
        one call of this slot. The writer goes first: while an editor request is posted and not
        started, this slot posts itself again behind it; and a request running when the writer
        asks pauses at its next piece, its rest queued ahead of other programs' requests."""
        from penwright.models.serving.jobs import Failed
        from penwright.models.serving.runner import run_job

        if self.editor_pending:  # the writer asked meanwhile: their request runs first
            self._serve_later.emit(queue)
            return
        job = queue.take(timeout=0)
        if job is None:
            return
        if self._engine is None or self._shutting_down.is_set():
            job.sink(Failed("no model is loaded yet; try again shortly", 503))
            return
        # The writer asking meanwhile pauses the job at its next piece; the rest runs after.
        if run_job(self._engine, job, queue, make_way=lambda: bool(self.editor_pending)):
            self.served_one.emit()

    @Slot(object, str)
    def _on_load_failed(self, request: LoadRequest, message: str) -> None:
        self._loads_in_flight -= 1
        if not request.superseded.is_set():
            self._load_error = message
            self.load_failed.emit(request.load_id, message)
        self._run_waiting()

    @Slot(object)
    def _on_load_abandoned(self, request: LoadRequest) -> None:
        self._loads_in_flight -= 1
        self._run_waiting()

    def _run_waiting(self) -> None:
        if self._waiting is None or (self._engine is None and self._loads_in_flight):
            return
        request, self._waiting = self._waiting, None
        self.generate(request)

    @Slot(int)
    def set_cpu_threads(self, count: int) -> None:
        """torch's CPU threads for generation; 0 restores torch's own choice. Runs here because
        torch keeps the setting per calling thread once that thread has computed anything."""
        import torch

        if self._default_threads is None:
            self._default_threads = torch.get_num_threads()
        torch.set_num_threads(count or self._default_threads)

    @Slot(object)
    def preview(self, request: SuggestionRequest) -> None:
        """What the text source (the local engine or a remote server) would read for
        ``request`` (the story context view); no generation."""
        preview = getattr(self._engine, "preview", None)
        if preview is None:
            self.preview_ready.emit(
                request.request_id, "No model is loaded: the context view needs one."
            )
            return
        try:
            result = preview(request.context, request.params)
        except Exception as exc:  # a bad request is told, like a failed suggestion
            logger.warning("previewing the context failed", exc_info=True)
            self.preview_ready.emit(request.request_id, describe_error(exc))
            return
        self.preview_ready.emit(request.request_id, result)

    @Slot(object)
    def generate_posted(self, request: SuggestionRequest) -> None:
        """The controller's request, as posted (counted in ``editor_pending``)."""
        self.editor_pending.add(-1)
        self.generate(request)

    @Slot(object)
    def generate(self, request: SuggestionRequest) -> None:
        if request.cancelled.is_set() or self._shutting_down.is_set():
            # Superseded while it waited in the queue: report it without running the model.
            self.finished.emit(request.request_id, GenerationStats(cancelled=True))
            return
        if self._engine is None and self._loads_in_flight:
            if self._waiting is not None:  # superseded while waiting for the model
                self.finished.emit(self._waiting.request_id, GenerationStats(cancelled=True))
            self._waiting = request
            return
        if self._engine is None:
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
                    if delta.tokens:
                        self.tokens_ready.emit(request.request_id, delta.alternative, delta.tokens)
            finally:
                # Leaving early must still run the generator's cleanup (its stats, its cache).
                close = getattr(deltas, "close", None)
                if close is not None:
                    close()
            stats = engine.last_stats
        except Exception as exc:  # OOM, engine bugs: report and stay ready for the next one
            logger.exception("suggestion %d failed", request.request_id)
            self.failed.emit(request.request_id, describe_error(exc))
            return
        if request.cancelled.is_set() and not stats.cancelled:
            stats = dataclasses.replace(stats, cancelled=True, stop_reason="cancelled")
        self.finished.emit(request.request_id, stats)


class InferenceController(QObject):
    """The GUI thread's handle on the worker: starts it, sends requests, filters stale results.

    Signals re-emitted here concern only the current request, so the window never sees a token
    of a superseded or stopped suggestion.
    """

    model_progress = Signal(object)  # LoadProgress
    model_loaded = Signal(object)  # ModelInfo: the model now serving
    model_failed = Signal(str)  # the newest load failed; model_info (if any) still serves
    devices_found = Signal(object)  # list[DeviceInfo], after each load
    suggestion_delta = Signal(int, int, str)  # request id, alternative index, text delta
    # request id, alternative index, tuple[TokenInfo, ...] (when the source gives them)
    suggestion_tokens = Signal(int, int, object)
    suggestion_finished = Signal(int, object)  # request id, GenerationStats
    suggestion_failed = Signal(int, str)  # request id, message
    served_one = Signal()  # the model answered a request of another program (models.serving)
    context_previewed = Signal(int, object)  # preview id, PromptPreview or str (request_preview)

    # Private: to the worker thread (queued, because the worker lives there).
    _load_requested = Signal(object)
    _generate_requested = Signal(object)
    _preview_requested = Signal(object)
    _serve_requested = Signal(object)  # JobQueue; emitted from the HTTP server's thread

    _cpu_threads_requested = Signal(int)

    def __init__(
        self,
        engine_factory: EngineFactory,
        parent: QObject | None = None,
        device_probe: DeviceProbe = default_device_probe,
    ) -> None:
        super().__init__(parent)
        self._shutting_down = threading.Event()
        self._loader_thread = QThread()
        self._loader_thread.setObjectName("penwright-loader")
        self._loader = ModelLoader(engine_factory, device_probe, self._shutting_down)
        self._loader.moveToThread(self._loader_thread)
        self._loader_thread.finished.connect(self._loader.deleteLater)

        self._loader.progress.connect(self._on_load_progress)
        self._loader.devices_found.connect(self._on_devices_found)

        self._next_id = 1
        self._current: SuggestionRequest | None = None
        # What the latest requests were sent with, for the provenance of an accepted one (the
        # toolbar may have changed since): request id -> (model that wrote it, its params).
        self._sent: dict[int, tuple[str, GenerationParams]] = {}
        self._load: LoadRequest | None = None
        self.model_info: ModelInfo | None = None
        self.devices: list[DeviceInfo] | None = None  # None until a load has probed them
        self.loading = False
        self.load_error: str | None = None
        self._cpu_threads: int | None = None
        # Read by the HTTP server's thread: one immutable value, replaced whole after a load.
        self.served_model: ServedModel | None = None
        self._thread, self._worker = self._start_worker()
        self._loader_thread.start()

    def _start_worker(self) -> tuple[QThread, InferenceWorker]:
        """A new worker in a new thread, connected to this controller and the loader."""
        thread = QThread()
        thread.setObjectName("penwright-inference")
        worker = InferenceWorker(self._shutting_down)
        worker.moveToThread(thread)
        # The worker has no parent, so it is deleted on the worker thread when that stops.
        thread.finished.connect(worker.deleteLater)
        self._load_requested.connect(worker.load)
        self._generate_requested.connect(worker.generate_posted)
        self._preview_requested.connect(worker.preview)
        worker.preview_ready.connect(self.context_previewed)
        self._cpu_threads_requested.connect(worker.set_cpu_threads)
        self._serve_requested.connect(worker.serve_pending)
        worker.served_model_changed.connect(self._on_served_model)
        worker.served_one.connect(self.served_one)
        worker.start_load.connect(self._loader.load)
        self._loader.loaded.connect(worker._on_engine_loaded)
        self._loader.failed.connect(worker._on_load_failed)
        self._loader.abandoned.connect(worker._on_load_abandoned)
        worker.loaded.connect(self._on_loaded)
        worker.load_failed.connect(self._on_load_failed)
        worker.token_ready.connect(self._on_token_ready)
        worker.tokens_ready.connect(self._on_tokens_ready)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        thread.start()
        return thread, worker

    def _restart_dead_worker(self) -> None:
        """If the worker thread ended without shutdown(), start a new one and reload the model.

        Its engine went with it; a request waiting on it would never be answered.
        """
        if self._thread.isRunning() or self._shutting_down.is_set():
            return
        # The dead worker was deleted as its thread finished (deleteLater), connections and all.
        self._current = None
        self._thread, self._worker = self._start_worker()
        if self._cpu_threads is not None:
            self._cpu_threads_requested.emit(self._cpu_threads)
        if self._load is not None:
            self.model_info = None
            self.load_model(self._load.spec)

    # -- requests from the GUI -------------------------------------------------------------

    def load_model(self, spec: ModelSpec) -> None:
        """Load spec in the background; the model in use (if any) serves until it is ready.
        A newer call supersedes a load still running."""
        previous = self._load
        if previous is not None:
            previous.superseded.set()
        load_id = previous.load_id + 1 if previous is not None else 1
        self._load = LoadRequest(spec, load_id)
        self.loading = True
        self.load_error = None
        self._load_requested.emit(self._load)

    def route_sources(self, router: SourceRouter) -> None:
        """Let ``router`` make the text source of specs it knows (remote servers); call it
        before the first load_model (the loader thread reads it at each load)."""
        self._loader.router = router

    def set_cpu_threads(self, count: int) -> None:
        """CPU threads for generation (0: torch decides); applies from the next request."""
        self._cpu_threads = count
        self._cpu_threads_requested.emit(count)

    def request(self, text_before_cursor: str, params: GenerationParams) -> int:
        """Ask for a continuation; cancels the previous request. Returns the new request id."""
        self.stop()
        self._restart_dead_worker()
        if self.load_error is not None and self.model_info is None and self._load is not None:
            self.load_model(self._load.spec)  # no model at all: try again before this request
        request = SuggestionRequest.snapshot(self._next_id, text_before_cursor, params)
        self._next_id += 1
        self._current = request
        self._sent[request.request_id] = ("", request.params)
        for old in list(self._sent)[:-_SENT_KEPT]:
            del self._sent[old]
        self._worker.editor_pending.add(1)
        self._generate_requested.emit(request)
        return request.request_id

    def sent_with(self, request_id: int) -> tuple[str, GenerationParams] | None:
        """The model that wrote request ``request_id``'s text ("" if none arrived) and the
        params it was sent with; None once it is too old to be remembered."""
        return self._sent.get(request_id)

    def serve(self, queue: JobQueue) -> None:
        """A request of another program waits in ``queue``: the worker runs it between the
        editor's requests. Thread-safe (the HTTP server's thread calls it, as the queue's
        ``on_submit``)."""
        self._serve_requested.emit(queue)

    def request_preview(self, text_before_cursor: str, params: GenerationParams) -> int:
        """Ask what the model would read for this request; ``context_previewed`` answers with
        the returned id (in the worker's order: after any suggestion posted before it)."""
        self._preview_id = getattr(self, "_preview_id", 0) + 1
        request = SuggestionRequest.snapshot(self._preview_id, text_before_cursor, params)
        self._preview_requested.emit(request)
        return self._preview_id

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

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Cancel, stop the worker and loader threads and wait for them (at most
        ``timeout_ms`` if given). Returns whether they stopped. Safe to call twice.

        A load stops at its next progress report, but a first-run conversion can go seconds
        without one: a quit forced by a signal waits a bounded time and then leaves anyway."""
        self._shutting_down.set()
        self.stop()
        for thread in (self._thread, self._loader_thread):
            thread.quit()
        stopped = True
        for thread in (self._thread, self._loader_thread):
            if timeout_ms is None:
                thread.wait()
            else:
                stopped = thread.wait(timeout_ms) and stopped
        return stopped

    # -- results from the worker (GUI thread) -------------------------------------------------

    def _is_current(self, request_id: int) -> bool:
        current = self._current
        return current is not None and current.request_id == request_id

    @Slot(object)
    def _on_load_progress(self, progress: LoadProgress) -> None:
        self.model_progress.emit(progress)

    def _is_current_load(self, load_id: int) -> bool:
        return self._load is not None and self._load.load_id == load_id

    @Slot(int, object)
    def _on_loaded(self, load_id: int, info: ModelInfo) -> None:
        # Whichever load it was, the worker now serves with it; only the newest ends "loading".
        self.model_info = info
        if self._is_current_load(load_id):
            self.loading = False
        self.model_loaded.emit(info)

    @Slot(int, str)
    def _on_load_failed(self, load_id: int, message: str) -> None:
        if not self._is_current_load(load_id):
            return
        self.loading = False
        self.load_error = message
        self.model_failed.emit(message)

    @Slot(object)
    def _on_served_model(self, served: ServedModel) -> None:
        self.served_model = served

    @Slot(object)
    def _on_devices_found(self, devices: list[DeviceInfo]) -> None:
        self.devices = list(devices)
        self.devices_found.emit(self.devices)

    @Slot(int, int, str)
    def _on_token_ready(self, request_id: int, alternative: int, text: str) -> None:
        current = self._current
        if current is None or current.request_id != request_id or current.cancelled.is_set():
            return  # stale: a newer request, a stop or a dismissal superseded it
        sent = self._sent.get(request_id)
        if sent is not None and not sent[0] and self.model_info is not None:
            self._sent[request_id] = (self.model_info.name, sent[1])  # the model writing it
        self.suggestion_delta.emit(request_id, alternative, text)

    @Slot(int, int, object)
    def _on_tokens_ready(self, request_id: int, alternative: int, tokens: object) -> None:
        current = self._current
        if current is None or current.request_id != request_id or current.cancelled.is_set():
            return
        self.suggestion_tokens.emit(request_id, alternative, tokens)

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
