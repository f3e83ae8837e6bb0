"""HttpServer: uvicorn serving the API in a thread of its own, started and stopped on demand
(the command line runs it until Ctrl+C; the app when "Serve to other programs" is on; tests on a
free port)."""

from __future__ import annotations

import logging
import threading

import uvicorn

from penwright.models.serving.api import ModelGetter, create_app
from penwright.models.serving.config import ServeConfig
from penwright.models.serving.jobs import JobQueue

logger = logging.getLogger(__name__)


class HttpServer:
    """The API on ``config.host``:``config.port`` (port 0: a free one, see ``port``).

    ``start`` refuses an unsafe configuration (UnsafeBind) and raises OSError when the address
    cannot be bound; ``stop`` closes the listening socket and lets open streams end."""

    def __init__(self, queue: JobQueue, model: ModelGetter, config: ServeConfig) -> None:
        config.check()
        self.config = config
        app = create_app(queue, model, config)
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=config.host,
                port=config.port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,
                lifespan="off",
            )
        )
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        """Serve from a new thread; return once the socket listens."""
        self._thread = threading.Thread(target=self._run, name="penwright-http", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise OSError(
                    f"cannot serve on {self.config.host}:{self.config.port}: "
                    f"{self._failure or 'the address is in use or not this machine'}"
                )
            self._thread.join(0.02)
            waited += 0.02
            if waited > timeout_s:
                raise OSError("the server did not start in time")

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as error:  # SystemExit from uvicorn when it cannot bind
            self._failure = error

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when the configuration said 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port

    @property
    def url(self) -> str:
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}/v1"

    def stop(self, timeout_s: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout_s)
