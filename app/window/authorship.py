"""Who wrote what, in the window: the View menu's confidence tint and AI-written colours, the
document statistics, the words-by-origin status line, and the offer to ban a phrase the writer
keeps dismissing.

The provenance itself is app.documents.provenance (the spans) and provenance_tracker (following
the document); this module only shows it. The colours are QTextEdit.ExtraSelection backgrounds,
which paint behind the text and never change its layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox, QTextEdit

from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.provenance import Origin, SuggestionSource
from penwright.app.documents.provenance_tracker import ProvenanceTracker
from penwright.app.documents.rejected_phrases import RejectedPhrases
from penwright.app.editor.editor_widget import Editor
from penwright.app.settings.store import Settings, ViewSettings
from penwright.app.window.document_statistics import DocumentStatisticsDialog, summary
from penwright.models.story.sidecar import PROVENANCE

if TYPE_CHECKING:
    from penwright.app.documents.sidecar_keeper import SidecarKeeper
    from penwright.app.window.main_window import MainWindow

SUGGESTED_BACKGROUND = QColor(206, 228, 255)  # a pale blue: machine-written, untouched
EDITED_BACKGROUND = QColor(229, 218, 250)  # a pale violet: machine-written, then reworked
AUTHORSHIP_PROPERTY = QTextFormat.Property.UserProperty + 0x50E  # marks our extra selections
RECOUNT_DELAY_MS = 400
"""Words by origin are counted over the whole text: after a pause, not at every keystroke."""

BanPhrase = Callable[[str], None]


@dataclass(eq=False)
class _Followed:
    """One tab's document: its provenance and the phrases dismissed in it."""

    document: OpenDocument
    tracker: ProvenanceTracker
    rejected: RejectedPhrases = field(default_factory=RejectedPhrases)
    stored: object = None  # its provenance section as last written or read here
    # Whether that section is ours to replace: one we could not read (a newer format, another
    # text) stays as it is until the writer accepts a suggestion here.
    owns: bool = False


