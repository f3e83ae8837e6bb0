"""The HTTP side: a FastAPI app speaking the OpenAI completions API over a JobQueue.

It never touches the model: each request becomes a CompletionJob in the queue, and the model's
owner thread sends the job's events back through a sink that hands them to this event loop. A
client that goes away sets the job's ``cancelled`` Event: the streaming response is cancelled by
starlette when the client disconnects (its ``finally`` sets it), and a request waiting for its
answer checks ``is_disconnected`` every 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from penwright.models.serving.config import ServeConfig, key_matches
from penwright.models.serving.jobs import (
    CompletionJob,
    Failed,
    Finished,
    JobEvent,
    JobQueue,
    Piece,
    QueueFull,
    TokenLogprobs,
)
from penwright.models.serving.openai_schema import (
    Asked,
    BadRequest,
    ChatBody,
    CompletionBody,
    TokenizeBody,
    chat_request,
    completion_request,
)
from penwright.models.serving.owner import ServedModel

ModelGetter = Callable[[], ServedModel | None]
"""The model serving now, None while none is loaded (the app reloads models while it serves)."""

_DISCONNECT_POLL_S = 0.1


def error_response(
    status: int,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """OpenAI's error shape, which its clients show to their users."""
    kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
             413: "invalid_request_error", 429: "rate_limit_error", 503: "server_busy"}  # fmt: skip
    body = {"error": {"message": message, "type": kinds.get(status, "server_error"),
                      "param": param, "code": None}}  # fmt: skip
    return JSONResponse(body, status_code=status, headers=headers)


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def create_app(queue: JobQueue, model: ModelGetter, config: ServeConfig) -> FastAPI:
    """The server's ASGI app. ``config.api_key`` set: every /v1 request needs it as a bearer
    token; ``config.allowed_origins``: CORS for those origins only."""
    app = FastAPI(title="Penwright", docs_url=None, redoc_url=None, openapi_url=None)
    limits = config.limits

    async def authorize(request: Request) -> None:
        if config.api_key and not key_matches(request.headers.get("authorization"), config.api_key):
            raise _Refused(
                error_response(
                    401,
                    "a valid API key is needed: send it as 'Authorization: Bearer KEY'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            )

    def served() -> ServedModel:
        current = model()
        if current is None:
            raise _Refused(error_response(503, "no model is loaded yet; try again shortly"))
        return current

    @app.exception_handler(_Refused)
    async def refused(_request: Request, error: _Refused) -> Response:
        return error.response

    @app.exception_handler(BadRequest)
    async def bad_request(_request: Request, error: BadRequest) -> Response:
        return error_response(error.status, str(error), error.param)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        problems = []
        for problem in error.errors()[:3]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {problem.get('msg', 'invalid')}")
        return error_response(400, "; ".join(problems) or "the request body is not valid")

    @app.get("/health")
    async def health() -> Response:
        if model() is None:
            return JSONResponse({"status": "loading"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/v1/models", dependencies=[Depends(authorize)])
    async def models() -> dict[str, Any]:
        current = served()
        return {"object": "list", "data": [{"id": current.id, "object": "model",
                "created": 0, "owned_by": "penwright"}]}  # fmt: skip

    @app.post("/tokenize", dependencies=[Depends(authorize)])
    async def tokenize(body: TokenizeBody) -> Response:
        # llama-server's shape ({"content": ...} -> {"tokens": [...]}), so clients that count
        # tokens with llama.cpp count with Penwright too.
        current = served()
        if current.tokenize is None:
            return error_response(404, "this model has no tokenizer to count with")
        # A long text takes a while to encode: off the event loop, as the model's work is.
        tokens = await asyncio.to_thread(current.tokenize, body.content)
        return JSONResponse({"tokens": tokens})

    @app.post("/v1/completions", dependencies=[Depends(authorize)])
    async def completions(body: CompletionBody, request: Request) -> Response:
        current = served()
        asked = completion_request(body, current, limits)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _answer(
            queue, asked, request, body.stream, _TextChunks(current.id, include_usage)
        )

    @app.post("/v1/chat/completions", dependencies=[Depends(authorize)])
    async def chat(body: ChatBody, request: Request) -> Response:
        current = served()
        asked = chat_request(body, current, limits)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _answer(
            queue, asked, request, body.stream, _ChatChunks(current.id, include_usage)
        )

    if config.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    return app


class _Shape:
    """How events become OpenAI JSON: text completions or chat completions."""

    object_name = ""
    chunk_name = ""

    def __init__(self, model_id: str, include_usage: bool) -> None:
        self.model_id = model_id
        self.include_usage = include_usage
        self.id = f"cmpl-{secrets.token_hex(12)}"
        self.created = int(time.time())

    def envelope(self, name: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": self.id, "object": name, "created": self.created, "model": self.model_id,
                "choices": choices}  # fmt: skip

    def piece(
        self, index: int, text: str, finish: str | None, logprobs: TokenLogprobs | None = None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def whole(
        self, index: int, text: str, finish: str, logprobs: TokenLogprobs | None
    ) -> dict[str, Any]:
        raise NotImplementedError


class _TextChunks(_Shape):
    object_name = chunk_name = "text_completion"

    def piece(
        self, index: int, text: str, finish: str | None, logprobs: TokenLogprobs | None = None
    ) -> dict[str, Any]:
        shown = _logprobs_json(logprobs)
        return {"index": index, "text": text, "logprobs": shown, "finish_reason": finish}

    def whole(
        self, index: int, text: str, finish: str, logprobs: TokenLogprobs | None
    ) -> dict[str, Any]:
        shown = _logprobs_json(logprobs)
        return {"index": index, "text": text, "logprobs": shown, "finish_reason": finish}


def _logprobs_json(logprobs: TokenLogprobs | None) -> dict[str, Any] | None:
    if logprobs is None:
        return None
    return {
        "tokens": list(logprobs.tokens),
        "token_logprobs": list(logprobs.token_logprobs),
        "top_logprobs": [dict(top) for top in logprobs.top_logprobs] or None,
        "text_offset": list(logprobs.text_offset),
    }


class _ChatChunks(_Shape):
    object_name, chunk_name = "chat.completion", "chat.completion.chunk"

    def piece(
        self, index: int, text: str, finish: str | None, logprobs: TokenLogprobs | None = None
    ) -> dict[str, Any]:
        delta = {"content": text} if text else {}
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}

    def whole(
        self, index: int, text: str, finish: str, logprobs: TokenLogprobs | None
    ) -> dict[str, Any]:
        message = {"role": "assistant", "content": text}
        return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}


def _usage(finished: Finished) -> dict[str, int]:
    stats = finished.stats
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.new_tokens,
            "total_tokens": stats.prompt_tokens + stats.new_tokens}  # fmt: skip


def _finish(reasons: tuple[str, ...], index: int) -> str:
    reason = reasons[index] if index < len(reasons) else (reasons[0] if reasons else "stop")
    return "stop" if reason == "cancelled" else reason


async def _answer(
    queue: JobQueue, asked: Asked, request: Request, stream: bool, shape: _Shape
) -> Response:
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[JobEvent] = asyncio.Queue()
    job: CompletionJob

    def sink(event: JobEvent) -> None:  # called on the owner thread
        try:
            loop.call_soon_threadsafe(events.put_nowait, event)
        except RuntimeError:  # the event loop has closed: nobody is listening any more
            job.cancelled.set()

    job = CompletionJob(asked.context, asked.params, sink, asked.logprobs, asked.messages)
    try:
        queue.submit(job)
    except QueueFull as full:
        return error_response(429, str(full), headers={"Retry-After": str(full.retry_after_s)})
    except RuntimeError as closing:
        return error_response(503, str(closing))
    # Wait for the first event before answering, so a request the model refuses gets its real
    # status rather than an error inside a 200 stream.
    first = await _next_event(events, request, job)
    if first is None:
        return Response(status_code=499)  # the client went away; nobody reads this
    if isinstance(first, Failed):
        return error_response(first.status, first.message)
    if stream:
        return StreamingResponse(
            _server_sent_events(first, events, job, shape),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await _collected(first, events, request, job, shape)


async def _next_event(
    events: asyncio.Queue[JobEvent], request: Request, job: CompletionJob
) -> JobEvent | None:
    """The job's next event, or None (and the job cancelled) once the client has gone."""
    while True:
        try:
            return await asyncio.wait_for(events.get(), _DISCONNECT_POLL_S)
        except TimeoutError:
            if await request.is_disconnected():
                job.cancelled.set()
                return None


async def _collected(
    first: JobEvent, events: asyncio.Queue[JobEvent], request: Request, job: CompletionJob,
    shape: _Shape,
) -> Response:  # fmt: skip
    texts = [""] * job.params.n
    event: JobEvent | None = first
    while True:
        if event is None:
            return Response(status_code=499)
        if isinstance(event, Failed):
            return error_response(event.status, event.message)
        if isinstance(event, Finished):
            break
        texts[event.alternative] += event.text
        event = await _next_event(events, request, job)
    logprobs = event.logprobs
    choices = [
        shape.whole(i, text, _finish(event.finish_reasons, i), logprobs[i] if logprobs else None)
        for i, text in enumerate(texts)
    ]
    body = shape.envelope(shape.object_name, choices)
    body["usage"] = _usage(event)
    return JSONResponse(body)


async def _server_sent_events(
    first: JobEvent, events: asyncio.Queue[JobEvent], job: CompletionJob, shape: _Shape
) -> AsyncIterator[str]:
    """OpenAI's stream: one ``data:`` line per piece, each choice's finish, ``data: [DONE]``."""
    try:
        if isinstance(shape, _ChatChunks):  # chat streams open with the assistant's role
            for index in range(job.params.n):
                opening = {"index": index, "delta": {"role": "assistant", "content": ""},
                           "logprobs": None, "finish_reason": None}  # fmt: skip
                yield _data(shape.envelope(shape.chunk_name, [opening]))
        event = first
        while True:
            if isinstance(event, Piece):
                piece = shape.piece(event.alternative, event.text, None, event.logprobs)
                chunk = shape.envelope(shape.chunk_name, [piece])
                yield _data(chunk)
            elif isinstance(event, Failed):
                yield _data({"error": {"message": event.message, "type": "server_error"}})
                break
            else:
                for index in range(job.params.n):
                    end = shape.piece(index, "", _finish(event.finish_reasons, index))
                    yield _data(shape.envelope(shape.chunk_name, [end]))
                if shape.include_usage:
                    last = shape.envelope(shape.chunk_name, [])
                    last["usage"] = _usage(event)
                    yield _data(last)
                break
            event = await events.get()
        yield "data: [DONE]\n\n"
    finally:
        # Reached early when the client disconnects (starlette cancels the stream): stop the
        # generation at its next step. After a normal end it changes nothing.
        job.cancelled.set()


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (413) before anything parses them, whether or not
    they announce a Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, f"the request body is larger than the {self.max_bytes:,} bytes this server takes"
        )
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        body, more = b"", True
        first: Message | None = None
        while more:
            message = await receive()
            if message["type"] != "http.request":
                first = message
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await too_large(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first or {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
