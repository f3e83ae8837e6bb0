"""ModelOwner: the one thread that owns a text source and runs the server's queue (the command
line's ``serve``). The app does not use it: there the inference worker, which already owns the
engine, drains the same kind of JobQueue between the writer's own requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from penwright.models.serving.jobs import JobQueue
from penwright.models.serving.runner import run_job
from penwright.models.sources.protocol import TextSource
from penwright.models.spec import ModelInfo


@dataclass(frozen=True)
class ServedModel:
    """What the HTTP side may know about the model, read once on the owner thread: its id for
    /v1/models, its ModelInfo, whether it has a chat template and can report logprobs, and its
    tokenizer."""

    id: str
    info: ModelInfo
    chat: bool
    logprobs: bool
    tokenize: Callable[[str], list[int]] | None = field(default=None, compare=False)
    """The model's token ids for a text, as its engine counts them (POST /tokenize, which a
    remote Penwright client uses to count the story context's tokens); None without one."""


def describe_source(source: TextSource, model_id: str | None = None) -> ServedModel:
    """Read ``source``'s facts for the HTTP side; call it on the owner thread (after a load)."""
    from penwright.models.serving.logprobs import can_score, streams_tokens

    info = source.info
    if info is None:
        raise RuntimeError("no model is loaded")
    tokenizer: Any = getattr(source, "tokenizer", None)
    chat = bool(getattr(tokenizer, "chat_template", None))
    logprobs = can_score(source) or streams_tokens(source)
    tokenize = None
    if callable(tokenizer):

        def tokenize(text: str) -> list[int]:
            # The engine's own count (models.generation.engine's story assembler).
            return list(tokenizer(text)["input_ids"])

    return ServedModel(model_id or model_slug(info), info, chat, logprobs, tokenize)


def model_slug(info: ModelInfo) -> str:
    """An id for /v1/models from the model's name ("Gemma 3 270M" -> "gemma-3-270m")."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in info.name.lower()).split())
    return slug or "penwright"


class ModelOwner:
    """Owns ``source`` from ``start`` on: its thread takes jobs from ``queue`` and runs them one
    at a time. ``stop`` closes the queue (waiting jobs are answered as cancelled), cancels
    nothing running (the HTTP side does that), and waits for the thread."""

    def __init__(self, source: TextSource, queue: JobQueue) -> None:
        self.source = source
        self.queue = queue
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="penwright-model-owner", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            job = self.queue.take(timeout=0.5)
            if job is not None:
                run_job(self.source, job, self.queue)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self.queue.close()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
