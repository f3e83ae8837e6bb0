"""The writing window: the tabbed document window with the toolbar, status bar and the model.

The File menu, the tabs and their files are DocumentWindow's (documents/document_window.py);
each tab's editor gets its suggestions, word count and Find bar in window/document_tab.py; this
module wires the current tab to the toolbar, the Edit menu and the status bar, and shows what
the model and the suggestions report. One model (InferenceController) serves every tab.
Collaborators are passed in by app.main.build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from PySide6.QtCore import QSettings, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QWidget,
)

from penwright.app.documents.document_window import DocumentWindow
from penwright.app.documents.open_document import OpenDocument
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.inference.controller import (
    DeviceProbe,
    EngineFactory,
    InferenceController,
    default_device_probe,
)
from penwright.app.inference.load_failure import LoadFailureAction, after_load_failure
from penwright.app.inference.serving import AppServer
from penwright.app.inference.suggestions import Suggestions
from penwright.app.settings.apply import SettingsApplier
from penwright.app.settings.store import SettingsStore
from penwright.app.window.authorship import Authorship
from penwright.app.window.dialogs import WindowDialogs
from penwright.app.window.document_tab import DocumentTab, install_editor_extras
from penwright.app.window.edit_menu import EditMenu
from penwright.app.window.export_menu import ExportSource, add_export_menu
from penwright.app.window.learn_style_menu import LearnStyleMenu
from penwright.app.window.status_panel import StatusPanel
from penwright.app.window.toolbar import WritingToolbar
from penwright.app.window.view_menu import ViewMenu
from penwright.app.window.writing_hints import WritingHints
from penwright.models.params import GenerationParams
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

logger = logging.getLogger(__name__)

ParamsAdjuster = Callable[[OpenDocument, GenerationParams], GenerationParams]
"""Adds what one document brings to its requests (its story and ban list: story_room.py)."""

FILE_FILTER = "Text files (*.txt *.md);;All files (*)"


class MainWindow(DocumentWindow):
    """The writing window: the documents (DocumentWindow, one per tab) with the editor's
    surroundings, the toolbar, the status bar and the inference that suggests. Built by
    app.main.build."""

    closing = Signal()  # the writer agreed to close: the window is still shown, its tabs open

    def __init__(
        self,
        engine_factory: EngineFactory,
        settings: QSettings,
        store: SettingsStore,
        bindings: Mapping[Action, str] = DEFAULT_BINDINGS,
        model_spec: ModelSpec | None = None,
        base_params: GenerationParams | None = None,
        parent: QWidget | None = None,
        device_probe: DeviceProbe = default_device_probe,
    ) -> None:
        # The first tab's editor is made here; every tab then takes the current settings
        # (bindings, font) from the SettingsApplier.
        super().__init__(lambda: Editor(bindings), settings, parent)
        self._tabs: dict[OpenDocument, DocumentTab] = {}
        self._params_adjusters: list[ParamsAdjuster] = []
        self._shown_tab: DocumentTab | None = None  # the tab whose state the status bar shows
        self._model_spec = model_spec or ModelSpec()
        self.base_params = base_params or GenerationParams()
        self.status_panel = StatusPanel(self)
        self.statusBar().addPermanentWidget(self.status_panel)
        # The state shares the message area: a message replaces it while shown (status_panel.py).
        self.statusBar().addWidget(self.status_panel.state_label, 1)

        self.controller = InferenceController(engine_factory, self, device_probe)
        self._connect_inference()
        self.server = AppServer(self.controller, self)  # "Serve to other programs"
        self.server.state_changed.connect(self.status_panel.show_server)

        self.toolbar = WritingToolbar(self.base_params, bindings.get(Action.CONTINUE, ""), self)
        self.addToolBar(self.toolbar)
        self.toolbar.continue_action.triggered.connect(lambda: self.suggestions.request())
        self.toolbar.stop_action.triggered.connect(lambda: self.suggestions.stop())
        self.toolbar.auto_suggest_action.toggled.connect(self._on_auto_suggest_toggled)
        self.resize(900, 640)
        # The editing entries go before Preferences; each tab's Find bar is above its text.
        self.settings_store = store
        self.dialogs = WindowDialogs(self, store)
        self.edit_menu = EditMenu(self, self.dialogs.edit_menu, lambda: self.current_tab)
        self.current_changed.connect(self._on_current_tab_changed)
        self.document_closed.connect(self._on_tab_closed)
        # Every tab, this one and later ones, gets its editor's extras here.
        self.add_document_setup(self._install_tab)
        self.export_menu = add_export_menu(
            self,
            self.file_menu,
            lambda: ExportSource(self.editor, self.file_path),  # the current tab's
            self.show_notice,
        )
        # Preferences, Diagnostics, About and live settings; the store is loaded already.
        self.settings_applier = SettingsApplier(self, store)
        # The empty page's hint, the key-hint strip (each tab's), the session's and today's words.
        self.writing_hints = WritingHints(self, store)
        # Full screen, focus mode and typewriter scrolling (before Help).
        self.view_menu = ViewMenu(self, store)
        # Who wrote what and the confidence tint: in the View menu, after ViewMenu's entries.
        self.authorship = Authorship(self)
        self.learn_style = LearnStyleMenu(self)  # Tools > Learn from my writing… (issue #16)

    def _connect_inference(self) -> None:
        controller = self.controller
        controller.model_progress.connect(self._on_model_progress)
        controller.model_loaded.connect(self._on_model_loaded)
        controller.model_failed.connect(self._on_model_failed)

    # -- the tabs -----------------------------------------------------------------------------

    def _install_tab(self, document: OpenDocument) -> None:
        tab = install_editor_extras(
            document, self.controller, lambda: self.request_params(document)
        )
        self._tabs[document] = tab
        suggestions = tab.suggestions
        suggestions.state_changed.connect(self.status_panel.show_state)
        suggestions.stats_ready.connect(self.status_panel.show_stats)
        suggestions.message.connect(self.statusBar().showMessage)
        suggestions.failed.connect(self.show_notice)
        suggestions.set_auto_suggest(self.toolbar.auto_suggest_action.isChecked())
        tab.editor.suggestion_changed.connect(lambda: self._show_alternatives(tab))
        tab.word_counter.changed.connect(lambda words: self._show_word_count(tab, words))
        applier = getattr(self, "settings_applier", None)
        if applier is not None:  # tabs opened later take the settings the first one has
            applier.apply_to_tab(tab)
        if document.page is self.tab_widget.currentWidget():
            self._on_current_tab_changed(document)

    def request_params(self, document: OpenDocument) -> GenerationParams:
        """The parameters of a request from ``document``'s tab: the toolbar's, then what each
        adjuster adds for that document (its story and ban list: story_room.py)."""
        params = self.toolbar.params(self.base_params)
        for adjust in self._params_adjusters:
            params = adjust(document, params)
        return params

    def add_params_adjuster(self, adjust: ParamsAdjuster) -> None:
        self._params_adjusters.append(adjust)

    @property
    def tabs(self) -> list[DocumentTab]:
        """The tabs in their order."""
        return [self._tabs[document] for document in self.documents]

    def tab(self, document: OpenDocument) -> DocumentTab:
        """The tab that shows document."""
        return self._tabs[document]

    @property
    def current_tab(self) -> DocumentTab:
        return self._tabs[self.current_document]

    @property
    def editor(self) -> Editor:  # the same editor as DocumentWindow's, with its own type
        return self.current_tab.editor

    @property
    def suggestions(self) -> Suggestions:
        """The current tab's suggestions."""
        return self.current_tab.suggestions

    @Slot(object)
    def _on_current_tab_changed(self, document: OpenDocument) -> None:
        tab = self._tabs.get(document)
        if tab is None:
            return  # its extras are being installed: this comes again once they are
        left, self._shown_tab = self._shown_tab, tab
        if left is not None and left is not tab:
            left.suggestions.leave()  # its suggestion never streams or waits out of sight
        self.edit_menu.follow(tab.editor)
        self.status_panel.show_word_count(tab.word_counter.words)
        self._show_alternatives(tab)

    @Slot(object)
    def _on_tab_closed(self, document: OpenDocument) -> None:
        tab = self._tabs.pop(document, None)
        if tab is None:
            return
        tab.suggestions.leave()
        tab.suggestions.shutdown()
        self.edit_menu.forget(tab.editor)
        if self._shown_tab is tab:
            self._shown_tab = None

    def _show_word_count(self, tab: DocumentTab, words: int) -> None:
        if tab is self._shown_tab:
            self.status_panel.show_word_count(words)

    @Slot(bool)
    def _on_auto_suggest_toggled(self, enabled: bool) -> None:
        for tab in self._tabs.values():
            tab.suggestions.set_auto_suggest(enabled)

    def _show_alternatives(self, tab: DocumentTab) -> None:
        if tab is not self._shown_tab:
            return
        ghost = tab.editor.ghost
        shown, count = ghost.position() if ghost is not None else (0, 0)
        another = tab.editor.key_text(Action.NEXT_ALTERNATIVE)
        self.status_panel.show_alternatives(shown, count, another)

    # -- the model ----------------------------------------------------------------------------

    def load_model(self, spec: ModelSpec | None = None) -> None:
        """Start loading in the background; the window stays usable meanwhile."""
        if spec is not None:
            self._model_spec = spec
        self.status_panel.show_loading(LoadProgress("starting", 0.0))
        self.controller.load_model(self._model_spec)

    @Slot(object)
    def _on_model_progress(self, progress: LoadProgress) -> None:
        self.status_panel.show_loading(progress)

    @Slot(object)
    def _on_model_loaded(self, info: ModelInfo) -> None:
        logger.info(
            "model %s loaded from %s: %s, %s, decode path %s%s",
            info.name, info.path, info.device, info.precision, info.decode_path,
            f" (fallback: {info.fallback_reason})" if info.fallback_reason else "",
        )  # fmt: skip
        self.status_panel.show_loaded(info)
        if self.controller.busy:
            self.status_panel.show_state("Generating…")
        if info.fallback_reason:
            # Timed: the message area is the state's too; the model label keeps "(fallback)".
            self.statusBar().showMessage(f"Running on {info.device}: {info.fallback_reason}", 15000)

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        outcome = after_load_failure(self._model_spec, self.controller.model_info, message)
        self.show_notice(outcome.notice)
        if outcome.action is LoadFailureAction.LOAD_BUNDLED:
            self.load_model(ModelSpec())
        elif outcome.action is LoadFailureAction.NO_MODEL:
            self.status_panel.show_load_failed(message)
        else:  # a failed switch: the old model goes on serving
            assert self.controller.model_info is not None
            self.status_panel.show_loaded(self.controller.model_info)
            if self.controller.busy:
                self.status_panel.show_state("Generating…")

    # -- closing ------------------------------------------------------------------------------

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Cancel any generation and stop the worker thread (waits for it, at most timeout_ms
        if given); False if it was still busy then (a model conversion going on)."""
        for tab in self._tabs.values():
            tab.suggestions.shutdown()
        self.dialogs.close_all()  # Preferences may be downloading a model: stop it first
        self.server.stop()
        return self.controller.shutdown(timeout_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.ask_to_discard_changes():
            event.ignore()
            return
        self.closing.emit()  # the last session's tabs and geometry are kept for the next start
        self.hide()  # the worker may take a moment to reach a point where it can stop
        self.shutdown()
        event.accept()
