"""The writing surface: a QPlainTextEdit that shows a GhostText suggestion inline at the caret.

The suggestion is drawn in the caret block's QTextLayout preedit area, the mechanism Qt uses to
show an input method's composition inline: it wraps and flows like real text but is not in the
document, so saving, undo/redo, the modified flag and the word count never see it. Accepting
inserts the text as one undo step. Because input methods use that same preedit area, no
suggestion is shown or requested while an input method is composing.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QInputMethodEvent,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextLayout,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from penwright.app.editor.ghost_text import GhostText
from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.models.params import MAX_CONTEXT_CHARS

_ACCEPT_ACTIONS = (Action.ACCEPT_ALL, Action.ACCEPT_WORD, Action.ACCEPT_SENTENCE)
_CYCLE_ACTIONS = (Action.NEXT_ALTERNATIVE, Action.PREVIOUS_ALTERNATIVE)
# Pressing a modifier alone (the Ctrl of Ctrl+Right) is not the writer going another way.
_MODIFIER_KEYS = frozenset(
    {
        Qt.Key.Key_Control,
        Qt.Key.Key_Shift,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_NumLock,
    }
)


def muted_colour(palette: QPalette) -> QColor:
    """Halfway between the text and the background: readable, but clearly not yet written."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(
        (text.red() + base.red()) // 2,
        (text.green() + base.green()) // 2,
        (text.blue() + base.blue()) // 2,
    )


