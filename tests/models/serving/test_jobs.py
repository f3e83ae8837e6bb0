"""The JobQueue's rules: the editor first and never refused, others bounded (QueueFull with a
Retry-After), cancelled jobs dropped and answered, closing answers whoever still waits."""

from __future__ import annotations

import pytest

from penwright.models.params import GenerationParams
from penwright.models.serving.jobs import (
    CompletionJob,
    Finished,
    JobEvent,
    JobQueue,
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
    assert full.value.retry_after_s >= 1 and "try again" in str(full.value)
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