class Authorship(QObject):
    """Built by the window after its controller and toolbar exist; follows every tab."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._followed: dict[OpenDocument, _Followed] = {}
        # Where an offered phrase goes when the writer bans it (the document's ban list).
        self.ban_phrase: BanPhrase | None = None
        self.ban_offer: QMessageBox | None = None
        self.statistics: DocumentStatisticsDialog | None = None
        self._sidecars: SidecarKeeper | None = None  # see keep_in

        menu = self.view_menu = _view_menu(window)
        menu.addSeparator()
        self.tint_action = _checkable(menu, "Confidence &Tint", self._set_tint)
        self.tint_action.setStatusTip("Shade each suggested word by how likely the model found it")
        self.show_ai_action = _checkable(menu, "Show &AI-Written Text", self._set_show_ai)
        self.show_ai_action.setStatusTip("Colour the text accepted from suggestions")
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
        window.current_changed.connect(lambda _document: self._on_current_changed())
        window.document_closed.connect(self._on_document_closed)
        window.add_document_setup(self._follow)
        # Both switches are settings, kept for the next start (their slots apply them).
        store = window.settings_store
        self._show_settings(store.current)
        store.changed.connect(self._show_settings)
        self.tint_action.toggled.connect(self._save_view)
        self.show_ai_action.toggled.connect(self._save_view)

    # -- the tabs -----------------------------------------------------------------------------

    def _follow(self, document: OpenDocument) -> None:
        editor = document.editor
        assert isinstance(editor, Editor)
        tracker = ProvenanceTracker(editor.document(), partial(self._source, editor), self)
        followed = self._followed[document] = _Followed(document, tracker)
        editor.suggestion_accepted.connect(tracker.accepted)
        editor.suggestion_rejected.connect(partial(self._on_rejected, followed))
        tracker.changed.connect(partial(self._on_provenance_changed, followed))
        editor.set_confidence_tint(self.tint_action.isChecked())

    def _on_document_closed(self, document: OpenDocument) -> None:
        followed = self._followed.pop(document, None)
        if followed is not None:
            followed.tracker.deleteLater()

    @property
    def tracker(self) -> ProvenanceTracker:
        """The current tab's provenance."""
        return self._followed[self._window.current_document].tracker

    def tracker_of(self, document: OpenDocument) -> ProvenanceTracker:
        return self._followed[document].tracker

    def _current(self) -> _Followed | None:
        if self._window.tab_widget.count() == 0:
            return None  # between closing the last tab and opening its replacement
        return self._followed.get(self._window.current_document)

    def _on_current_changed(self) -> None:
        self._read_sidecar()
        self._colour_all()
        if self.origin_label.isVisible():
            self.recount()

    # -- kept with the document ---------------------------------------------------------------

    def keep_in(self, sidecars: SidecarKeeper) -> None:
        """Keep each document's provenance in its sidecar ("provenance" section): written with
        every change (the keeper saves it with the file and journals it while unsaved), read
        whenever another document (opened, recovered) comes in. The keeper reads and writes
        the current tab's sidecar, and edits happen in the current tab."""
        self._sidecars = sidecars
        sidecars.changed.connect(self._read_sidecar)
        self._read_sidecar()

    @Slot()
    def _read_sidecar(self) -> None:
        sidecars, followed = self._sidecars, self._current()
        if sidecars is None or followed is None:
            return
        stored = sidecars.sidecar.sections.get(PROVENANCE)
        if stored is followed.stored:
            return  # our own write coming back, or this tab's section as already read
        followed.stored = stored
        followed.owns = False
        if stored is None:
            followed.tracker.reset()
            return
        problem = followed.tracker.restore(stored)
        followed.owns = problem is None
        if problem is not None:
            self._window.statusBar().showMessage(
                f"Who wrote what is not known for this text: {problem}.", 10000
            )

    def _store(self, followed: _Followed) -> None:
        if self._sidecars is None or followed is not self._current():
            return
        provenance = followed.tracker.provenance
        # A document with no suggested text needs no section (and a plain file no sidecar).
        value = provenance.to_dict() if provenance.spans else None
        if value is None and (followed.stored is None or not followed.owns):
            return
        followed.stored, followed.owns = value, True
        self._sidecars.set_section(PROVENANCE, value, modifies=False)

    # -- the source of a suggestion -----------------------------------------------------------

    def _source(self, editor: Editor) -> SuggestionSource:
        """The model and settings of the suggestion ``editor`` just accepted: those its request
        was sent with (the toolbar may have changed since); the toolbar's and the model serving
        only for a request too old to be remembered."""
        window = self._window
        request = editor.accepted_request
        sent = window.controller.sent_with(request) if request is not None else None
        info = window.controller.model_info
        if sent is not None:
            model, params = sent
        else:
            model, params = "", window.toolbar.params(window.base_params)
        name = model or (info.name if info is not None else "unknown model")
        return SuggestionSource(name, params.temperature, params.max_new_tokens)

    # -- View menu ----------------------------------------------------------------------------

    @Slot(bool)
    def _set_tint(self, on: bool) -> None:
        for followed in self._followed.values():
            editor = followed.document.editor
            assert isinstance(editor, Editor)
            editor.set_confidence_tint(on)

    @Slot(object)
    def _show_settings(self, settings: Settings) -> None:
        view = settings.view
        for action, on in ((self.tint_action, view.confidence_tint),
                           (self.show_ai_action, view.show_ai_text)):  # fmt: skip
            if action.isChecked() != on:
                action.setChecked(on)  # its slot applies it; _save_view finds nothing new

    @Slot()
    def _save_view(self) -> None:
        store = self._window.settings_store
        current = store.current
        view = ViewSettings(self.tint_action.isChecked(), self.show_ai_action.isChecked())
        if view != current.view:
            store.save(replace(current, view=view))

    @Slot(bool)
    def _set_show_ai(self, on: bool) -> None:
        self.origin_label.setVisible(on)
        self._colour_all()
        if on:
            self.recount()

    @Slot()
    def open_statistics(self) -> None:
        if self.statistics is None:
            self.statistics = DocumentStatisticsDialog(self._window)
        self.statistics.show_figures(self.tracker.provenance, self._window.editor.toPlainText())
        if self.statistics.isVisible():
            self.statistics.raise_()
        self.statistics.show()

    # -- following the provenance -------------------------------------------------------------

    def _on_provenance_changed(self, followed: _Followed) -> None:
        self._store(followed)
        self._colour(followed)
        if followed is self._current() and (
            self.origin_label.isVisible()
            or (self.statistics is not None and self.statistics.isVisible())
        ):
            self._recount.start()

    @Slot()
    def recount(self) -> None:
        followed = self._current()
        if followed is None:
            return
        text = followed.document.editor.toPlainText()
        provenance = followed.tracker.provenance
        self.origin_label.setText(summary(provenance.words_by_origin(text)))
        if self.statistics is not None and self.statistics.isVisible():
            self.statistics.show_figures(provenance, text)

    def _colour_all(self) -> None:
        for followed in self._followed.values():
            self._colour(followed)

    def _colour(self, followed: _Followed) -> None:
        editor = followed.document.editor
        selections = [
            s for s in editor.extraSelections() if not s.format.hasProperty(AUTHORSHIP_PROPERTY)
        ]
        if self.show_ai_action.isChecked():
            document = editor.document()
            # Qt reports a replaced text in several changes: in between, spans may still reach
            # past the end.
            last = document.characterCount() - 1
            for span in followed.tracker.provenance.spans:
                if span.end > last:
                    continue
                selection = QTextEdit.ExtraSelection()
                cursor = QTextCursor(document)
                cursor.setPosition(span.start)
                cursor.setPosition(span.end, QTextCursor.MoveMode.KeepAnchor)
                selection.cursor = cursor
                untouched = span.origin is Origin.SUGGESTED
                background = SUGGESTED_BACKGROUND if untouched else EDITED_BACKGROUND
                selection.format.setBackground(background)
                selection.format.setProperty(AUTHORSHIP_PROPERTY, True)
                how = "Suggested" if untouched else "Suggested, then edited,"
                selection.format.setToolTip(f"{how} by {span.source.describe()}")
                selections.append(selection)
        editor.setExtraSelections(selections)

    # -- phrases the writer keeps rejecting ---------------------------------------------------

    def _on_rejected(self, followed: _Followed, text: str) -> None:
        phrase = followed.rejected.dismissed(text)
        if phrase is not None:
            self.offer_ban(phrase)

    def offer_ban(self, phrase: str) -> None:
        """Ask, without blocking, whether the phrase goes on the current document's ban list."""
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
        offer.finished.connect(lambda _result: setattr(self, "ban_offer", None))
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