class Editor(QPlainTextEdit):
    """Plain-text editor with inline ghost text. Keys come from a rebindable bindings table."""

    continue_requested = Signal()  # the writer asked for a continuation at the caret
    suggestion_dismissed = Signal(int)  # request id; the window cancels its generation
    suggestion_accepted = Signal(str)  # the text that became part of the document

    def __init__(
        self, bindings: Mapping[Action, str] = DEFAULT_BINDINGS, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bindings: dict[Action, QKeySequence] = {}
        self.set_bindings(bindings)
        self._ghost: GhostText | None = None
        self._ghost_block_number = -1  # block whose layout holds the drawn ghost text
        self._own_edit = False  # True while we change the document or the caret ourselves
        self.composing = False  # an input method preedit is showing
        self.setTabChangesFocus(False)
        self.cursorPositionChanged.connect(self._on_cursor_moved)
        self.document().contentsChange.connect(self._on_contents_change)

    # -- configuration ------------------------------------------------------------------------

    def set_bindings(self, bindings: Mapping[Action, str]) -> None:
        self._bindings = {
            action: QKeySequence(text, QKeySequence.SequenceFormat.PortableText)
            for action, text in bindings.items()
        }

    def _action_for(self, event: QKeyEvent) -> Action | None:
        pressed = QKeySequence(event.keyCombination())
        for action, sequence in self._bindings.items():
            if sequence.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch:
                return action
        return None

    # -- the suggestion's life ----------------------------------------------------------------

    @property
    def ghost(self) -> GhostText | None:
        return self._ghost

    @property
    def ghost_text(self) -> str:
        """The text showing at the caret now ("" when none)."""
        return self._ghost.visible if self._ghost is not None else ""

    def text_before_cursor(self, limit: int = MAX_CONTEXT_CHARS) -> str:
        """The text before the caret: all of it, or at least its last `limit` characters.

        Only that tail is read: copying a 5 MB document for each request would stall typing.
        """
        cursor = self.textCursor()
        end = cursor.position()
        # Qt positions count UTF-16 units, and a character (code point) takes at most two.
        cursor.setPosition(max(0, end - 2 * limit))
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        text = cursor.selectedText().replace("\u2029", "\n")  # Qt's paragraph separator
        if text and "\udc00" <= text[0] <= "\udfff":
            text = text[1:]  # the tail began inside a surrogate pair
        return text

    def start_suggestion(self, request_id: int) -> bool:
        """Prepare to show suggestion request_id at the caret. False while an IME composes."""
        self.dismiss_suggestion(notify=False)
        if self.composing:
            return False
        self._ghost = GhostText(request_id, self.textCursor().position())
        return True

    def append_suggestion(self, request_id: int, alternative: int, text: str) -> None:
        ghost = self._ghost
        if ghost is None or ghost.request_id != request_id:
            return
        ghost.append(alternative, text)
        self._render_ghost()

    def finish_suggestion(self, request_id: int) -> None:
        ghost = self._ghost
        if ghost is None or ghost.request_id != request_id:
            return
        ghost.finish()
        if ghost.exhausted:
            self.dismiss_suggestion(notify=False)

    def setPlainText(self, text: str) -> None:
        """Another document (new, opened, reloaded, recovered): its suggestion goes first."""
        self.dismiss_suggestion()
        super().setPlainText(text)

    def dismiss_suggestion(self, notify: bool = True) -> None:
        ghost = self._ghost
        if ghost is None:
            return
        self._ghost = None
        self._clear_ghost_drawing()
        if notify:
            self.suggestion_dismissed.emit(ghost.request_id)

    def accept(self, action: Action) -> bool:
        """Accept all, a word or a sentence of the suggestion; False if nothing shows."""
        ghost = self._ghost
        if ghost is None or not ghost.visible:
            return False
        if action is Action.ACCEPT_WORD:
            text = ghost.take_word()
        elif action is Action.ACCEPT_SENTENCE:
            text = ghost.take_sentence()
        else:
            text = ghost.take_all()
        self._clear_ghost_drawing()
        self._own_edit = True
        try:
            cursor = self.textCursor()
            cursor.beginEditBlock()  # one undo step, however long the text
            cursor.insertText(text)
            cursor.endEditBlock()
            self.setTextCursor(cursor)
        finally:
            self._own_edit = False
        ghost.anchor = self.textCursor().position()
        self.suggestion_accepted.emit(text)
        if ghost.exhausted:
            self.dismiss_suggestion(notify=False)
        else:
            self._render_ghost()
        return True

    def cycle_alternative(self, step: int) -> bool:
        ghost = self._ghost
        if ghost is None or not ghost.cycle(step):
            return False
        self._render_ghost()
        return True

    # -- drawing ------------------------------------------------------------------------------

    def _render_ghost(self) -> None:
        ghost = self._ghost
        if ghost is None:
            return
        self._clear_ghost_drawing()
        text = ghost.visible
        if not text:
            return
        block = self.document().findBlock(ghost.anchor)
        layout = block.layout()
        position_in_block = ghost.anchor - block.position()
        layout.setPreeditArea(position_in_block, text)
        grey = QTextCharFormat()
        grey.setForeground(muted_colour(self.palette()))
        grey_range = QTextLayout.FormatRange()
        grey_range.start = position_in_block
        grey_range.length = len(text.encode("utf-16-le")) // 2
        grey_range.format = grey
        layout.setFormats([grey_range])
        self._ghost_block_number = block.blockNumber()
        self._relayout(block.position(), block.length())

    def _clear_ghost_drawing(self) -> None:
        if self._ghost_block_number < 0:
            return
        block = self.document().findBlockByNumber(self._ghost_block_number)
        self._ghost_block_number = -1
        if not block.isValid():
            return
        layout = block.layout()
        layout.setPreeditArea(-1, "")
        layout.clearFormats()
        self._relayout(block.position(), block.length())

    def _relayout(self, position: int, length: int) -> None:
        self._own_edit = True
        try:
            self.document().markContentsDirty(position, length)
        finally:
            self._own_edit = False
        self.ensureCursorVisible()
        self.viewport().update()

    # -- what dismisses the suggestion --------------------------------------------------------

    def _on_cursor_moved(self) -> None:
        ghost = self._ghost
        if ghost is None or self._own_edit:
            return
        if self.textCursor().position() != ghost.anchor:
            self.dismiss_suggestion()

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        # Any edit not made by us (undo, paste, an edit elsewhere) invalidates the suggestion.
        if self._ghost is not None and not self._own_edit and (removed or added):
            self.dismiss_suggestion()

    # -- keys ---------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Claim our keys before window shortcuts (and Qt's own Ctrl+Right/Ctrl+Down) see them;
        # keyPressEvent then decides whether they act or keep their normal meaning.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._action_for(event) is not None
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._action_for(event)
        # With nothing showing, "next/previous alternative" asks for suggestions (as in other
        # editors) rather than typing the bracket.
        wants_suggestion = action is Action.CONTINUE or (
            action in _CYCLE_ACTIONS and self._ghost is None
        )
        if wants_suggestion:
            if not self.composing:
                self.continue_requested.emit()
            event.accept()
            return
        ghost = self._ghost
        if ghost is not None and self._handle_suggestion_key(action, event):
            event.accept()
            return
        if ghost is not None and event.key() not in _MODIFIER_KEYS:
            self.dismiss_suggestion()  # any other key: the writer went another way
        super().keyPressEvent(event)

    def _handle_suggestion_key(self, action: Action | None, event: QKeyEvent) -> bool:
        """Act on a key while a suggestion is active; False lets it keep its normal meaning."""
        ghost = self._ghost
        assert ghost is not None
        if action in _ACCEPT_ACTIONS:
            return self.accept(action)
        if action is Action.DISMISS:
            self.dismiss_suggestion()
            return True
        if action in _CYCLE_ACTIONS:
            self.cycle_alternative(1 if action is Action.NEXT_ALTERNATIVE else -1)
            return True
        typed = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        if typed and typed.isprintable() and modifiers == Qt.KeyboardModifier.NoModifier:
            return self._type_through(typed, event)
        return False

    def _type_through(self, typed: str, event: QKeyEvent) -> bool:
        ghost = self._ghost
        assert ghost is not None
        if not ghost.visible.startswith(typed):
            return False
        self._clear_ghost_drawing()
        self._own_edit = True
        try:
            super().keyPressEvent(event)  # the normal insertion, undo grouping and all
        finally:
            self._own_edit = False
        ghost.type_through(typed)
        ghost.anchor = self.textCursor().position()
        if ghost.exhausted:
            self.dismiss_suggestion(notify=False)
        else:
            self._render_ghost()
        return True

    # -- input methods ------------------------------------------------------------------------

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        composing = bool(event.preeditString())
        if composing and self._ghost is not None:
            self.dismiss_suggestion()  # the IME needs the preedit area, and the writer is busy
        self.composing = composing
        super().inputMethodEvent(event)
