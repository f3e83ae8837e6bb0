"""The writing window: editor, toolbar, status bar and File menu, wired to the inference controller.

Collaborators are passed in (engine factory, key bindings, QSettings, model spec) so that tests,
the settings panel and autosave can plug in without globals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMenu,
    QMessageBox,
    QWidget,
)

from penwright.app.documents.recent_files import RecentFiles
from penwright.app.documents.session import DocumentWindow
from penwright.app.documents.unsaved_prompt import UnsavedChoice, ask_unsaved_changes
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
from penwright.app.settings.apply import SettingsApplier
from penwright.app.settings.store import SettingsStore
from penwright.app.window.dialogs import WindowDialogs
from penwright.app.window.status_panel import StatusPanel
from penwright.app.window.toolbar import WritingToolbar
from penwright.models.files.textfile import (
    NotTextError,
    SaveError,
    TextFormat,
    read_text_file,
    write_text_file,
)
from penwright.models.params import GenerationParams
from penwright.models.results import GenerationStats
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

logger = logging.getLogger(__name__)

APP_NAME = "Penwright"
AUTO_SUGGEST_DELAY_MS = 900
FILE_FILTER = "Text files (*.txt *.md);;All files (*)"


class MainWindow(DocumentWindow):
    """The writing window; its document signals (DocumentWindow) drive autosave and watching."""

    editor: Editor

    def __init__(
        self,
        engine_factory: EngineFactory,
        settings: QSettings,
        bindings: Mapping[Action, str] = DEFAULT_BINDINGS,
        model_spec: ModelSpec | None = None,
        base_params: GenerationParams | None = None,
        parent: QWidget | None = None,
        store: SettingsStore | None = None,
        device_probe: DeviceProbe = default_device_probe,
    ) -> None:
        super().__init__(parent)
        self._recent = RecentFiles(settings)
        self._model_spec = model_spec or ModelSpec()
        self.base_params = base_params or GenerationParams()
        self.file_path: Path | None = None
        self.file_format = TextFormat()
        self.last_notice = ""  # the last error shown to the writer (tests read it)
        self._notice: QMessageBox | None = None

        self.editor = Editor(bindings, self)
        self.setCentralWidget(self.editor)
        self.status_panel = StatusPanel(self)
        self.statusBar().addPermanentWidget(self.status_panel)

        self.controller = InferenceController(engine_factory, self, device_probe)
        self._connect_inference()

        self._auto_suggest_timer = QTimer(self)
        self._auto_suggest_timer.setSingleShot(True)
        self._auto_suggest_timer.setInterval(AUTO_SUGGEST_DELAY_MS)
        self._auto_suggest_timer.timeout.connect(self._on_typing_pause)

        self._build_toolbar(bindings)
        self._build_file_menu()
        self.editor.document().modificationChanged.connect(self.setWindowModified)
        self.editor.document().contentsChange.connect(self._on_contents_change)
        # Counted per paragraph: recounting a 5 MB text per keystroke would stall typing.
        self.word_counter = WordCounter(self.editor.document(), self)
        self.word_counter.changed.connect(self.status_panel.show_word_count)
        self._update_title()
        self.resize(900, 640)
        # Preferences, Diagnostics, About and live settings (issue 4); the store is loaded already.
        self.settings_store = store
        if store is not None:
            self.settings_applier = SettingsApplier(self, store)
            self.dialogs = WindowDialogs(self, store)

    # -- construction -------------------------------------------------------------------------

    def _connect_inference(self) -> None:
        controller = self.controller
        controller.model_progress.connect(self._on_model_progress)
        controller.model_loaded.connect(self._on_model_loaded)
        controller.model_failed.connect(self._on_model_failed)
        controller.suggestion_delta.connect(self.editor.append_suggestion)
        controller.suggestion_finished.connect(self._on_suggestion_finished)
        controller.suggestion_failed.connect(self._on_suggestion_failed)
        self.editor.continue_requested.connect(self.request_continuation)
        self.editor.suggestion_dismissed.connect(self._on_suggestion_dismissed)

    def _build_toolbar(self, bindings: Mapping[Action, str]) -> None:
        self.toolbar = WritingToolbar(self.base_params, bindings.get(Action.CONTINUE, ""), self)
        self.addToolBar(self.toolbar)
        self.toolbar.continue_action.triggered.connect(self.request_continuation)
        self.toolbar.stop_action.triggered.connect(self.stop_generation)
        self.toolbar.auto_suggest_action.toggled.connect(self._on_auto_suggest_toggled)

    def _build_file_menu(self) -> None:
        menu = self.file_menu = self.menuBar().addMenu("&File")
        entries = (
            ("&New", QKeySequence.StandardKey.New, self.new_file),
            ("&Open…", QKeySequence.StandardKey.Open, self.open_file_dialog),
            ("&Save", QKeySequence.StandardKey.Save, self.save),
            ("Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as_dialog),
        )
        for text, key, slot in entries:
            action = menu.addAction(text)
            action.setShortcut(key)
            action.triggered.connect(slot)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_menu.triggered.connect(self._on_recent_chosen)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        quit_action = self.quit_action = menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

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
        self.status_panel.show_loaded(info)
        if self.controller.busy:
            self.status_panel.show_state("Generating…")
        if info.fallback_reason:
            self.statusBar().showMessage(f"Running on {info.device}: {info.fallback_reason}")

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

    # -- suggestions --------------------------------------------------------------------------

    def current_params(self) -> GenerationParams:
        """The base parameters with the toolbar's values: read at each request."""
        return self.toolbar.params(self.base_params)

    @Slot()
    def request_continuation(self) -> None:
        if self.editor.composing:
            self.statusBar().showMessage("Finish composing first; then ask for a suggestion.", 4000)
            return
        context = self.editor.text_before_cursor()
        request_id = self.controller.request(context, self.current_params())
        self.editor.start_suggestion(request_id)
        if self.controller.loading and self.controller.model_info is None:
            # The state label keeps showing load progress; _on_model_loaded says "Generating…".
            self.statusBar().showMessage(
                "The model is still loading; your suggestion will start when it is ready.", 8000
            )
        else:
            self.status_panel.show_state("Generating…")

    @Slot()
    def stop_generation(self) -> None:
        """Cancel at once; what already streamed stays on screen to accept or dismiss."""
        self.controller.stop()

    @Slot(int)
    def _on_suggestion_dismissed(self, request_id: int) -> None:
        if self.controller.current_id == request_id:
            self.controller.stop()

    @Slot(int, object)
    def _on_suggestion_finished(self, request_id: int, stats: GenerationStats) -> None:
        self.editor.finish_suggestion(request_id)
        self.status_panel.show_state("Stopped" if stats.cancelled else "Ready")
        if not stats.cancelled:
            self.status_panel.show_stats(stats)

    @Slot(int, str)
    def _on_suggestion_failed(self, request_id: int, message: str) -> None:
        ghost = self.editor.ghost
        if ghost is not None and ghost.request_id == request_id:
            self.editor.dismiss_suggestion(notify=False)
        self.status_panel.show_state("Suggestion failed")
        self.show_notice(f"No suggestion: {message}")

    def set_auto_suggest_delay(self, milliseconds: int) -> None:
        """How long a typing pause lasts before auto-suggest asks for a continuation."""
        self._auto_suggest_timer.setInterval(milliseconds)

    @Slot(bool)
    def _on_auto_suggest_toggled(self, enabled: bool) -> None:
        if not enabled:
            self._auto_suggest_timer.stop()

    @Slot(int, int, int)
    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        if self.toolbar.auto_suggest_action.isChecked() and (removed or added):
            self._auto_suggest_timer.start()  # restarts: fires only after a pause

    @Slot()
    def _on_typing_pause(self) -> None:
        editor = self.editor
        if editor.ghost is None and not editor.composing and editor.text_before_cursor().strip():
            self.request_continuation()

    # -- messages -----------------------------------------------------------------------------

    def show_notice(self, message: str) -> None:
        """Tell the writer without blocking: the status bar and a non-modal message box."""
        self.last_notice = message
        self.statusBar().showMessage(message, 10000)
        if self._notice is not None:
            self._notice.close()
        notice = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, message, parent=self)
        notice.setWindowModality(Qt.WindowModality.NonModal)
        notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        notice.finished.connect(self._on_notice_closed)
        self._notice = notice
        notice.show()

    @Slot()
    def _on_notice_closed(self) -> None:
        self._notice = None

    # -- files --------------------------------------------------------------------------------

    def _update_title(self) -> None:
        name = self.file_path.name if self.file_path else "Untitled"
        self.setWindowFilePath(str(self.file_path) if self.file_path else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.editor.document().isModified())

    def ask_to_discard_changes(self) -> bool:
        """True if there are no unsaved changes, or the writer saved or chose to discard them."""
        if not self.editor.document().isModified():
            return True
        name = self.file_path.name if self.file_path else "Untitled"
        answer = ask_unsaved_changes(self, name)
        if answer is UnsavedChoice.SAVE:
            return self.save()
        return answer is UnsavedChoice.DISCARD

    def show_document(
        self, text: str, path: Path | None, fmt: TextFormat, *, modified: bool = False
    ) -> None:
        """Put a document in the editor (new, opened, reloaded or recovered) and announce it."""
        self.editor.dismiss_suggestion()
        self.editor.setPlainText(text)
        self.file_path = path
        self.file_format = fmt
        self.editor.document().setModified(modified)
        self._update_title()
        self.document_replaced.emit()

    @Slot()
    def new_file(self) -> None:
        if not self.ask_to_discard_changes():
            return
        self.show_document("", None, TextFormat())

    @Slot()
    def open_file_dialog(self) -> None:
        if not self.ask_to_discard_changes():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._dialog_folder(), FILE_FILTER)
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Load path into the editor. On failure the current text stays as it was."""
        if ask and not self.ask_to_discard_changes():
            return False
        try:
            text, fmt = read_text_file(path)
        except NotTextError as exc:
            logger.warning("cannot open %s: %s", path, exc)
            self.show_notice(str(exc))
            return False
        except OSError as exc:
            logger.warning("cannot open %s", path, exc_info=True)
            self.show_notice(f"Could not open {path}: {exc.strerror or exc}")
            return False
        self.show_document(text, Path(path).resolve(), fmt)
        self._remember_recent(Path(path).resolve())
        return True

    @Slot()
    def save(self) -> bool:
        if self.file_path is None:
            return self.save_as_dialog()
        return self.save_to(self.file_path)

    @Slot()
    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save As", self._dialog_folder(), FILE_FILTER)
        return self.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        """Write the document (never the ghost text) to path; on success it becomes the file."""
        try:
            write_text_file(path, self.editor.toPlainText(), self.file_format)
        except SaveError as exc:
            logger.warning("cannot save %s", path, exc_info=True)
            self.show_notice(str(exc))
            return False
        self.file_path = path.resolve()
        self.editor.document().setModified(False)
        self._remember_recent(self.file_path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {self.file_path.name}", 3000)
        self.document_saved.emit(self.file_path)
        return True

    def _dialog_folder(self) -> str:
        return str(self.file_path.parent) if self.file_path else str(Path.home())

    def recent_files(self) -> list[str]:
        return self._recent.paths()

    def _remember_recent(self, path: Path) -> None:
        self._recent.remember(path)

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.setData(path)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent files").setEnabled(False)

    @Slot(QAction)
    def _on_recent_chosen(self, action: QAction) -> None:
        path = action.data()
        if isinstance(path, str) and path:
            self.open_file(path)

    # -- closing ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel any generation and stop the worker thread (waits for it)."""
        self._auto_suggest_timer.stop()
        if self.settings_store is not None:
            self.dialogs.close_all()  # Preferences may be downloading a model: stop it first
        self.controller.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.ask_to_discard_changes():
            event.ignore()
            return
        self.hide()  # the worker may take a moment to reach a point where it can stop
        self.shutdown()
        event.accept()
