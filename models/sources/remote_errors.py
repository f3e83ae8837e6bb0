"""What can go wrong talking to a remote server, as one typed error with one clear message.

Every failure of a remote text source becomes a RemoteError: its ``failure`` says which kind
(for the app and the tests), its message says it for the writer, naming the server and what to
do. The writer's text is never touched by any of them: a failed suggestion only shows nothing.
"""

from __future__ import annotations

import json
import socket
import ssl
from enum import StrEnum

import httpx

from penwright.models.errors import GenerationError


class RemoteFailure(StrEnum):
    CONNECTION_REFUSED = "connection refused"
    UNKNOWN_HOST = "unknown host"
    TLS = "TLS error"
    UNAUTHORIZED = "unauthorized"  # 401: no key, or a wrong one
    FORBIDDEN = "forbidden"  # 403: the key may not use this
    UNKNOWN_MODEL = "unknown model"  # 404 naming the model, or not in /v1/models
    NOT_FOUND = "not found"  # 404 for the path itself: the base URL is wrong
    RATE_LIMITED = "rate limited"  # 429
    SERVER_ERROR = "server error"  # 5xx
    BAD_REQUEST = "bad request"  # another 4xx: the server refused a parameter
    TIMEOUT = "timeout"
    MALFORMED = "malformed response"  # not the event stream (or JSON) the API promises
    STREAM_CUT = "stopped mid-stream"  # the connection ended before the completion did
    NETWORK = "network error"  # anything else on the way


class RemoteError(GenerationError):
    """A remote server failed; ``str(error)`` is the one message to show the writer."""

    def __init__(self, failure: RemoteFailure, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.failure = failure
        self.retry_after_s = retry_after_s


def _causes(error: BaseException) -> list[BaseException]:
    """The error and every error behind it (httpx wraps httpcore, which wraps the OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def from_transport(error: httpx.TransportError, server: str) -> RemoteError:
    """The message for a failure below HTTP: no connection, no name, no TLS, no answer."""
    chain = _causes(error)
    text = " ".join(str(e) for e in chain).lower()
    if isinstance(error, httpx.TimeoutException):
        what = "connect" if isinstance(error, httpx.ConnectTimeout) else "answer"
        return RemoteError(
            RemoteFailure.TIMEOUT,
            f"{server} did not {what} in time (timeout); is it running and reachable?",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "ssl" in text or "certificate" in text:
        return RemoteError(
            RemoteFailure.TLS,
            f"The secure connection to {server} failed (TLS error: {_first_line(chain)}). "
            "Check http:// against https:// and the server's certificate.",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service" in text:
        return RemoteError(
            RemoteFailure.UNKNOWN_HOST,
            f"Unknown host: {server} could not be found; check the address.",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return RemoteError(
            RemoteFailure.CONNECTION_REFUSED,
            f"Connection refused by {server}: no server is listening there; is it running?",
        )
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return stream_cut(server)
    return RemoteError(RemoteFailure.NETWORK, f"Network error talking to {server}: {error}")


def network_error(error: BaseException, server: str) -> RemoteError:
    """Anything else the HTTP layer raised (an invalid URL and the like)."""
    return RemoteError(RemoteFailure.NETWORK, f"Could not talk to {server}: {error}")


def stream_cut(server: str) -> RemoteError:
    return RemoteError(
        RemoteFailure.STREAM_CUT,
        f"{server} stopped in the middle of the suggestion (the connection closed early); "
        "nothing was inserted.",
    )


def malformed(server: str, why: str) -> RemoteError:
    return RemoteError(
        RemoteFailure.MALFORMED,
        f"{server} sent something that is not an OpenAI-compatible completion ({why}); "
        "check the base URL and the preset.",
    )


def from_status(response: httpx.Response, server: str, model: str) -> RemoteError:
    """The message for an HTTP error answer; the body must have been read."""
    status = response.status_code
    detail = server_detail(response)
    said = f": {detail}" if detail else ""
    if status == 401:
        return RemoteError(
            RemoteFailure.UNAUTHORIZED,
            f"{server} refused the request (401 unauthorized): it needs an API key, or the key "
            "set for it is wrong.",
        )
    if status == 403:
        return RemoteError(
            RemoteFailure.FORBIDDEN,
            f"{server} refused the request (403 forbidden): this API key may not use it{said}.",
        )
    if status == 404:
        if model and "model" in detail.lower():
            return unknown_model(server, model)
        return RemoteError(
            RemoteFailure.NOT_FOUND,
            f"{server} has no {response.request.url.path} (404); the base URL usually ends in /v1.",
        )
    if status == 429:
        retry = retry_after(response)
        when = f"try again in {retry:g} s" if retry is not None else "try again in a moment"
        return RemoteError(
            RemoteFailure.RATE_LIMITED,
            f"{server} is busy (429 too many requests); {when}.",
            retry_after_s=retry,
        )
    if status >= 500:
        return RemoteError(
            RemoteFailure.SERVER_ERROR, f"{server} failed with a server error ({status}){said}."
        )
    return RemoteError(RemoteFailure.BAD_REQUEST, f"{server} refused the request ({status}){said}.")


def unknown_model(server: str, model: str, available: list[str] | None = None) -> RemoteError:
    offered = f" It serves: {', '.join(available)}." if available else ""
    return RemoteError(
        RemoteFailure.UNKNOWN_MODEL, f"{server} has no model named {model!r}.{offered}"
    )


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (only the number form; an HTTP date is rare from these servers)."""
    raw = response.headers.get("retry-after", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


_MAX_DETAIL = 200


def server_detail(response: httpx.Response) -> str:
    """The server's own reason, from OpenAI's {"error": {"message": ...}} or FastAPI's
    {"detail": ...} or plain text, on one short line."""
    try:
        text = response.text
    except httpx.ResponseNotRead:
        return ""
    message: object = text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message", "")
        elif isinstance(error, str):
            message = error
        elif "detail" in body:
            message = body["detail"]
        elif "message" in body:
            message = body["message"]
    line = " ".join(str(message).split())
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "\u2026"


def _first_line(chain: list[BaseException]) -> str:
    deepest = chain[-1]
    return str(deepest).strip().splitlines()[0] if str(deepest).strip() else type(deepest).__name__
