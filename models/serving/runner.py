"""Run one CompletionJob on the calling thread, which must be the text source's owner.

Used by the command line's owner thread (models.serving.owner) and by the app's inference worker,
so the server never holds a second copy of the model.
"""

from __future__ import annotations

import logging
import time

from penwright.models.errors import ParamsError
from penwright.models.results import GenerationStats
from penwright.models.serving.jobs import CompletionJob, Failed, Finished, JobQueue, Piece
from penwright.models.serving.logprobs import can_score, score_choices
from penwright.models.sources.protocol import TextSource

logger = logging.getLogger(__name__)


def run_job(source: TextSource, job: CompletionJob, queue: JobQueue | None = None) -> None:
    """Stream ``job`` from ``source``, hand every piece to the job's sink, end with Finished (or
    Failed). Never raises: a failure is the job's answer, and the owner serves the next one."""
    started = time.perf_counter()
    try:
        _run(source, job)
    except ParamsError as error:
        job.sink(Failed(str(error), 400))
    except Exception as error:  # an engine bug or OOM fails this request, not the server
        logger.exception("a served request failed")
        job.sink(Failed(f"generation failed: {error}".splitlines()[0], 500))
    finally:
        if queue is not None:
            queue.done(time.perf_counter() - started)


def _run(source: TextSource, job: CompletionJob) -> None:
    if job.cancelled.is_set():
        job.sink(Finished(GenerationStats(cancelled=True), ("cancelled",)))
        return
    context = job.context if job.messages is None else _chat_prompt(source, job)
    texts = [""] * job.params.n
    single = job.params.greedy and not job.params.distinct
    deltas = source.stream(context, job.params, job.cancelled)
    try:
        for delta in deltas:
            if job.cancelled.is_set():
                break
            if not delta.text or delta.alternative >= len(texts):
                continue
            # Greedy without distinct openings makes one continuation: every choice is that one.
            for choice in range(len(texts)) if single else (delta.alternative,):
                texts[choice] += delta.text
                job.sink(Piece(choice, delta.text))
    finally:
        deltas_close = getattr(deltas, "close", None)
        if deltas_close is not None:
            deltas_close()  # leaving early must still run the generator's cleanup
    stats = source.last_stats
    if job.cancelled.is_set():
        job.sink(Finished(stats, ("cancelled",) * len(texts)))
        return
    logprobs = None
    if job.logprobs is not None and can_score(source):
        logprobs = score_choices(source, texts, job.logprobs, len(context))
    job.sink(Finished(stats, _finish_reasons(source, job, stats), logprobs))


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
