"""The life of a suggestion, from asking to the end: the editor's side of the controller.

Asked by the Continue key or button, by Alt+] past the last alternative (one more, unlike the
ones offered), or by a pause in typing (auto-suggest); streamed into the editor's ghost text;
finished, stopped, failed or dismissed. What the writer should be told goes out as signals,
which the window shows in its status bar. GUI thread only.

Each tab has its own Suggestions on the window's one controller: it handles only the requests
it sent, so a suggestion (or its end) in one tab never shows in another, and `leave` dismisses
what it shows when the writer goes to another tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.ghost_text import PlacedToken
from penwright.app.editor.keymap import Action
from penwright.app.inference.controller import InferenceController
from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import GenerationStats, TokenChoice

AUTO_SUGGEST_DELAY_MS = 900
AUTO_SUGGEST_TOKENS = 16
"""Auto-suggest offers a phrase, not a passage: nobody asked for it, so it must cost a glance."""
TOKEN_ALTERNATIVES = 5
"""Alternatives per token each request asks for: what the swap popup offers (and the tint
reads the tokens' own probabilities)."""
AUTO_SUGGEST_PATIENCE = 2
"""Auto suggestions the writer may dismiss in a row before auto-suggest stays quiet."""


def auto_params(params: GenerationParams) -> GenerationParams:
    """The explicit request's params made into an auto-suggestion's: a short phrase, at most to
    the end of the sentence, one alternative (Alt+] asks for more)."""
    return replace(
        params,
        max_new_tokens=min(params.max_new_tokens, AUTO_SUGGEST_TOKENS),
        stop=StopMode.SENTENCE,
        n=1,
    )


def _ends_mid_word(text: str) -> bool:
    return bool(text) and text[-1].isalnum()


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
        self._auto_request: int | None = None  # the auto suggestion showing, if one does
        self._auto_dismissed = 0  # auto suggestions dismissed in a row
        self._another: tuple[int, int] | None = None  # (request, candidates before it)
        self._mine: set[int] = set()  # the requests this editor sent that have not ended
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(AUTO_SUGGEST_DELAY_MS)
        self._pause_timer.timeout.connect(self._on_typing_pause)

        controller.suggestion_delta.connect(editor.append_suggestion)
        controller.suggestion_tokens.connect(editor.append_tokens)
        editor.swap_requested.connect(self.request_swap)
        controller.suggestion_finished.connect(self._on_finished)
        controller.suggestion_failed.connect(self._on_failed)
        editor.continue_requested.connect(self.request)
        editor.another_requested.connect(self.request_another)
        editor.suggestion_dismissed.connect(self._on_dismissed)
        editor.suggestion_accepted.connect(self._on_accepted)
        editor.writer_edited.connect(self._on_writer_edited)

    # -- asking -------------------------------------------------------------------------------

    @Slot()
    def request(self) -> None:
        """The writer asked (key, button or menu, from anywhere in the window): a suggestion at
        the caret, unlike the ones already offered there, and the editor gets the focus back so
        that the next Tab accepts it."""
        editor = self._editor
        editor.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._auto_dismissed = 0  # asking is the opposite of being pestered
        if editor.composing:
            self.message.emit("Finish composing first; then ask for a suggestion.", 4000)
            return
        params = replace(self._params(), avoid=editor.earlier_suggestions())
        self._start(params)

    @Slot()
    def request_another(self) -> None:
        """One more alternative for the suggestion showing, different from those it offers."""
        editor = self._editor
        ghost = editor.ghost
        if ghost is None or editor.composing:
            return
        params = replace(self._params(), n=1, avoid=ghost.offered())
        request_id = self._send(params)
        self._another = (request_id, ghost.position()[1])
        editor.expect_another(request_id)
        self._announce_start()

    @Slot(object, object)
    def request_swap(self, placed: PlacedToken, choice: TokenChoice) -> None:
        """The writer chose another token for a suggested word: keep the suggestion up to it and
        ask for the rest, continuing the text before the caret, the kept part and the chosen
        token. One alternative: the writer is steering this one."""
        editor = self._editor
        if editor.ghost is None or editor.composing:
            return
        continued = editor.text_before_cursor() + editor.swap_text(placed, choice)
        params = replace(
            self._params(),
            n=1,
            avoid=(),
            heal=False,  # the chosen token is whole: the model must not re-read it
            text_after=editor.text_after_cursor(),
            top_alternatives=TOKEN_ALTERNATIVES,
        )
        request_id = self._controller.request(continued, params)
        self._mine.add(request_id)
        editor.swap_suggestion(request_id, placed, choice)
        self._another = None
        self._announce_start()

    def _start(self, params: GenerationParams, auto: bool = False) -> None:
        request_id = self._send(params)
        self._editor.start_suggestion(request_id)
        self._auto_request = request_id if auto else None
        self._another = None
        self._announce_start()

    def _send(self, params: GenerationParams) -> int:
        editor = self._editor
        params = replace(
            params, text_after=editor.text_after_cursor(), top_alternatives=TOKEN_ALTERNATIVES
        )
        request_id = self._controller.request(editor.text_before_cursor(), params)
        self._mine.add(request_id)
        return request_id

    def _announce_start(self) -> None:
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

    # -- auto-suggest -------------------------------------------------------------------------

    @Slot(bool)
    def set_auto_suggest(self, enabled: bool) -> None:
        self._auto_suggest = enabled
        self._auto_dismissed = 0
        if not enabled:
            self._pause_timer.stop()

    def set_auto_suggest_delay(self, milliseconds: int) -> None:
        """How long a typing pause lasts before auto-suggest asks for a continuation."""
        self._pause_timer.setInterval(milliseconds)

    @property
    def auto_paused(self) -> bool:
        """Auto-suggest is on but quiet: the writer dismissed its last suggestions."""
        return self._auto_dismissed >= AUTO_SUGGEST_PATIENCE

    def shutdown(self) -> None:
        self._pause_timer.stop()

    def leave(self) -> None:
        """The writer went to another tab: no suggestion waits or streams unseen here (the
        dismissal stops this tab's request), and a typing pause here asks for nothing."""
        self._pause_timer.stop()
        if self._editor.ghost is not None:
            self._editor.dismiss_suggestion()
        for request_id in self._mine:
            if self._controller.current_id == request_id:
                self._controller.stop()

    @Slot()
    def _on_writer_edited(self) -> None:
        # Only the writer's own typing restarts the pause: an accepted suggestion is not a
        # reason to offer the next one.
        if self._auto_suggest and not self.auto_paused:
            self._pause_timer.start()  # restarts: fires only after a pause

    @Slot()
    def _on_typing_pause(self) -> None:
        editor = self._editor
        if editor.ghost is not None or editor.composing or self.auto_paused:
            return
        before = editor.text_before_cursor()
        params = auto_params(self._params())
        # Mid-word only with healing: the engine then completes the word instead of gluing a
        # new one to it ("rattl" + "led").
        if not before.strip() or (not params.heal and _ends_mid_word(before)):
            return
        self._start(params, auto=True)

    # -- what came of it ----------------------------------------------------------------------

    @Slot(int)
    def _on_dismissed(self, request_id: int) -> None:
        if self._controller.current_id == request_id:
            self._controller.stop()
        if self._auto_request is not None:
            self._auto_request = None
            self._auto_dismissed += 1
            if self.auto_paused:
                self._pause_timer.stop()
                self.message.emit(
                    "Auto-suggest is resting after two dismissed suggestions; it comes back when "
                    f"you accept one or press {self._editor.key_text(Action.CONTINUE)}.",
                    8000,
                )

    @Slot(str)
    def _on_accepted(self, text: str) -> None:
        self._auto_request = None  # accepted, so its end is not a dismissal
        self._auto_dismissed = 0

    @Slot(int, object)
    def _on_finished(self, request_id: int, stats: GenerationStats) -> None:
        if request_id not in self._mine:
            return  # another tab's
        self._mine.discard(request_id)
        self._editor.finish_suggestion(request_id)
        self.state_changed.emit("Stopped" if stats.cancelled else "Ready")
        if not stats.cancelled:
            self.stats_ready.emit(stats)
        another, self._another = self._another, None
        if another is not None and another[0] == request_id and not stats.cancelled:
            ghost = self._editor.ghost
            if ghost is None or ghost.position()[1] <= another[1]:  # nothing new came
                back = self._editor.key_text(Action.PREVIOUS_ALTERNATIVE)
                self.message.emit(f"No different suggestion came; {back} goes back.", 4000)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id not in self._mine:
            return  # another tab's
        self._mine.discard(request_id)
        ghost = self._editor.ghost
        if ghost is not None and ghost.request_id == request_id:
            self._editor.dismiss_suggestion(notify=False)
        elif ghost is not None:
            self._editor.finish_suggestion(request_id)  # the alternatives shown stay
        self.state_changed.emit("Suggestion failed")
        self.failed.emit(f"No suggestion: {message}")
