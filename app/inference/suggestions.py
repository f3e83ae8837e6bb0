"""The life of a suggestion, from asking to the end: the editor's side of the controller.

Asked by the Continue key or button, or by a pause in typing (auto-suggest); streamed into the
editor's ghost text; finished, stopped, failed or dismissed. What the writer should be told goes
out as signals, which the window shows in its status bar. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from penwright.app.editor.editor_widget import Editor
from penwright.app.inference.controller import InferenceController
from penwright.models.params import GenerationParams
from penwright.models.results import GenerationStats

AUTO_SUGGEST_DELAY_MS = 900


class Suggestions(QObject):
    state_changed = Signal(str)  # "Generating…", "Ready", "Stopped", "Suggestion failed"
    stats_ready = Signal(object)  # GenerationStats of a suggestion that finished uncancelled
    message = Signal(str, int)  # a passing status line and how long it stays (ms)
    failed = Signal(str)  # why there is no suggestion: worth a notice

    def __init__(
        self,
        editor: Editor,
        controller: InferenceController,
        params: Callable[[], GenerationParams],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._editor = editor
        self._controller = controller
        self._params = params  # read at each request: the toolbar may have changed
        self._auto_suggest = False
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(AUTO_SUGGEST_DELAY_MS)
        self._pause_timer.timeout.connect(self._on_typing_pause)

        controller.suggestion_delta.connect(editor.append_suggestion)
        controller.suggestion_finished.connect(self._on_finished)
        controller.suggestion_failed.connect(self._on_failed)
        editor.continue_requested.connect(self.request)
        editor.suggestion_dismissed.connect(self._on_dismissed)
        editor.document().contentsChange.connect(self._on_contents_change)

    @Slot()
    def request(self) -> None:
        editor = self._editor
        if editor.composing:
            self.message.emit("Finish composing first; then ask for a suggestion.", 4000)
            return
        request_id = self._controller.request(editor.text_before_cursor(), self._params())
        editor.start_suggestion(request_id)
        if self._controller.loading and self._controller.model_info is None:
            # The state label keeps showing load progress until the model is there.
            self.message.emit(
                "The model is still loading; your suggestion will start when it is ready.", 8000
            )
        else:
            self.state_changed.emit("Generating…")

    @Slot()
    def stop(self) -> None:
        """Cancel at once; what already streamed stays on screen to accept or dismiss."""
        self._controller.stop()

    @Slot(bool)
    def set_auto_suggest(self, enabled: bool) -> None:
        self._auto_suggest = enabled
        if not enabled:
            self._pause_timer.stop()

    def set_auto_suggest_delay(self, milliseconds: int) -> None:
        """How long a typing pause lasts before auto-suggest asks for a continuation."""
        self._pause_timer.setInterval(milliseconds)

    def shutdown(self) -> None:
        self._pause_timer.stop()

    @Slot(int)
    def _on_dismissed(self, request_id: int) -> None:
        if self._controller.current_id == request_id:
            self._controller.stop()

    @Slot(int, object)
    def _on_finished(self, request_id: int, stats: GenerationStats) -> None:
        self._editor.finish_suggestion(request_id)
        self.state_changed.emit("Stopped" if stats.cancelled else "Ready")
        if not stats.cancelled:
            self.stats_ready.emit(stats)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        ghost = self._editor.ghost
        if ghost is not None and ghost.request_id == request_id:
            self._editor.dismiss_suggestion(notify=False)
        self.state_changed.emit("Suggestion failed")
        self.failed.emit(f"No suggestion: {message}")

    @Slot(int, int, int)
    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        if self._auto_suggest and (removed or added):
            self._pause_timer.start()  # restarts: fires only after a pause

    @Slot()
    def _on_typing_pause(self) -> None:
        editor = self._editor
        if editor.ghost is None and not editor.composing and editor.text_before_cursor().strip():
            self.request()
