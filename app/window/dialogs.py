"""Edit > Preferences, Help > Diagnostics and Help > About for the main window.

The dialogs are built from what the window already knows, so opening one never imports torch on
the GUI thread before a model has loaded it: the device list comes from the loader thread (after
a load); the model list and the diagnostics facts are gathered on a worker thread (app.tasks)
after the dialog opens. Recent suggestion speeds are collected from the controller as they end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog

from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.store import SettingsStore
from penwright.app.window.about_dialog import AboutDialog
from penwright.app.window.diagnostics_dialog import (
    COLLECTING,
    DiagnosticsDialog,
    gather_facts,
    known_facts,
)
from penwright.models.catalog.listing import list_models
from penwright.models.files.logs import last_log_lines, log_file
from penwright.models.loading.device_probe import DeviceInfo, cpu_device
from penwright.models.results import GenerationStats

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

RECENT_STATS_KEPT = 20
PREFERENCES_KEY = "Ctrl+,"  # the usual Preferences key (Cmd+, on macOS, where Ctrl means Cmd)


class WindowDialogs(QObject):
    """Adds the Edit and Help menus to window and opens their dialogs (window-modal, not blocking:
    the model keeps streaming behind them). The open dialog of each kind is kept in an attribute
    until it closes."""

    def __init__(self, window: MainWindow, store: SettingsStore) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self.recent_stats: deque[GenerationStats] = deque(maxlen=RECENT_STATS_KEPT)
        self.preferences: SettingsDialog | None = None
        self.diagnostics: DiagnosticsDialog | None = None
        self.about: AboutDialog | None = None
        window.controller.suggestion_finished.connect(self._on_suggestion_finished)

        edit_menu = self.edit_menu = window.menuBar().addMenu("&Edit")
        self.preferences_action = edit_menu.addAction("&Preferences…")
        self.preferences_action.setShortcut(QKeySequence(PREFERENCES_KEY))
        self.preferences_action.triggered.connect(self.open_preferences)
        help_menu = window.menuBar().addMenu("&Help")
        self.diagnostics_action = help_menu.addAction("&Diagnostics…")
        self.diagnostics_action.triggered.connect(self.open_diagnostics)
        self.about_action = help_menu.addAction("&About Penwright")
        self.about_action.triggered.connect(self.open_about)

    def close_all(self) -> None:
        """Close every open dialog (the window is closing); Preferences stops its download."""
        for dialog in (self.preferences, self.diagnostics, self.about):
            if dialog is not None:
                dialog.reject()

    def devices(self) -> list[DeviceInfo]:
        """The devices the loader found; before any load, the CPU (plus Auto in the panel)."""
        return self._window.controller.devices or [cpu_device()]

    @Slot()
    def open_preferences(self) -> None:
        if self.preferences is not None:
            self.preferences.raise_()
            return
        dialog = SettingsDialog(self._store, list_models, self.devices(), self._window)
        self.preferences = dialog
        dialog.finished.connect(self._on_preferences_closed)
        dialog.open()

    @Slot()
    def open_diagnostics(self) -> None:
        if self.diagnostics is not None:
            self.diagnostics.close()
        info = self._window.controller.model_info
        # "torch threads" (gathered) is the worker's; generation runs with the setting's count.
        threads = self._store.current.cpu_threads
        ours = {"generation threads": str(threads) if threads else "automatic (torch decides)"}
        path = log_file()
        dialog = DiagnosticsDialog(
            {**known_facts(info), "system": COLLECTING, **ours},
            list(self.recent_stats),
            self._window,
            log_file=str(path) if path else "",
        )
        self.diagnostics = dialog
        dialog.finished.connect(self._on_diagnostics_closed)
        dialog.open()

        def gather() -> Mapping[str, str]:  # on a worker thread
            return {**gather_facts(info), **ours}

        dialog.collect(gather, last_log_lines)

    @Slot()
    def open_about(self) -> None:
        if self.about is not None:
            self.about.raise_()
            return
        dialog = AboutDialog(self._window)
        self.about = dialog
        dialog.finished.connect(self._on_about_closed)
        dialog.open()

    @Slot(int, object)
    def _on_suggestion_finished(self, request_id: int, stats: GenerationStats) -> None:
        if stats.new_tokens:
            self.recent_stats.append(stats)

    # Each dialog is deleted once closed; a later menu choice builds a fresh one with fresh facts.

    @Slot(int)
    def _on_preferences_closed(self, result: int) -> None:
        _dispose(self.preferences)
        self.preferences = None

    @Slot(int)
    def _on_diagnostics_closed(self, result: int) -> None:
        _dispose(self.diagnostics)
        self.diagnostics = None

    @Slot(int)
    def _on_about_closed(self, result: int) -> None:
        _dispose(self.about)
        self.about = None


def _dispose(dialog: QDialog | None) -> None:
    if dialog is not None:
        dialog.deleteLater()
