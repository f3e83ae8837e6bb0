"""The scripted fake engine (a models.sources.protocol.TextSource) the app tests run the real
worker thread on.

Named app_fakes (not fakes) because pytest puts this folder on sys.path and the name must not
clash with another test folder's helpers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from penwright.models.params import GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

WAIT_MS = 5000  # generous: the worker thread shares two CPU cores with other test runs


@dataclass
class EngineScript:
    """What the fake engine does. Tests edit it between requests (it is read in the worker).

    deltas: streamed by every request, unless `per_request` holds a list for this call.
    hold_after: after this many deltas, wait for `gate` (or cancellation) before going on.
    load_error / stream_error: raised by load / by the next stream (once).
    failing_sources: model sources whose load fails (with a "not found" OSError).
    """

    deltas: list[Delta] = field(default_factory=lambda: [Delta(0, " once"), Delta(0, " upon")])
    per_request: list[list[Delta]] = field(default_factory=list)
    hold_after: int | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    load_gate: threading.Event | None = None
    load_error: Exception | None = None
    failing_sources: set[str] = field(default_factory=set)
    stream_error: Exception | None = None
    contexts: list[str] = field(default_factory=list)
    params: list[GenerationParams] = field(default_factory=list)
    loads: int = 0
    closes: int = 0  # engines closed (replaced by a newer load, or loaded for nothing)


class FakeEngine:
    """Streams scripted deltas like models.generation.engine.Engine, checking `cancelled` between
    them. A TextSource (tests/models/sources checks it)."""

    def __init__(self, script: EngineScript) -> None:
        self._script = script
        self._stats = GenerationStats()
        self._info: ModelInfo | None = None

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def close(self) -> None:
        if self._info is not None:
            self._script.closes += 1
        self._info = None

    def load(
        self, spec: ModelSpec, progress: Callable[[LoadProgress], None] | None = None
    ) -> ModelInfo:
        script = self._script
        script.loads += 1
        if progress is not None:
            progress(LoadProgress("reading weights", 50.0))
        if script.load_gate is not None:
            script.load_gate.wait(WAIT_MS / 1000)
        if script.load_error is not None:
            raise script.load_error
        if spec.source in script.failing_sources:
            raise OSError(f"{spec.source} was not found")
        self._info = ModelInfo("Fake 1M", spec.source, "/fake", "cpu", "fp32", 1_000_000, 2048)
        return self._info

    @property
    def last_stats(self) -> GenerationStats:
        return self._stats

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event | None = None
    ) -> Iterator[Delta]:
        script = self._script
        script.contexts.append(context)
        script.params.append(params)
        deltas = script.per_request.pop(0) if script.per_request else list(script.deltas)
        if script.stream_error is not None:
            error, script.stream_error = script.stream_error, None
            raise error
        cancelled = cancelled or threading.Event()
        sent = 0
        try:
            for delta in deltas:
                if sent == script.hold_after:
                    # Wait for the test to open the gate, or for cancellation (polled, as the
                    # real engine checks between decode steps).
                    while not script.gate.wait(0.005):
                        if cancelled.is_set():
                            break
                if cancelled.is_set():
                    break
                sent += 1  # counted when handed over, as a closing caller has it
                yield delta
        finally:  # closed early too, as the TextSource contract asks
            self._stats = GenerationStats(
                prompt_tokens=len(context.split()),
                new_tokens=sent,
                time_to_first_token_s=0.012,
                decode_tokens_per_s=42.0,
                total_s=0.05,
                cancelled=cancelled.is_set(),
                stop_reason="cancelled" if cancelled.is_set() else "eos",
            )
