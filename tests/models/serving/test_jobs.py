"""The JobQueue's rules: the editor first and never refused, others bounded (QueueFull with a
Retry-After), cancelled jobs dropped and answered, closing answers whoever still waits; and a
job paused for the editor carrying on as the rest of itself (on the tiny model)."""

from __future__ import annotations

from typing import Any

import pytest

from penwright.models.params import GenerationParams, StopMode
from penwright.models.serving.jobs import (
    CompletionJob,
    Finished,
    JobEvent,
    JobQueue,
    Piece,
    Priority,
    QueueFull,
)


def job(name: str, answers: list[tuple[str, JobEvent]]) -> CompletionJob:
    return CompletionJob(name, GenerationParams(), lambda event: answers.append((name, event)))


def test_editor_jobs_go_first_and_are_never_refused() -> None:
    answers: list[tuple[str, JobEvent]] = []
    queue = JobQueue(capacity=2)
    queue.submit(job("a", answers))
    queue.submit(job("b", answers))
    with pytest.raises(QueueFull) as full:
        queue.submit(job("c", answers))
    # No job has been served yet: the first guess of a second a job, for the two waiting and
    # this one (no clock is read).
    assert full.value.retry_after_s == 3 and "try again in 3 s" in str(full.value)
    queue.submit(job("editor", answers), Priority.EDITOR)  # beyond the capacity
    order = []
    while (taken := queue.take(timeout=0)) is not None:
        order.append(taken.context)
        assert taken.started.is_set()
    assert order == ["editor", "a", "b"]


def test_cancelled_jobs_are_dropped_and_answered() -> None:
    answers: list[tuple[str, JobEvent]] = []
    queue = JobQueue(capacity=4)
    gone, kept = job("gone", answers), job("kept", answers)
    queue.submit(gone)
    queue.submit(kept)
    gone.cancelled.set()
    taken = queue.take(timeout=0)
    assert taken is kept
    assert [name for name, _ in answers] == ["gone"]
    assert isinstance(answers[0][1], Finished) and answers[0][1].stats.cancelled


def test_closing_answers_the_waiting_and_refuses_more() -> None:
    answers: list[tuple[str, JobEvent]] = []
    queue = JobQueue(capacity=4)
    waiting = job("waiting", answers)
    queue.submit(waiting)
    queue.close()
    assert waiting.cancelled.is_set() and [name for name, _ in answers] == ["waiting"]
    assert queue.take(timeout=None) is None  # a closed queue never blocks its owner
    with pytest.raises(RuntimeError, match="shutting down"):
        queue.submit(job("late", answers))


def test_served_counts_what_was_done() -> None:
    queue = JobQueue(capacity=1)
    assert queue.served == 0
    queue.done(0.5)
    queue.done(0.5)
    assert queue.served == 2
    with pytest.raises(ValueError, match="at least one"):
        JobQueue(capacity=0)


def test_a_job_paused_for_the_editor_carries_on_from_what_it_sent(tiny_gemma: Any) -> None:
    from penwright.models.generation.engine import Engine
    from penwright.models.serving.runner import run_job

    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    answers: list[tuple[str, JobEvent]] = []
    params = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE).plain()
    queue = JobQueue(capacity=4)
    paused = CompletionJob("The harbour", params, lambda e: answers.append(("job", e)))
    asks = iter([True])  # the editor asks once, at the first piece
    assert run_job(engine, paused, queue, make_way=lambda: next(asks, False)) is False
    sent = "".join(e.text for _, e in answers if isinstance(e, Piece))
    assert sent and not any(isinstance(e, Finished) for _, e in answers)
    first_tokens = engine.last_stats.new_tokens
    rest = queue.take(timeout=0)
    assert rest is not None and rest.context == "The harbour" + sent
    assert rest.params.max_new_tokens == 12 - first_tokens
    assert rest.cancelled is paused.cancelled  # the client's disconnect still reaches it
    assert run_job(engine, rest, queue, make_way=lambda: next(asks, False)) is True
    finished = answers[-1][1]
    assert isinstance(finished, Finished) and queue.served == 1
    assert finished.stats.new_tokens == 12 or finished.finish_reasons == ("stop",)
    assert finished.stats.prompt_tokens == len(tiny_gemma.tokenizer("The harbour")["input_ids"])
