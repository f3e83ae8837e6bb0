"""A small OpenAI-compatible server of the tests' own, on 127.0.0.1, that fails on request.

A stdlib ThreadingHTTPServer: ``GET /v1/models`` and ``POST /v1/completions`` (server-sent
events). ``scenario`` chooses how the next requests are answered: "ok" streams ``pieces`` (per
choice, ``n`` honoured) and [DONE]; the others are the failures a remote source must name.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_ID = "fault-model"
PIECES = [" The", " rain", " fell", " on", " the", " roof.", " It", " was", " late."]


class FaultServer:
    def __init__(self) -> None:
        self.scenario = "ok"
        self.models_scenario = "ok"
        self.pieces: list[str] = list(PIECES)
        # When set and a request asks for logprobs: each piece's (logprob, top logprobs).
        self.logprobs: list[tuple[float, dict[str, float]]] | None = None
        self.bodies: list[dict[str, Any]] = []  # every completions request, as JSON
        self.headers: list[dict[str, str]] = []
        self.required_key = ""  # when set, a request without "Bearer <it>" gets 401
        self.release = threading.Event()  # ends a "silent" stream
        self.disconnected = threading.Event()  # the client left a "silent" stream
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    try:
        yield server
    finally:
        server.close()


def _chunk(
    index: int,
    text: str,
    finish: str | None = None,
    logprobs: tuple[float, dict[str, float]] | None = None,
) -> bytes:
    choice: dict[str, Any] = {"index": index, "text": text, "finish_reason": finish}
    if logprobs is not None:  # vLLM's streamed form: this event's tokens
        choice["logprobs"] = {
            "tokens": [text],
            "token_logprobs": [logprobs[0]],
            "top_logprobs": [logprobs[1]],
            "text_offset": [0],
        }
    event = {"id": "cmpl-1", "object": "text_completion", "model": MODEL_ID, "choices": [choice]}
    return f"data: {json.dumps(event)}\n\n".encode()


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if self.path != "/v1/models":
                return self._json(404, {"error": {"message": "no such path"}})
            if self._failed(self._key_scenario() or server.models_scenario):
                return None
            return self._json(
                200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]}
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.bodies.append(body)
            server.headers.append(dict(self.headers))
            if self.path != "/v1/completions":
                return self._json(404, {"error": {"message": "no such path"}})
            if self._failed(self._key_scenario() or server.scenario):
                return None
            return self._stream(body)

        def _key_scenario(self) -> str:
            wrong = self.headers.get("Authorization", "") != f"Bearer {server.required_key}"
            return "401" if server.required_key and wrong else ""

        def _failed(self, scenario: str) -> bool:
            answers = {
                "401": (401, {"error": {"message": "invalid api key"}}),
                "403": (403, {"error": {"message": "this key may not use the model"}}),
                "404-model": (404, {"error": {"message": "The model `x` does not exist."}}),
                "500": (500, {"error": {"message": "CUDA out of memory"}}),
                "503": (503, {"detail": "loading the model"}),
                "400": (400, {"error": {"message": "max_tokens is too large"}}),
            }
            if scenario in answers:
                status, payload = answers[scenario]
                self._json(status, payload)
                return True
            if scenario == "429":
                self._json(429, {"error": {"message": "queue full"}}, {"Retry-After": "7"})
                return True
            if scenario == "html":
                self._send(200, b"<html><body>router login</body></html>", "text/html")
                return True
            return False

        def _stream(self, body: dict[str, Any]) -> None:
            scenario = server.scenario
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.end_headers()
            n = int(body.get("n") or 1)
            try:
                if scenario == "malformed":
                    self.wfile.write(b"data: {not json\n\n")
                    return
                if scenario == "error-event":  # a piece, then the server's own error
                    self.wfile.write(_chunk(0, server.pieces[0]))
                    error = {"error": {"message": "the GPU fell over", "code": 500}}
                    self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                    return
                if scenario == "silent":  # one piece, then nothing until released
                    self.wfile.write(_chunk(0, server.pieces[0]))
                    self.wfile.flush()
                    self._wait_silently()
                    return
                pieces = server.pieces
                if scenario == "cut":
                    pieces = pieces[:3]
                asked = body.get("logprobs") is not None and server.logprobs is not None
                for number, piece in enumerate(pieces):
                    odds = server.logprobs[number] if asked and server.logprobs else None
                    for index in range(n):
                        text = piece if index == 0 else f"{piece}{index}"
                        self.wfile.write(_chunk(index, text, None, odds))
                    self.wfile.flush()
                if scenario == "cut":
                    return  # the connection closes: no finish_reason, no [DONE]
                for index in range(n):
                    self.wfile.write(_chunk(index, "", "length"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except OSError:
                server.disconnected.set()
            finally:
                self.close_connection = True

        def _wait_silently(self) -> None:
            # Poll the socket: a client that leaves shows as end-of-file.
            import select

            while not server.release.wait(0.02):
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable and not self.connection.recv(1, 0x40):  # MSG_DONTWAIT
                    server.disconnected.set()
                    return

        def _json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json", headers)

        def _send(
            self,
            status: int,
            data: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
