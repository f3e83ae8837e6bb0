"""AppServer: "Serve to other programs" in the app, on the GUI thread.

It starts and stops the OpenAI-compatible server (models.serving) as the settings say. The model
is the one the editor uses: the server's JobQueue wakes the inference worker
(InferenceController.serve), which runs each request in its own thread between the writer's own
requests, so there is never a second copy of the model, and the editor goes first. The app binds
127.0.0.1 only; other machines are the command line's business (``penwright-cli serve``, which
then insists on a key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from penwright.app.inference.controller import InferenceController

if TYPE_CHECKING:
    from penwright.models.serving.jobs import JobQueue
    from penwright.models.serving.server import HttpServer

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServeWish:
    """What the settings ask for: on or off, the port, the key ("" none), the CORS origins."""

    enabled: bool = False
    port: int = 8765
    api_key: str = ""
    allowed_origins: tuple[str, ...] = ()


class AppServer(QObject):
    """Runs the server while the settings want it. ``state_changed`` carries the status bar's
    text ("" while off); ``served`` counts the requests answered since it started."""

    state_changed = Signal(str)

    def __init__(self, controller: InferenceController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._wish = ServeWish()
        self._queue: JobQueue | None = None
        self._http: HttpServer | None = None
        self.error = ""
        controller.served_one.connect(self._show_state)

    @property
    def running(self) -> bool:
        return self._http is not None

    @property
    def port(self) -> int | None:
        return self._http.port if self._http is not None else None

    @property
    def served(self) -> int:
        return self._queue.served if self._queue is not None else 0

    def apply(self, wish: ServeWish) -> None:
        """Start, stop or restart the server so that it serves as ``wish`` says."""
        if wish == self._wish and (self.running or not wish.enabled or self.error):
            return
        self.stop()
        self._wish = wish
        self.error = ""
        if wish.enabled:
            self._start(wish)
        self._show_state()

    def _start(self, wish: ServeWish) -> None:
        # Here, not at the top: FastAPI and uvicorn load only when the writer turns serving on.
        from penwright.models.serving.config import ServeConfig, ServeLimits
        from penwright.models.serving.jobs import JobQueue
        from penwright.models.serving.server import HttpServer

        controller = self._controller
        limits = ServeLimits()
        queue = JobQueue(limits.queue_size, on_submit=lambda: controller.serve(queue))
        config = ServeConfig(HOST, wish.port, wish.api_key or None, wish.allowed_origins, limits)
        try:
            http = HttpServer(queue, lambda: controller.served_model, config)
            http.start()
        except (OSError, ValueError) as error:
            logger.warning("serving on port %s failed: %s", wish.port, error)
            self.error = str(error)
            queue.close()
            return
        self._queue, self._http = queue, http

    def stop(self) -> None:
        """Stop listening; requests still waiting are answered as cancelled."""
        http, queue = self._http, self._queue
        self._http = self._queue = None
        if queue is not None:
            queue.close()
        if http is not None:
            http.stop()
        self._show_state()

    @Slot()
    def _show_state(self) -> None:
        self.state_changed.emit(self.describe())

    def describe(self) -> str:
        """The status bar's words for the server ("" while off)."""
        if self.error:
            return f"Serving failed: {self.error}"
        if self._http is None:
            return ""
        served = self.served
        return f"Serving on {HOST}:{self.port} · {served} request{'' if served == 1 else 's'}"
