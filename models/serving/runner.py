"""Run one CompletionJob on the calling thread, which must be the text source's owner.

Used by the command line's owner thread (models.serving.owner) and by the app's inference worker,
so the server never holds a second copy of the model.

Making way for the editor: in the app, ``make_way`` says when the writer has asked for a
suggestion. A one-choice job without logprobs then pauses at its next piece: it goes back to the
front of the queue as the rest of itself (its prompt plus the text already sent, the tokens
left), the writer's request runs, and the job carries on, its client seeing one unbroken stream.
The prefix KV cache makes carrying on cheap: only the text generated since is prefilled again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from penwright.models.errors import ParamsError
from penwright.models.results import GenerationStats, TokenInfo
from penwright.models.serving.jobs import (
    CompletionJob,
    Failed,
    Finished,
    JobQueue,
    Piece,
    Priority,
)
from penwright.models.serving.logprobs import (
    can_score,
    from_tokens,
    score_choices,
    streams_tokens,
)
from penwright.models.sources.protocol import TextSource

logger = logging.getLogger(__name__)


def run_job(
    source: TextSource,
    job: CompletionJob,
    queue: JobQueue | None = None,
    make_way: Callable[[], bool] | None = None,
) -> bool:
    """Stream ``job`` from ``source``, hand every piece to the job's sink, end with Finished (or
    Failed): True. Or pause it for the editor (see the module docstring; needs ``queue``):
    False, the rest is queued. Never raises: a failure is the job's answer, and the owner
    serves the next one."""
    started = time.perf_counter()
    pausable = queue is not None and job.params.n == 1 and job.logprobs is None
    answered = True
    try:
        answered = _run(source, job, make_way if pausable else None, queue)
    except ParamsError as error:
        job.sink(Failed(str(error), 400))
    except Exception as error:  # an engine bug or OOM fails this request, not the server
        logger.exception("a served request failed")
        job.sink(Failed(f"generation failed: {error}".splitlines()[0], 500))
    finally:
        if queue is not None and answered:
            queue.done(time.perf_counter() - started)
    return answered


def _run(
    source: TextSource,
    job: CompletionJob,
    make_way: Callable[[], bool] | None,
    queue: JobQueue | None,
) -> bool:
    if job.cancelled.is_set():
        job.sink(Finished(GenerationStats(cancelled=True), ("cancelled",)))
        return True
    context = job.context if job.messages is None else _chat_prompt(source, job)
    texts = [""] * job.params.n
    single = job.params.greedy and not job.params.distinct
    paused = False
    # Token probabilities streamed with the text: for streamed logprobs, and for a source
    # that cannot be scored afterwards.
    top = job.logprobs
    streamed = top is not None and streams_tokens(source)
    params = replace(job.params, top_alternatives=max(top or 0, 1)) if streamed else job.params
    tokens: list[list[TokenInfo]] = [[] for _ in texts]
    deltas = source.stream(context, params, job.cancelled)
    try:
        for delta in deltas:
            if job.cancelled.is_set():
                break
            if not delta.text or delta.alternative >= len(texts):
                continue
            # Greedy without distinct openings makes one continuation: every choice is that one.
            for choice in range(len(texts)) if single else (delta.alternative,):
                piece_logprobs = None
                if streamed and top is not None:
                    offset = len(context) + len(texts[choice])
                    piece_logprobs = from_tokens(delta.tokens, top, offset)
                    tokens[choice].extend(delta.tokens)
                texts[choice] += delta.text
                job.sink(Piece(choice, delta.text, piece_logprobs))
            if make_way is not None and make_way():
                paused = True
                break
    finally:
        deltas_close = getattr(deltas, "close", None)
        if deltas_close is not None:
            deltas_close()  # leaving early must still run the generator's cleanup
    stats = _carried(source.last_stats, job)
    if paused and not job.cancelled.is_set() and queue is not None:
        left = job.params.max_new_tokens - source.last_stats.new_tokens
        if left > 0:
            rest = replace(
                job,
                context=context + texts[0],
                messages=None,
                params=replace(job.params, max_new_tokens=left),
                carried_prompt_tokens=stats.prompt_tokens,
                carried_tokens=stats.new_tokens,
            )
            queue.submit(rest, Priority.RESUMED)
            return False
    if job.cancelled.is_set():
        job.sink(Finished(stats, ("cancelled",) * len(texts)))
        return True
    logprobs = None
    if top is not None and can_score(source):
        logprobs = score_choices(source, texts, top, len(context))
    elif streamed and top is not None:
        logprobs = tuple(from_tokens(kept, top, len(context)) for kept in tokens)
    job.sink(Finished(stats, _finish_reasons(source, job, stats), logprobs))
    return True


def _carried(stats: GenerationStats, job: CompletionJob) -> GenerationStats:
    """The figures of the whole job, over the parts it was paused into."""
    if job.carried_prompt_tokens is None:
        return stats
    return replace(
        stats,
        prompt_tokens=job.carried_prompt_tokens,
        new_tokens=stats.new_tokens + job.carried_tokens,
    )


def _finish_reasons(
    source: TextSource, job: CompletionJob, stats: GenerationStats
) -> tuple[str, ...]:
    """OpenAI's finish_reason per choice: "length" where the token limit ended it, else "stop"
    (end of text or a stop string)."""
    generated = getattr(source, "last_alternative_ids", None)
    limit = job.params.max_new_tokens
    if not generated:  # a source that reports only the request's reason
        return ("length" if stats.stop_reason == "length" else "stop",) * job.params.n
    # Greedy without distinct openings generated one alternative for every choice.
    return tuple(
        "length" if len(generated[min(i, len(generated) - 1)]) >= limit else "stop"
        for i in range(job.params.n)
    )


def _chat_prompt(source: TextSource, job: CompletionJob) -> str:
    """The chat template over the job's messages, ready for the assistant's turn."""
    tokenizer = getattr(source, "tokenizer", None)
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise ParamsError("the loaded model has no chat template: use /v1/completions")
    text = tokenizer.apply_chat_template(
        list(job.messages or ()), tokenize=False, add_generation_prompt=True
    )
    bos = getattr(tokenizer, "bos_token", None)
    # The engine's tokenizer adds the start token itself.
    return text[len(bos) :] if bos and text.startswith(bos) else text
