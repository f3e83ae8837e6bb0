"""The writing surface: a QPlainTextEdit that shows a GhostText suggestion inline at the caret.

The suggestion is drawn by a GhostPainter (ghost_drawing.py) in the caret block's preedit area:
laid out exactly as it will stand after accepting, but never part of the document, so saving,
undo/redo, the modified flag and the word count never see it. Accepting inserts the text as one
undo step. Because input methods use that same preedit area, no suggestion is shown or requested
while an input method is composing.

What was offered at a place (the text before the caret) is remembered for the last few places,
so asking again there keeps the earlier suggestions a cycle away (suggestion_history.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QInputMethodEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
    QTextCursor,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QWidget

from penwright.app.editor.confidence import tint, word_confidence
from penwright.app.editor.focus_mode import ParagraphFocus
from penwright.app.editor.ghost_drawing import GhostPainter, muted_colour
from penwright.app.editor.ghost_text import GhostText, PlacedToken
from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.editor.page_layout import PageLayout
from penwright.app.editor.spell_words import SpellCheck
from penwright.app.editor.spelling_menu import MisspeltWord, add_spelling_entries, misspelt_word_at
from penwright.app.editor.suggestion_history import SuggestionHistory
from penwright.app.editor.token_menu import token_menu
from penwright.app.editor.typewriter import Typewriter
from penwright.app.editor.writing_highlighter import WritingHighlighter
from penwright.models.params import MAX_CONTEXT_CHARS
from penwright.models.results import TokenChoice, TokenInfo

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
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
TEXT_AFTER_CHARS = 300
"""How much of the paragraph after the caret a request carries: the engine scores the next few
dozen tokens of it, and a paragraph's rest rarely needs more."""


