"""One streamed HTTP request whose reading can be abandoned at any moment.

httpx reads a response body by blocking in the socket. A server that goes silent would hold the
reading thread until the read timeout, and the writer's Stop must act within 100 ms. So the body
is read on a helper thread that hands each line over a queue; the owner thread waits on the
queue in short slices, checking its cancel Event between them, and on cancel shuts the socket,
which wakes the helper at once (and tells the server the client left, so it stops generating).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from penwright.models.sources.remote_errors import from_status, from_transport, network_error

POLL_S = 0.02
"""How long the owner waits on the queue before it looks at the cancel Event again."""


@dataclass(frozen=True)
class _Line:
    text: str


@dataclass(frozen=True)
class _Opened:
    content_type: str


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class Cancelled(Exception):
    """The owner's cancel Event was set while it waited for the server."""


class StreamedRequest:
    """``POST url`` with ``body``; iterate ``lines()`` in the owner thread, ``close()`` when
    done (or abandoned). ``content_type`` is known once the first line (or the end) arrived."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        server: str,
        model: str,
        cancelled: threading.Event,
    ) -> None:
        self._client = client
        self._request = client.build_request("POST", url, json=body, headers=headers)
        self._server = server
        self._model = model
        self._cancelled = cancelled
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._abandon = threading.Event()
        self._response: httpx.Response | None = None
        self._lock = threading.Lock()
        self.content_type = ""
        self._reader = threading.Thread(target=self._read, name="penwright-remote", daemon=True)
        self._reader.start()

    # -- the owner thread ---------------------------------------------------------------------

    def lines(self) -> Iterator[str]:
        """The body's lines; raises RemoteError for a failure, Cancelled on cancel."""
        while True:
            item = self._next()
            if item is _END:
                return
            if isinstance(item, _Opened):
                self.content_type = item.content_type
            elif isinstance(item, _Failed):
                raise item.error
            elif isinstance(item, _Line):
                yield item.text

    def _next(self) -> object:
        while True:
            if self._cancelled.is_set():
                raise Cancelled
            try:
                return self._queue.get(timeout=POLL_S)
            except queue.Empty:
                continue

    def close(self) -> None:
        """Stop reading now: the helper thread ends and the connection is dropped, never
        returned to the pool half-read."""
        self._abandon.set()
        with self._lock:
            response = self._response
        if response is not None:
            _shut_socket(response)  # the helper closes the response itself as it wakes

    # -- the helper thread --------------------------------------------------------------------

    def _read(self) -> None:
        try:
            response = self._client.send(self._request, stream=True)
        except httpx.TransportError as error:
            self._queue.put(_Failed(from_transport(error, self._server)))
            return
        except Exception as error:  # an invalid URL and the like: still one message
            self._queue.put(_Failed(network_error(error, self._server)))
            return
        with self._lock:
            self._response = response
        try:
            if self._abandon.is_set():
                return
            if response.status_code >= 400:
                response.read()
                self._queue.put(_Failed(from_status(response, self._server, self._model)))
                return
            self._queue.put(_Opened(response.headers.get("content-type", "")))
            for line in response.iter_lines():
                if self._abandon.is_set():
                    return
                self._queue.put(_Line(line))
            self._queue.put(_END)
        except httpx.TransportError as error:
            if not self._abandon.is_set():
                self._queue.put(_Failed(from_transport(error, self._server)))
        except Exception as error:
            if not self._abandon.is_set():
                self._queue.put(_Failed(network_error(error, self._server)))
        finally:
            response.close()


def _shut_socket(response: httpx.Response) -> None:
    """Shut the response's socket: a thread blocked reading it wakes at once. (Closing a socket
    does not wake a reader on Linux; shutting it down does.)"""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
