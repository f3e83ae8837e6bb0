"""The status bar's switch between the local model and the remote servers: one click each way.

Shown once Preferences lists a remote server. Its label says what a click does ("Use local
model" while a server writes, "Use NAME" while the local model does: the server used last),
and its menu lists every choice. A switch is a settings change like any
other: the store saves it and the SettingsApplier loads the model.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from penwright.app.settings.remote_servers import local_model_of, with_source
from penwright.app.settings.store import Settings, SettingsStore
from penwright.models.sources.remote_spec import REMOTE_PREFIX, remote_source_name


class ModelSwitch(QToolButton):
    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._last_server = ""
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setAutoRaise(True)
        self.setMenu(QMenu(self))
        self.clicked.connect(self.toggle)
        store.changed.connect(self._show)
        self._show(store.current)

    @Slot()
    def toggle(self) -> None:
        """Local model -> the server used last (or the first); a server -> the local model."""
        settings = self._store.current
        if remote_source_name(settings.model) is not None:
            self.choose(local_model_of(settings))
        elif settings.remote_servers:
            names = [e.name for e in settings.remote_servers]
            name = self._last_server if self._last_server in names else names[0]
            self.choose(REMOTE_PREFIX + name)

    def choose(self, source: str) -> None:
        settings = self._store.current
        if settings.model.source != source:
            self._store.save(with_source(settings, source))

    @Slot(object)
    def _show(self, settings: Settings) -> None:
        self.setVisible(bool(settings.remote_servers))
        server = remote_source_name(settings.model)
        # The button says what a click does; the model label beside it says what writes now.
        if server is not None:
            self._last_server = server
            self.setText("Use local model")
            self.setToolTip(
                f"Writing with the remote server {server}; click to use the local model"
            )
        else:
            names = [e.name for e in settings.remote_servers]
            target = self._last_server if self._last_server in names else names[0] if names else ""
            self.setText(f"Use {_short(target)}")
            self.setToolTip(f"Writing with the local model; click to write with {target}")
        menu = self.menu()
        menu.clear()
        group = QActionGroup(menu)
        local = local_model_of(settings) if server is not None else settings.model.source
        choices = [(local, "Local model")] + [
            (REMOTE_PREFIX + e.name, f"Remote: {e.name}") for e in settings.remote_servers
        ]
        for source, label in choices:
            action = QAction(label, menu)
            action.setCheckable(True)
            action.setChecked(source == settings.model.source)
            action.triggered.connect(lambda _=False, s=source: self.choose(s))
            group.addAction(action)
            menu.addAction(action)


def _short(name: str, most: int = 24) -> str:
    return name if len(name) <= most else name[: most - 1] + "\u2026"
