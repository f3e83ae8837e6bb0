"""Who wrote what, in the window: the View menu's confidence tint and AI-written colours, the
document statistics, the words-by-origin status line, and the offer to ban a phrase the writer
keeps dismissing.

The provenance itself is app.documents.provenance (the spans) and provenance_tracker (following
the document); this module only shows it. The colours are QTextEdit.ExtraSelection backgrounds,
which paint behind the text and never change its layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QColor, QTextCursor
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox, QTextEdit

from penwright.app.documents.provenance import Origin, SuggestionSource
from penwright.app.documents.provenance_tracker import ProvenanceTracker
from penwright.app.documents.rejected_phrases import RejectedPhrases
from penwright.app.window.document_statistics import DocumentStatisticsDialog, summary

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

SUGGESTED_BACKGROUND = QColor(206, 228, 255)  # a pale blue: machine-written, untouched
EDITED_BACKGROUND = QColor(229, 218, 250)  # a pale violet: machine-written, then reworked
RECOUNT_DELAY_MS = 400
"""Words by origin are counted over the whole text: after a pause, not at every keystroke."""

BanPhrase = Callable[[str], None]


class Authorship(QObject):
    """Built by the window after its editor, controller and toolbar exist."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        editor = window.editor
        self.tracker = ProvenanceTracker(editor.document(), self._source, self)
        editor.suggestion_accepted.connect(self.tracker.accepted)
        self.tracker.changed.connect(self._on_provenance_changed)
        self.rejected = RejectedPhrases()
        editor.suggestion_rejected.connect(self._on_rejected)
        # Where an offered phrase goes when the writer bans it (the document's ban list).
        self.ban_phrase: BanPhrase | None = None
        self.ban_offer: QMessageBox | None = None
        self.statistics: DocumentStatisticsDialog | None = None

        menu = self.view_menu = _view_menu(window)
        self.tint_action = _checkable(menu, "Confidence &Tint", self._set_tint)
        self.tint_action.setStatusTip("Shade each suggested word by how likely the model found it")
        self.show_ai_action = _checkable(menu, "Show &AI-Written Text", self._set_show_ai)
        self.show_ai_action.setStatusTip("Colour the text accepted from suggestions")
        menu.addSeparator()
        self.statistics_action = menu.addAction("Document &Statistics…")
        self.statistics_action.triggered.connect(self.open_statistics)

        self.origin_label = QLabel()
        self.origin_label.setObjectName("words_by_origin")
        self.origin_label.hide()
        window.statusBar().addPermanentWidget(self.origin_label)
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(RECOUNT_DELAY_MS)
        self._recount.timeout.connect(self.recount)

    # -- the source of a suggestion -----------------------------------------------------------

    def _source(self) -> SuggestionSource:
        """The model and settings of the suggestion being accepted: the model serving and the
        toolbar's settings (what the request was sent with, unless changed meanwhile)."""
        window = self._window
        info = window.controller.model_info
        params = window.toolbar.params(window.base_params)
        name = info.name if info is not None else "unknown model"
        return SuggestionSource(name, params.temperature, params.max_new_tokens)

    # -- View menu ----------------------------------------------------------------------------

    @Slot(bool)
    def _set_tint(self, on: bool) -> None:
        self._window.editor.set_confidence_tint(on)

    @Slot(bool)
    def _set_show_ai(self, on: bool) -> None:
        self.origin_label.setVisible(on)
        self._colour()
        if on:
            self.recount()

    @Slot()
    def open_statistics(self) -> None:
        if self.statistics is None:
            self.statistics = DocumentStatisticsDialog(self._window)
        self.statistics.show_figures(self.tracker.provenance, self._window.editor.toPlainText())
        self.statistics.show()
        self.statistics.raise_()

    # -- following the provenance -------------------------------------------------------------

    @Slot()
    def _on_provenance_changed(self) -> None:
        self._colour()
        if self.origin_label.isVisible() or (
            self.statistics is not None and self.statistics.isVisible()
        ):
            self._recount.start()

    @Slot()
    def recount(self) -> None:
        text = self._window.editor.toPlainText()
        provenance = self.tracker.provenance
        self.origin_label.setText(summary(provenance.words_by_origin(text)))
        if self.statistics is not None and self.statistics.isVisible():
            self.statistics.show_figures(provenance, text)

    def _colour(self) -> None:
        editor = self._window.editor
        selections = []
        if self.show_ai_action.isChecked():
            document = editor.document()
            for span in self.tracker.provenance.spans:
                selection = QTextEdit.ExtraSelection()
                cursor = QTextCursor(document)
                cursor.setPosition(span.start)
                cursor.setPosition(span.end, QTextCursor.MoveMode.KeepAnchor)
                selection.cursor = cursor
                untouched = span.origin is Origin.SUGGESTED
                background = SUGGESTED_BACKGROUND if untouched else EDITED_BACKGROUND
                selection.format.setBackground(background)
                how = "Suggested" if untouched else "Suggested, then edited,"
                selection.format.setToolTip(
                    f"{how} by {span.source.describe()}"
                )
                selections.append(selection)
        editor.setExtraSelections(selections)

    # -- phrases the writer keeps rejecting ---------------------------------------------------

    @Slot(str)
    def _on_rejected(self, text: str) -> None:
        phrase = self.rejected.dismissed(text)
        if phrase is not None:
            self.offer_ban(phrase)

    def offer_ban(self, phrase: str) -> None:
        """Ask, without blocking, whether the phrase goes on the document's ban list."""
        if self.ban_offer is not None:
            self.ban_offer.close()
        offer = QMessageBox(
            QMessageBox.Icon.Question,
            "Ban a phrase?",
            f"You dismissed suggestions starting \u201c{phrase}\u201d three times. Never suggest "
            "it in this document?",
            parent=self._window,
        )
        offer.setObjectName("ban_offer")
        ban = offer.addButton("Ban It", QMessageBox.ButtonRole.AcceptRole)
        offer.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        offer.setWindowModality(Qt.WindowModality.NonModal)
        offer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        offer.buttonClicked.connect(lambda button: self._ban(phrase) if button is ban else None)
        self.ban_offer = offer
        offer.show()

    def _ban(self, phrase: str) -> None:
        if self.ban_phrase is None:
            return
        self.ban_phrase(phrase)
        self._window.statusBar().showMessage(
            f"\u201c{phrase}\u201d will not be suggested in this document.", 6000
        )


def _view_menu(window: MainWindow) -> QMenu:
    """The window's View menu (made here, before Help, if nobody made one yet)."""
    bar = window.menuBar()
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "View":
            return menu
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    menu = QMenu("&View", bar)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


def _checkable(menu: QMenu, text: str, slot: Callable[[bool], None]) -> QAction:
    action = menu.addAction(text)
    action.setCheckable(True)
    action.toggled.connect(slot)
    return action
