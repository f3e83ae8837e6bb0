"""Preferences: a list of pages on the left, the chosen page on the right (Frescobaldi's layout).

OK and Apply save through the SettingsStore, whose ``changed`` signal makes the rest of the app
apply the new settings live. Input that cannot be saved is named in a message at the bottom and
its page is shown; nothing is saved until every page is valid.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from penwright.app.settings.model_page import CatalogLister, ModelPage
from penwright.app.settings.page_summary import restore_description, setting_names
from penwright.app.settings.pages import (
    DevicePage,
    EditorPage,
    GenerationPage,
    InputError,
    KeysPage,
    SettingsPage,
    SpellingPage,
)
from penwright.app.settings.remote_page import RemoteServersPage
from penwright.app.settings.secrets import KeyStore, shared_keys
from penwright.app.settings.serve_page import ServePage
from penwright.app.settings.store import Settings, SettingsStore
from penwright.app.settings.writing_page import WritingPage
from penwright.models.loading.device_probe import DeviceInfo

# What Restore Defaults restores on a page whose controls are not a form (page_summary.py reads
# the others' own labels).
_RESTORES_WITHOUT_FORM = {
    "Model": [
        "the model (the bundled default; models you added stay in the list)",
        "running the model's own code (off)",
        "pickle weights (off)",
    ],
}


def restored_names(page: SettingsPage) -> list[str]:
    return setting_names(page) or _RESTORES_WITHOUT_FORM.get(page.title, [])


class SettingsDialog(QDialog):
    """The settings panel. catalog lists models (models.catalog.listing.list_models; the Model
    page runs it on a worker thread); devices are the ones present
    (models.loading.device_probe.available_devices, which imports torch: the window should pass
    a list it already has rather than make the dialog import torch on the GUI thread).
    """

    def __init__(
        self,
        store: SettingsStore,
        catalog: CatalogLister,
        devices: Sequence[DeviceInfo],
        parent: QWidget | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Penwright Preferences")
        self._store = store
        self.model_page = ModelPage(catalog)
        self.remote_page = RemoteServersPage(keys or shared_keys())
        self.device_page = DevicePage(devices)
        self.generation_page = GenerationPage()
        self.editor_page = EditorPage()
        self.keys_page = KeysPage()
        self.writing_page = WritingPage()
        self.spelling_page = SpellingPage()
        self.serve_page = ServePage(keys or shared_keys())
        self.pages: list[SettingsPage] = [
            self.model_page,
            self.remote_page,
            self.device_page,
            self.generation_page,
            self.editor_page,
            self.keys_page,
            self.writing_page,
            self.spelling_page,
            self.serve_page,
        ]
        self.device_page.target_changed.connect(self.model_page.set_target)
        self.remote_page.servers_changed.connect(self.model_page.set_remote_servers)
        self.remote_page.use_requested.connect(self._on_use_server)

        self.page_list = QListWidget()
        self.stack = QStackedWidget()
        for page in self.pages:
            self.page_list.addItem(page.title)
            self.stack.addWidget(page)
        self.page_list.setFixedWidth(self.page_list.sizeHintForColumn(0) + 24)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.currentRowChanged.connect(self._describe_restore)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.restored = QLabel()  # what Restore Defaults just put back, until saved
        self.restored.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self._on_restore_defaults
        )

        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.restored)
        layout.addWidget(self.buttons)

        self.load(store.current)
        self.page_list.setCurrentRow(0)
        self.resize(820, 560)

    def load(self, settings: Settings) -> None:
        for page in self.pages:
            page.load(settings)
        self.model_page.set_target(*self.device_page.target())
        self.error.clear()

    def collect(self) -> Settings:
        """The settings the pages show now; InputError names the first bad control."""
        settings = self._store.current
        for page in self.pages:
            settings = page.apply_to(settings)
        return settings

    def apply(self) -> bool:
        """Save what the pages show. False (and the reason shown) when something is invalid."""
        try:
            settings = self.collect()
        except InputError as err:
            self.error.setText(str(err))
            page = next((p for p in self.pages if str(err).startswith(p.title + ":")), None)
            if page is not None:
                self.page_list.setCurrentRow(self.pages.index(page))
            return False
        self.error.clear()
        self._store.save(settings)
        self.restored.clear()
        return True

    def accept(self) -> None:
        if self.apply():
            self.model_page.shutdown()
            self.remote_page.shutdown()
            super().accept()

    def reject(self) -> None:
        self.model_page.shutdown()
        self.remote_page.shutdown()
        super().reject()

    def _describe_restore(self, row: int) -> None:
        """The Restore Defaults button says which settings it restores: the current page's."""
        if not 0 <= row < len(self.pages):
            return
        page = self.pages[row]
        button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        button.setToolTip(restore_description(page.title, restored_names(page)))

    def _on_use_server(self, source: str) -> None:
        """ "Write with this server": choose its row in the Model list and show it there."""
        self.model_page.select_source(source)
        self.page_list.setCurrentRow(self.pages.index(self.model_page))

    def _on_restore_defaults(self) -> None:
        """Show the defaults of the current page; nothing is saved until OK or Apply."""
        page = self.pages[self.stack.currentIndex()]
        names = restored_names(page)
        restored = ", ".join(names) if names else "its settings"
        self.restored.setText(
            f"Restored the defaults of {page.title}: {restored}. OK or Apply saves them; "
            "Cancel keeps the settings you had."
        )
        page.load(Settings())
        if page is self.model_page:  # keep the models the writer added
            self.model_page.load(Settings(user_models=tuple(self._store.current.user_models)))
