"""Applies the user's Settings to a running window, at start-up and live after every change.

The SettingsStore's ``changed`` signal is the one broadcast (Frescobaldi's settings_changed); this
object is its listener for the main window: font, theme and the writer's page, key bindings,
generation defaults (kept in step with the toolbar both ways), auto-suggest, CPU threads, and the
model (a change of model, device or precision reloads in the background while the current model
keeps serving).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action
from penwright.app.editor.typography import page_font
from penwright.app.inference.serving import ServeWish
from penwright.app.settings.remote_servers import find_entry
from penwright.app.settings.store import Settings, SettingsStore, Theme
from penwright.app.window.theme import apply_theme
from penwright.models.sources.remote_spec import remote_source_name
from penwright.models.spec import ModelSpec

if TYPE_CHECKING:
    from penwright.app.window.document_tab import DocumentTab
    from penwright.app.window.main_window import MainWindow

# The toolbar offers the same ranges as the settings panel, so neither clamps the other.


def apply_page(editor: Editor, settings: Settings) -> None:
    """The writer's page of settings on editor: font (the chosen family, else the typeface's,
    with CJK fallbacks of its style), text column, line spacing and typewriter scrolling."""
    e, p = settings.editor, settings.page
    editor.setFont(page_font(p.typeface, e.font_family, e.font_size))
    editor.page.set_column(p.column_chars)
    editor.page.set_line_spacing(p.line_spacing)
    editor.typewriter.set_enabled(p.typewriter)


def startup_model_spec(stored: ModelSpec, model: str | None, device: str | None) -> ModelSpec:
    """The stored model spec with the command line's --model/--device (None: not given).

    The stored opt-ins (remote code, pickle) belong to the stored model: another one given on
    the command line runs without them.
    """
    spec = replace(stored, device=device or stored.device)
    if model and model != stored.source:
        spec = replace(spec, source=model, trust_remote_code=False, allow_pickle=False)
    return spec


def repaired_settings_message(warnings: tuple[str, ...]) -> str:
    """One message for the writer about stored settings that were unusable and replaced."""
    if len(warnings) == 1:
        return f"A saved setting could not be used and was reset. {warnings[0]}"
    return f"{len(warnings)} saved settings could not be used and were reset:\n" + "\n".join(
        warnings
    )


def _server_changed(previous: Settings, settings: Settings) -> bool:
    """The remote server writing now was edited (its address, model or preset): reconnect."""
    name = remote_source_name(settings.model)
    if name is None:
        return False
    return find_entry(previous.remote_servers, name) != find_entry(settings.remote_servers, name)


class SettingsApplier(QObject):
    """Listens to store.changed and makes the window follow. Lives on the GUI thread.

    The model named in the settings is loaded only when it changes: the window may have been
    started on another model (penwright --model/--device override the setting for one run).
    """

    def __init__(self, window: MainWindow, store: SettingsStore) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._stored_model = store.current.model
        self._applying = False
        self.apply(store.current, previous=None)
        store.changed.connect(self._on_settings_changed)
        window.toolbar.temperature_box.valueChanged.connect(self._on_toolbar_changed)
        window.toolbar.length_box.valueChanged.connect(self._on_toolbar_changed)
        window.toolbar.alternatives_box.valueChanged.connect(self._on_toolbar_changed)
        window.toolbar.auto_suggest_action.toggled.connect(self._on_toolbar_changed)

    def report_warnings(self, warnings: tuple[str, ...]) -> None:
        """Tell the writer which stored settings were repaired (SettingsStore.load's warnings)."""
        if warnings:
            self._window.show_notice(repaired_settings_message(warnings))

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        self.apply(settings, previous=self._applied)

    def apply(self, settings: Settings, previous: Settings | None) -> None:
        """Make the window show settings. previous None: the first time (start-up)."""
        window = self._window
        self._applied = settings
        self._applying = True
        try:
            e = settings.editor
            for tab in window.tabs:
                self.apply_to_tab(tab)
            # At start-up the platform's colours are already in place for SYSTEM.
            first = previous is None and e.theme is not Theme.SYSTEM
            if first or (previous is not None and previous.editor.theme != e.theme):
                apply_theme(e.theme)
            window.toolbar.set_continue_key(settings.key_bindings[Action.CONTINUE])
            g = settings.generation
            window.base_params = g
            window.toolbar.show_params(g)
            window.toolbar.auto_suggest_action.setChecked(e.auto_suggest)
        finally:
            self._applying = False
        if settings.cpu_threads != (previous.cpu_threads if previous is not None else 0):
            window.controller.set_cpu_threads(settings.cpu_threads)
        if previous is not None and (
            settings.model != self._stored_model or _server_changed(previous, settings)
        ):
            window.load_model(settings.model)
        self._stored_model = settings.model
        serve = settings.serve
        window.server.apply(
            ServeWish(serve.enabled, serve.port, serve.api_key, serve.allowed_origins)
        )

    def apply_to_tab(self, tab: DocumentTab) -> None:
        """The editor settings, on one tab (each tab at every change, a new tab when it opens)."""
        settings = self._applied
        e = settings.editor
        apply_page(tab.editor, settings)
        tab.editor.set_bindings(settings.key_bindings)
        tab.suggestions.set_auto_suggest_delay(e.auto_suggest_delay_ms)

    @Slot()
    def _on_toolbar_changed(self) -> None:
        """The writer changed a toolbar control: it becomes the saved default too."""
        if self._applying:
            return
        window = self._window
        current = self._store.current
        generation = window.toolbar.params(current.generation)
        auto_suggest = window.toolbar.auto_suggest_action.isChecked()
        editor = replace(current.editor, auto_suggest=auto_suggest)
        self._store.save(replace(current, generation=generation, editor=editor))
