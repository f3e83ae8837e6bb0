"""What one HTTP request asks of the model owner (CompletionJob), what comes back (JobEvent), and
the bounded priority queue jobs wait in (JobQueue).

The queue is the only object the HTTP threads and the owner thread share, besides each job's
``cancelled`` Event and its sink. Events go back through ``sink``, a callable the HTTP side makes
thread-safe (it hands each event to its event loop); the owner never waits on a client.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from penwright.models.params import GenerationParams
from penwright.models.results import GenerationStats


class Priority(IntEnum):
    """Lower runs first: the writer's own suggestions, then a request paused for them (the rest
    of it, see models.serving.runner), then other programs' requests."""

    EDITOR = 0
    RESUMED = 1
    SERVER = 2


@dataclass(frozen=True)
class TokenLogprobs:
    """The OpenAI completions ``logprobs`` object of one choice: each generated token's text, its
    log-probability, the likeliest tokens at its place, and where it starts in prompt + text."""

    tokens: tuple[str, ...]
    token_logprobs: tuple[float, ...]
    top_logprobs: tuple[dict[str, float], ...]
    text_offset: tuple[int, ...]


@dataclass(frozen=True)
class Piece:
    """New stable text of one choice; ``logprobs``: its tokens, when the job asked for them and
    the source streams token probabilities (see models.serving.logprobs.from_tokens)."""

    alternative: int
    text: str
    logprobs: TokenLogprobs | None = None


@dataclass(frozen=True)
class Finished:
    """The job ended. ``finish_reasons``: "stop" or "length" per choice (or "cancelled");
    ``logprobs``: per choice, when the job asked for them."""

    stats: GenerationStats
    finish_reasons: tuple[str, ...]
    logprobs: tuple[TokenLogprobs, ...] | None = None


@dataclass(frozen=True)
class Failed:
    """The job could not run; ``status``: 400 for a request the model cannot take, 500 else."""

    message: str
    status: int = 500


JobEvent = Piece | Finished | Failed
Sink = Callable[[JobEvent], None]


@dataclass(eq=False)
class CompletionJob:
    """Continue ``context`` (or, with ``messages``, the model's chat template over them).

    ``cancelled`` may be set from any thread (a client that went away): a job still queued is
    skipped, a running one stops at the next decode step. ``logprobs``: how many likeliest
    tokens to report per generated token (0: only the chosen one's), None for none.
    ``started`` is set by the owner thread when the job leaves the queue. A job paused for the
    editor is queued again as the rest of itself: ``carried_*`` count what the parts before it
    used, so its usage covers the whole request.
    """

    context: str
    params: GenerationParams
    sink: Sink
    logprobs: int | None = None
    messages: tuple[dict[str, str], ...] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    carried_prompt_tokens: int | None = None
    carried_tokens: int = 0


class QueueFull(Exception):
    """No room for another request; ``retry_after_s`` estimates when there will be."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the model is busy; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class JobQueue:
    """Jobs waiting for the model owner, the editor's first, then first come first served.

    ``capacity`` bounds the other programs' jobs waiting (not the one running); the editor's are
    always taken. ``on_submit`` is called (in the submitting thread) after each job is queued:
    the app uses it to wake the inference worker. Thread-safe.
    """

    def __init__(self, capacity: int, on_submit: Callable[[], None] | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"the queue needs room for at least one request, not {capacity}")
        self.capacity = capacity
        self._on_submit = on_submit
        self._heap: list[tuple[int, int, CompletionJob]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._served = 0
        self._mean_seconds = 1.0  # a running mean of how long a job takes, for Retry-After

    def submit(self, job: CompletionJob, priority: Priority = Priority.SERVER) -> None:
        """Queue ``job``; raise QueueFull when other programs' jobs fill the queue, RuntimeError
        once closed."""
        with self._ready:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            waiting = sum(1 for p, _, _ in self._heap if p == Priority.SERVER)
            if priority == Priority.SERVER and waiting >= self.capacity:
                raise QueueFull(self._retry_after(waiting))
            heapq.heappush(self._heap, (int(priority), next(self._order), job))
            self._ready.notify()
        if self._on_submit is not None:
            self._on_submit()

    def take(self, timeout: float | None = None) -> CompletionJob | None:
        """The next job (the owner thread calls this), or None after ``timeout`` seconds or once
        closed. Jobs cancelled while they waited are dropped here, answered as cancelled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        dropped: list[CompletionJob] = []
        try:
            with self._ready:
                while True:
                    while self._heap:
                        job = heapq.heappop(self._heap)[2]
                        if not job.cancelled.is_set():
                            job.started.set()
                            return job
                        dropped.append(job)
                    if self._closed:
                        return None
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return None
                    self._ready.wait(left)
        finally:
            for job in dropped:  # outside the lock: a sink is the HTTP side's code
                job.sink(Finished(GenerationStats(cancelled=True), ("cancelled",)))

    def done(self, seconds: float) -> None:
        """Count a job served (the owner calls this when one ends) and how long it took."""
        with self._ready:
            self._served += 1
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds

    @property
    def served(self) -> int:
        """Jobs answered so far (the app's status bar shows it)."""
        with self._ready:
            return self._served

    def __len__(self) -> int:
        with self._ready:
            return len(self._heap)

    def close(self) -> None:
        """Refuse new jobs, answer the waiting ones as cancelled, wake the owner."""
        with self._ready:
            self._closed = True
            waiting, self._heap = self._heap, []
            self._ready.notify_all()
        for _, _, job in waiting:
            job.cancelled.set()
            job.sink(Finished(GenerationStats(cancelled=True), ("cancelled",)))

    def _retry_after(self, waiting: int) -> int:
        return max(1, math.ceil(self._mean_seconds * (waiting + 1)))