class Editor(QPlainTextEdit):
    """Plain-text editor with inline ghost text. Keys come from a rebindable bindings table."""

    continue_requested = Signal()  # the writer asked for a continuation at the caret
    another_requested = Signal()  # Alt+] past the last alternative: ask for one more
    suggestion_dismissed = Signal(int)  # latest request id; the window cancels its generation
    suggestion_accepted = Signal(str)  # the text that became part of the document
    suggestion_changed = Signal()  # what shows changed (another alternative, more text, none)
    writer_edited = Signal()  # the writer changed the text (not an accept, not a new document)
    suggestion_rejected = Signal(str)  # the text showing when the writer pressed Dismiss
    # The writer chose another token for a suggested word: (PlacedToken, TokenChoice); the
    # window asks for the rest and calls swap_suggestion.
    swap_requested = Signal(object, object)

    def __init__(
        self, bindings: Mapping[Action, str] = DEFAULT_BINDINGS, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bindings: dict[Action, QKeySequence] = {}
        self.set_bindings(bindings)
        self._ghost: GhostText | None = None
        self._ghost_place = ""  # the text before the caret where the suggestion was asked
        self._latest_request = -1  # the newest request streaming into the suggestion
        # The request whose text the last accept inserted (read by suggestion_accepted's
        # receivers: the provenance records the settings that request was sent with).
        self.accepted_request: int | None = None
        self._history = SuggestionHistory()
        self._own_edit = False  # True while we change the document or the caret ourselves
        self._replacing = False  # True while another document's text comes in
        self.composing = False  # an input method preedit is showing
        self._highlighter: WritingHighlighter | None = None  # only while Markdown or spelling is on
        self._edit_end = -1  # where the writer's last edit ended (the word being typed)
        self.word_list_failed: Callable[[str], None] = lambda message: None
        # The page (column and line height), focus mode's dimming and typewriter scrolling; all
        # off until settings turn them on, so a bare Editor is a plain text box. Made after the
        # attributes above: setting the page's background already sends change events.
        self.page = PageLayout(self)
        self.paragraph_focus = ParagraphFocus(self)
        self.typewriter = Typewriter(self)
        self._painter = GhostPainter(self, self._relayout, self.page.spacing.line_pitch)
        self._confidence_tint = False  # shade ghost words by how likely the model found them
        self.token_menu: QMenu | None = None
        self.setTabChangesFocus(False)
        self.cursorPositionChanged.connect(self._on_cursor_moved)
        self.document().contentsChange.connect(self._on_contents_change)

    # -- configuration ------------------------------------------------------------------------

    def set_bindings(self, bindings: Mapping[Action, str]) -> None:
        self._bindings = {
            action: QKeySequence(text, QKeySequence.SequenceFormat.PortableText)
            for action, text in bindings.items()
        }

    def key_text(self, action: Action) -> str:
        """The key bound to action, as the platform writes it ("Alt+]")."""
        sequence = self._bindings.get(action)
        return sequence.toString(QKeySequence.SequenceFormat.NativeText) if sequence else ""

    def _action_for(self, event: QKeyEvent) -> Action | None:
        pressed = QKeySequence(event.keyCombination())
        for action, sequence in self._bindings.items():
            if sequence.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch:
                return action
        return None

    # -- Markdown styling and spelling ----------------------------------------------------

    @property
    def highlighter(self) -> WritingHighlighter | None:
        return self._highlighter

    @property
    def spell_checker(self) -> SpellCheck | None:
        return self._highlighter.checker if self._highlighter is not None else None

    def set_writing_aids(self, markdown: bool, checker: SpellCheck | None) -> None:
        """Style the text as Markdown or not, and underline words checker does not know (None:
        no spelling). One highlighter does both; with neither, none is attached."""
        highlighter = self._highlighter
        if not markdown and checker is None:
            if highlighter is not None:
                self._highlighter = None
                highlighter.detach()
                highlighter.deleteLater()
                self._render_ghost()
            return
        if highlighter is None:
            highlighter = self._highlighter = WritingHighlighter(
                self.document(),
                self._visible_blocks,
                lambda: muted_colour(self.palette()),
                self._word_in_progress,
            )
            self.verticalScrollBar().valueChanged.connect(highlighter.schedule)
        highlighter.configure(markdown, checker)
        self._render_ghost()

    def _word_in_progress(self) -> int:
        """Where a word is being written: the caret, right after the writer's last edit or
        while a suggestion or an input method's text stands there; -1 when nowhere."""
        caret = self.textCursor().position()
        if caret == self._edit_end or self._ghost is not None or self.composing:
            return caret
        return -1

    def _visible_blocks(self) -> tuple[int, int]:
        """The first block on screen and an upper bound of the last (each block is a line at
        least): counting the real ones would walk the layout on every call."""
        first = self.firstVisibleBlock().blockNumber()
        lines = self.viewport().height() // max(self.fontMetrics().lineSpacing(), 1)
        return first, first + lines + 1

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        kinds = (QEvent.Type.FontChange, QEvent.Type.PaletteChange)
        if self._highlighter is not None and event.type() in kinds:
            self._highlighter.restyle()  # heading sizes follow the font, markers the palette
            self._render_ghost()  # its formats go after the new ones again

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._highlighter is not None:
            self._highlighter.schedule()  # more blocks may show now

    # -- the text around the caret ------------------------------------------------------------

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

    def text_after_cursor(self, limit: int = TEXT_AFTER_CHARS) -> str:
        """The rest of the caret's paragraph (at most its first `limit` characters)."""
        cursor = self.textCursor()
        # Selected rather than sliced: Qt's positions count UTF-16 units, Python's code points.
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText()[:limit]

    def earlier_suggestions(self) -> tuple[str, ...]:
        """What was already offered at the caret: asking again should offer something else."""
        place = self.text_before_cursor()
        ghost = self._ghost
        if ghost is not None and place == self._ghost_place:
            return ghost.remembered()
        return self._history.earlier(place)

    # -- the suggestion's life ----------------------------------------------------------------

    @property
    def ghost(self) -> GhostText | None:
        return self._ghost

    @property
    def ghost_text(self) -> str:
        """The text showing at the caret now ("" when none)."""
        return self._ghost.visible if self._ghost is not None else ""

    def start_suggestion(self, request_id: int) -> bool:
        """Prepare to show suggestion request_id at the caret, after what was offered here
        before. False while an IME composes."""
        self.dismiss_suggestion(notify=False)
        if self.composing:
            return False
        place = self.text_before_cursor()
        mid_line = bool(self.text_after_cursor(1))
        cursor = self.textCursor().position()
        self._ghost = GhostText(request_id, cursor, self._history.earlier(place), mid_line)
        self._ghost_place = place
        self._latest_request = request_id
        self._render_ghost()  # earlier suggestions show while the new one is on its way
        return True

    def expect_another(self, request_id: int) -> None:
        """request_id continues the current suggestion with one more alternative."""
        ghost = self._ghost
        if ghost is None:
            return
        ghost.expect(request_id)
        self._latest_request = request_id
        self.suggestion_changed.emit()

    def append_tokens(
        self, request_id: int, alternative: int, tokens: tuple[TokenInfo, ...]
    ) -> None:
        """The tokens (with probabilities) behind streamed text: for the tint and for swaps."""
        ghost = self._ghost
        if ghost is None or not ghost.owns(request_id):
            return
        ghost.append_tokens(alternative, tokens, request_id)
        if self._confidence_tint:
            self._render_ghost()

    def set_confidence_tint(self, enabled: bool) -> None:
        self._confidence_tint = enabled
        self._render_ghost()

    @property
    def confidence_tint(self) -> bool:
        return self._confidence_tint

    def show_token_alternatives(self, offset: int = 0) -> bool:
        """Pop up the alternatives of the suggested token at offset of the ghost text; the one
        chosen goes out as swap_requested. False when there is none to show."""
        ghost = self._ghost
        placed = ghost.token_at(offset) if ghost is not None else None
        if placed is None or not placed.token.top:
            return False
        menu = token_menu(placed.token, self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(action: QAction) -> None:
            choice = action.data()
            swapped = isinstance(choice, TokenChoice) and choice.text != placed.token.text
            if swapped and self._ghost is ghost:
                self.swap_requested.emit(placed, choice)

        menu.triggered.connect(chosen)
        point = self._painter.point_below(placed.start) or self.cursorRect().bottomLeft()
        self.token_menu = menu  # for tests and the window: the popup showing (or last shown)
        menu.popup(self.viewport().mapToGlobal(point))
        return True

    def swap_suggestion(self, request_id: int, placed: PlacedToken, choice: TokenChoice) -> None:
        """Request request_id writes the rest of the suggestion after choice (see swap_text)."""
        ghost = self._ghost
        if ghost is None:
            return
        ghost.swap(request_id, placed, choice)
        self._latest_request = request_id
        self._render_ghost()

    def swap_text(self, placed: PlacedToken, choice: TokenChoice) -> str:
        """What a swap's request continues after, from the caret: the suggestion up to placed,
        then the chosen token."""
        ghost = self._ghost
        visible = ghost.visible if ghost is not None else ""
        return visible[: placed.start] + choice.text

    def append_suggestion(self, request_id: int, alternative: int, text: str) -> None:
        ghost = self._ghost
        if ghost is None or not ghost.owns(request_id):
            return
        ghost.append(alternative, text, request_id)
        self._render_ghost()

    def finish_suggestion(self, request_id: int) -> None:
        ghost = self._ghost
        if ghost is None or not ghost.owns(request_id):
            return
        ghost.finish(request_id)
        if ghost.exhausted:
            self.dismiss_suggestion(notify=False)
        else:
            self._render_ghost()  # a duplicate that finished gives way to its original

    def setPlainText(self, text: str) -> None:
        """Another document (new, opened, reloaded, recovered): its suggestion goes first."""
        self.dismiss_suggestion()
        self._replacing = True
        try:
            super().setPlainText(text)
        finally:
            self._replacing = False

    def dismiss_suggestion(self, notify: bool = True) -> None:
        ghost = self._ghost
        if ghost is None:
            return
        self._ghost = None
        self._history.remember(self._ghost_place, ghost.remembered())
        self._painter.clear()
        if self._highlighter is not None:  # a word it held back at the caret may show now
            self._highlighter.caret_moved(self.textCursor().position())
        self.suggestion_changed.emit()
        if notify:
            self.suggestion_dismissed.emit(self._latest_request)

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
        self._painter.clear()
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
        self.accepted_request = ghost.shown_request_id
        self.suggestion_accepted.emit(text)
        self._after_taking(ghost)
        return True

    def cycle_alternative(self, step: int) -> bool:
        ghost = self._ghost
        if ghost is None or not ghost.cycle(step):
            return False
        self._render_ghost()
        return True

    def _after_taking(self, ghost: GhostText) -> None:
        if ghost.exhausted:
            self.dismiss_suggestion(notify=False)
        else:
            self._render_ghost()

    # -- drawing ------------------------------------------------------------------------------

    def _render_ghost(self) -> None:
        ghost = self._ghost
        if ghost is None:
            return
        visible = ghost.visible
        colours = []
        if self._confidence_tint:
            muted = muted_colour(self.palette())
            for word in word_confidence(visible, ghost.visible_tokens()):
                colours.append((word.start, word.end, tint(muted, word.probability)))
        self._painter.draw(ghost.anchor, visible, colours)
        self.suggestion_changed.emit()

    def _relayout(self, position: int, length: int) -> None:
        self._own_edit = True
        try:
            self.document().markContentsDirty(position, length)
            if self._highlighter is not None:
                # The painter set the layout's formats to the ghost's alone: the highlighter
                # puts its own back around the preedit area, then the ghost's go last.
                self._highlighter.rehighlightBlock(self.document().findBlock(position))
                if self._painter.restack():
                    self.document().markContentsDirty(position, length)
        finally:
            self._own_edit = False
        self.ensureCursorVisible()
        self.viewport().update()

    # -- what dismisses the suggestion --------------------------------------------------------

    def _on_cursor_moved(self) -> None:
        ghost = self._ghost
        if (
            ghost is not None
            and not self._own_edit
            and self.textCursor().position() != ghost.anchor
        ):
            self.dismiss_suggestion()
        if self._highlighter is not None and self._ghost is None:
            self._highlighter.caret_moved(self.textCursor().position())

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        if self._own_edit or not (removed or added):
            return
        # Connected before any highlighter is, so it knows where the writer is typing.
        self._edit_end = -1 if self._replacing else position + added
        # Any edit not made by us (undo, paste, an edit elsewhere) invalidates the suggestion.
        if self._ghost is not None:
            self.dismiss_suggestion()
        if not self._replacing:
            self.writer_edited.emit()

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
            self.suggestion_rejected.emit(ghost.visible)
            self.dismiss_suggestion()
            return True
        if action is Action.SWAP_WORD:
            return self.show_token_alternatives(0)
        if action is Action.NEXT_ALTERNATIVE and ghost.at_last():
            # Past the last one: ask for another (unless more are still on their way).
            if not ghost.streaming:
                self.another_requested.emit()
            return True
        if action in _CYCLE_ACTIONS:
            self.cycle_alternative(1 if action is Action.NEXT_ALTERNATIVE else -1)
            return True
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in _ENTER_KEYS:
            # Enter types a suggested paragraph break through like any character. (Shift+Enter
            # is Qt's soft line break, not the paragraph the suggestion has.)
            plain = modifiers == Qt.KeyboardModifier.NoModifier
            return plain and self._type_through("\n", event)
        typed = event.text()
        if modifiers & ~Qt.KeyboardModifier.ShiftModifier or not typed.isprintable():
            return False
        return bool(typed) and self._type_through(typed, event)

    def _type_through(self, typed: str, event: QKeyEvent) -> bool:
        ghost = self._ghost
        assert ghost is not None
        if not ghost.visible.startswith(typed):
            return False
        self._painter.clear()
        self._own_edit = True
        try:
            super().keyPressEvent(event)  # the normal insertion, undo grouping and all
        finally:
            self._own_edit = False
        ghost.type_through(typed)
        ghost.anchor = self.textCursor().position()
        self._after_taking(ghost)
        return True

    # -- the context menu ---------------------------------------------------------------------

    def context_menu(self, position: QPoint) -> QMenu:
        """Qt's standard menu plus "Continue here" and, while a suggestion shows, its actions.
        position is in viewport coordinates, as a context menu event gives it."""
        menu = self.createStandardContextMenu(position)
        checker = self.spell_checker
        word = misspelt_word_at(self.cursorForPosition(position), checker) if checker else None
        if checker is not None and word is not None:
            add_spelling_entries(menu, word, checker, self.replace_word, self._word_became_known)
        menu.addSeparator()
        # The keys show after a tab, as a shortcut would; real shortcuts on these entries would
        # fire while the menu is open (Esc would dismiss the suggestion as it closes the menu).
        here = menu.addAction(f"Continue &here\t{self.key_text(Action.CONTINUE)}")
        here.triggered.connect(lambda: self.continue_at(position))
        if self._ghost is not None and self._ghost.visible:
            for action, text in (
                (Action.ACCEPT_ALL, "&Accept"),
                (Action.ACCEPT_WORD, "Accept &word"),
            ):
                entry = menu.addAction(f"{text}\t{self.key_text(action)}")
                entry.triggered.connect(lambda _=False, a=action: self.accept(a))
            dismiss = menu.addAction(f"&Dismiss\t{self.key_text(Action.DISMISS)}")
            dismiss.triggered.connect(lambda: self.dismiss_suggestion())
        return menu

    def replace_word(self, word: MisspeltWord, replacement: str) -> None:
        """Put replacement where word stands, as one undo step (a writer's edit)."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(word.start)
        cursor.setPosition(word.end, QTextCursor.MoveMode.KeepAnchor)
        if cursor.selectedText() != word.text:
            return  # the text changed under the open menu
        cursor.insertText(replacement)
        self.setTextCursor(cursor)

    def _word_became_known(self, problem: str | None) -> None:
        if self._highlighter is not None:
            self._highlighter.word_added()
            self._render_ghost()
        if problem:
            self.word_list_failed(problem)

    def continue_at(self, position: QPoint) -> None:
        """Move the caret to position (viewport coordinates) and ask for a suggestion there."""
        self.setTextCursor(self.cursorForPosition(position))  # dismisses one shown elsewhere
        if not self.composing:
            self.continue_requested.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # A click on a suggested word offers its alternatives instead of moving the caret
        # (which would dismiss the suggestion).
        if event.button() == Qt.MouseButton.LeftButton and self._ghost is not None:
            offset = self._painter.offset_at(event.position().toPoint())
            if offset is not None and self.show_token_alternatives(offset):
                event.accept()
                return
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu(event.pos())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    # -- input methods ------------------------------------------------------------------------

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        composing = bool(event.preeditString())
        if composing and self._ghost is not None:
            self.dismiss_suggestion()  # the IME needs the preedit area, and the writer is busy
        self.composing = composing
        super().inputMethodEvent(event)
