"""A Hugging Face Hub on 127.0.0.1, for testing downloads through huggingface_hub's own code.

It answers the requests ``snapshot_download`` makes (huggingface_hub 2.4), for one repository
held in memory:

    GET  /api/models/{repo}/revision/{revision}      model info: the commit sha
    GET  /api/models/{repo}/tree/{commit}            the file listing (one page)
    HEAD /{repo}/resolve/{commit}/{filename}         X-Repo-Commit, ETag, Content-Length
    GET  /{repo}/resolve/{commit}/{filename}         the bytes (a Range "bytes=N-" is honoured)

Any other repository gets the Hub's answer for a missing one (404, X-Error-Code: RepoNotFound).
``cut_at`` makes the server drop the connection once a file's bytes up to that offset are sent,
on every request, as a server going away mid-stream does.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote, urlsplit

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RANGE = re.compile(r"bytes=(\d+)-$")


@dataclass
class HubRepo:
    repo_id: str
    files: dict[str, bytes]
    commit: str = COMMIT


@dataclass
class HubLog:
    """What the server was asked, as "METHOD path" lines (written by its handler threads)."""

    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.lock:
            self.requests.append(line)

    def fetched(self) -> list[str]:
        """The file names whose bytes were asked for (GET .../resolve/...)."""
        with self.lock:
            return [line.rsplit("/", 1)[1] for line in self.requests
                    if line.startswith("GET ") and "/resolve/" in line]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive connections must not block shutdown

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is normal
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class HubServer:
    """``with HubServer(repo) as hub:`` serves repo at hub.url until the block ends."""

    def __init__(self, repo: HubRepo) -> None:
        self.repo = repo
        self.log = HubLog()
        self.cut_at: dict[str, int] = {}  # filename -> offset at which every response stops
        handler = type("Handler", (_HubHandler,), {"hub": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-server")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def etag(data: bytes) -> str:
    """The Hub's ETag of an LFS file: the sha256 of its content."""
    return hashlib.sha256(data).hexdigest()


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub: every response has a length
    hub: HubServer  # set on the subclass HubServer makes

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test output is not the place for an access log

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.hub.log.add(f"{self.command} {path}")
        repo = self.hub.repo
        api = f"/api/models/{repo.repo_id}/"
        resolve = f"/{repo.repo_id}/resolve/{repo.commit}/"
        if path.startswith(api + "revision/"):
            self._json({"id": repo.repo_id, "sha": repo.commit,
                        "siblings": [{"rfilename": name} for name in repo.files]})
        elif path == api + f"tree/{repo.commit}":
            self._json([{"type": "file", "path": name, "size": len(data),
                         "oid": hashlib.sha1(data).hexdigest()}
                        for name, data in repo.files.items()])
        elif path.startswith(resolve) and path[len(resolve):] in repo.files:
            self._file(path[len(resolve):], send_body)
        else:
            self._not_found()

    def _json(self, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, name: str, send_body: bool) -> None:
        data = self.hub.repo.files[name]
        start = 0
        wanted = _RANGE.match(self.headers.get("Range", ""))
        if wanted:
            start = int(wanted.group(1))
        self.send_response(206 if wanted else 200)
        self.send_header("X-Repo-Commit", self.hub.repo.commit)
        self.send_header("ETag", f'"{etag(data)}"')
        self.send_header("Content-Length", str(len(data) - start))
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not send_body:
            return
        cut = self.hub.cut_at.get(name)
        if cut is None:
            self.wfile.write(data[start:])
            return
        self.wfile.write(data[start:max(start, cut)])
        self.wfile.flush()
        self.close_connection = True  # fewer bytes than Content-Length promised, then gone

    def _not_found(self) -> None:
        body = b'{"error": "Repository not found"}'
        self.send_response(404)
        self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("X-Error-Message", "Repository not found")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
