"""The writing window: the document window with the toolbar, status bar and the model.

The File menu and the document's files are DocumentWindow's (documents/document_window.py); a
suggestion's life is Suggestions' (inference/suggestions.py); this module wires them to the
controller and shows what they report. Collaborators are passed in by app.main.build.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from PySide6.QtCore import QSettings, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QWidget,
)

from penwright.app.documents.session import DocumentWindow
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.editor.word_count import WordCounter
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
from penwright.app.window.dialogs import WindowDialogs
from penwright.app.window.edit_menu import EditMenu
from penwright.app.window.export_menu import ExportSource, add_export_menu
from penwright.app.window.status_panel import StatusPanel
from penwright.app.window.toolbar import WritingToolbar
from penwright.app.window.view_menu import ViewMenu
from penwright.app.window.writing_hints import WritingHints
from penwright.models.params import GenerationParams
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

logger = logging.getLogger(__name__)

FILE_FILTER = "Text files (*.txt *.md);;All files (*)"


class MainWindow(DocumentWindow):
    """The writing window: the document (DocumentWindow) with the editor's surroundings, the
    toolbar, the status bar and the inference that suggests. Built by app.main.build."""

    editor: Editor

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
        super().__init__(Editor(bindings), settings, parent)
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
        self.suggestions = Suggestions(
            self.editor, self.controller, lambda: self.toolbar.params(self.base_params), self
        )
        self._connect_suggestions()
        # Counted per paragraph: recounting a 5 MB text per keystroke would stall typing.
        self.word_counter = WordCounter(self.editor.document(), self)
        self.word_counter.changed.connect(self.status_panel.show_word_count)
        self.resize(900, 640)
        # Preferences, Diagnostics, About and live settings; the store is loaded already.
        self.settings_store = store
        self.settings_applier = SettingsApplier(self, store)
        self.dialogs = WindowDialogs(self, store)
        # The editing entries go before Preferences; the Find bar goes above the text.
        self.edit_menu = EditMenu(self, self.editor, self.dialogs.edit_menu)
        self.export_menu = add_export_menu(
            self,
            self.file_menu,
            lambda: ExportSource(self.editor, self.file_path),
            self.show_notice,
        )
        # The empty page's hint, the key-hint strip, the session's and today's words.
        self.writing_hints = WritingHints(self, store)
        # Full screen, focus mode and typewriter scrolling (before Help).
        self.view_menu = ViewMenu(self, store)

    # -- construction -------------------------------------------------------------------------

    def _connect_inference(self) -> None:
        controller = self.controller
        controller.model_progress.connect(self._on_model_progress)
        controller.model_loaded.connect(self._on_model_loaded)
        controller.model_failed.connect(self._on_model_failed)

    def _connect_suggestions(self) -> None:
        suggestions = self.suggestions
        suggestions.state_changed.connect(self.status_panel.show_state)
        suggestions.stats_ready.connect(self.status_panel.show_stats)
        suggestions.message.connect(self.statusBar().showMessage)
        suggestions.failed.connect(self.show_notice)
        self.toolbar.continue_action.triggered.connect(suggestions.request)
        self.editor.suggestion_changed.connect(self._show_alternatives)
        self.toolbar.stop_action.triggered.connect(suggestions.stop)
        self.toolbar.auto_suggest_action.toggled.connect(suggestions.set_auto_suggest)

    @Slot()
    def _show_alternatives(self) -> None:
        ghost = self.editor.ghost
        shown, count = ghost.position() if ghost is not None else (0, 0)
        another = self.editor.key_text(Action.NEXT_ALTERNATIVE)
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
        self.suggestions.shutdown()
        self.dialogs.close_all()  # Preferences may be downloading a model: stop it first
        self.server.stop()
        return self.controller.shutdown(timeout_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.ask_to_discard_changes():
            event.ignore()
            return
        self.hide()  # the worker may take a moment to reach a point where it can stop
        self.shutdown()
        event.accept()
