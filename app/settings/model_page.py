"""The Model page of the settings dialog: pick, add and download models.

The list comes from models.catalog.listing (passed in as a function, so tests and the window decide
how the listing is done). Listing reads folders and the Hugging Face cache, so it runs on a worker
thread (app.tasks); the newest listing wins and is shown on the GUI thread, then models_listed is
emitted. Downloads run through HubDownload, off the GUI thread too.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from penwright.app.settings.model_download import HubDownload
from penwright.app.settings.pages import SettingsPage
from penwright.app.settings.remote_servers import RemoteServerEntry, with_source
from penwright.app.settings.store import Settings
from penwright.app.settings.style_rows import ask_delete, ask_rename, style_details
from penwright.app.tasks import LatestTask, in_thread
from penwright.models.catalog.download import DownloadProgress
from penwright.models.catalog.listing import (
    CatalogEntry,
    ModelKind,
    estimate_memory,
    format_parameters,
    resolve_precision,
)
from penwright.models.catalog.removal import delete_cached_model
from penwright.models.loading.device_probe import format_bytes
from penwright.models.sources.presets import preset
from penwright.models.sources.remote_spec import REMOTE_PREFIX

CatalogLister = Callable[[Sequence[str]], list[CatalogEntry]]
"""Lists the models to offer, given the user-added paths (models.catalog.listing.list_models)."""

CacheDeleter = Callable[[str], object]
"""Deletes a model from the Hugging Face cache by id (models.catalog.removal)."""

logger = logging.getLogger(__name__)

_SOURCE = Qt.ItemDataRole.UserRole
_COLUMNS = ("Model", "Parameters", "Size", "Context", "Licence")


class ModelPage(SettingsPage):
    title = "Model"
    models_listed = Signal()
    """A listing has arrived and is shown (after load, refresh, adding a model, a download)."""

    removal_finished = Signal(str, str)
    """(source, message) once a Hugging Face cache entry was deleted, or failed to be; the
    listing that follows a deletion then emits models_listed."""

    def __init__(
        self,
        catalog: CatalogLister,
        download: HubDownload | None = None,
        delete_cached: CacheDeleter = delete_cached_model,
    ) -> None:
        super().__init__()
        self._catalog = catalog
        self._delete_cached = delete_cached
        self._removal = LatestTask()
        self._listing = LatestTask()
        self._wanted: str | None = None  # the source to select once the listing arrives
        self._entries: dict[str, CatalogEntry] = {}
        self._user_models: list[str] = []
        # Remote servers (the Remote servers page edits them): rows of their own, "remote:NAME".
        self._remote: dict[str, RemoteServerEntry] = {}
        self._target = ("cpu", "auto", 2048)
        self._last_selected: str | None = None
        self._download = download or HubDownload(self)
        self._download.progress.connect(self._on_download_progress)
        self._download.finished.connect(self._on_download_finished)
        self._download.failed.connect(self._on_download_failed)
        self._download.cancelled.connect(self._on_download_cancelled)

        self.models = QTreeWidget()
        self.models.setHeaderLabels(list(_COLUMNS))
        self.models.setRootIsDecorated(False)
        self.models.setAlternatingRowColors(True)
        header = self.models.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.models.currentItemChanged.connect(self._on_selection_changed)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.add_folder = QPushButton("Add &folder\u2026")
        self.add_gguf = QPushButton("Add &GGUF file\u2026")
        self.remove = QPushButton("&Remove from list")
        self.rename_style = QPushButton("Re&name style\u2026")  # a writer's style (#16)
        self.rename_style.clicked.connect(self._on_rename_style)
        self.rename_style.setVisible(False)  # until a style is selected
        self.add_folder.clicked.connect(self._on_add_folder)
        self.add_gguf.clicked.connect(self._on_add_gguf)
        self.remove.clicked.connect(self._on_remove)

        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("Hugging Face id, e.g. HuggingFaceTB/SmolLM2-135M")
        self.download_button = QPushButton("&Download")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.download_button.clicked.connect(self._on_download)
        self.cancel_button.clicked.connect(self._download.cancel)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        self.download_status.setVisible(False)  # until there is something to say

        self.trust_remote_code = QCheckBox(
            "Run code that comes with this model (trust_remote_code); only for models you trust"
        )
        self.allow_pickle = QCheckBox(
            "Allow pickle (.bin) weights for this model; they can run code when loaded"
        )

        buttons = QHBoxLayout()
        for button in (self.add_folder, self.add_gguf, self.remove, self.rename_style):
            buttons.addWidget(button)
        buttons.addStretch()
        hub = QHBoxLayout()
        hub.addWidget(self.hub_id, 1)
        hub.addWidget(self.download_button)
        hub.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.models, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addLayout(hub)
        layout.addWidget(self.progress)
        layout.addWidget(self.download_status)
        layout.addWidget(self.trust_remote_code)
        layout.addWidget(self.allow_pickle)

    # --- SettingsPage ---------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._user_models = list(settings.user_models)
        self._remote = {REMOTE_PREFIX + e.name: e for e in settings.remote_servers}
        self.trust_remote_code.setChecked(settings.model.trust_remote_code)
        self.allow_pickle.setChecked(settings.model.allow_pickle)
        self.refresh(select=settings.model.source)

    def apply_to(self, settings: Settings) -> Settings:
        chosen = self.selected_source()
        entry = self._entries.get(chosen or "")
        if entry is not None and entry.problem and chosen != settings.model.source:
            chosen = None  # a damaged or missing entry is shown, never chosen: keep the model
        settings = with_source(settings, chosen or settings.model.source)
        model = replace(
            settings.model,
            trust_remote_code=self.trust_remote_code.isChecked(),
            allow_pickle=self.allow_pickle.isChecked(),
        )
        return replace(settings, model=model, user_models=tuple(self._user_models))

    # --- public -----------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        """List the models again (after adding one, or a download) and select one.

        The listing runs on a worker thread; until it arrives, selected_source() is select.
        """
        select = select or self.selected_source()
        self._wanted = select
        if not self._entries:
            self.details.setText("Looking for models on this computer\u2026")
        job = in_thread(self._catalog, list(self._user_models))
        self._listing.start(self._show_listing(job, select))

    @property
    def listing(self) -> bool:
        """A listing is under way (models_listed follows)."""
        return self._listing.running

    async def _show_listing(
        self, job: asyncio.Future[list[CatalogEntry]], select: str | None
    ) -> None:
        try:
            entries = list(await job)
        except Exception as err:  # show what is known (the saved model) and say what went wrong
            logger.exception("listing the models failed")
            entries = []
            failure: str | None = f"The models could not be listed: {err}"
        else:
            failure = None
        self._show_entries(entries, select)
        if failure:
            self.details.setText(failure)
        self.models_listed.emit()

    def _show_entries(self, entries: list[CatalogEntry], select: str | None) -> None:
        remote = select is not None and select.startswith(REMOTE_PREFIX)
        if select and not remote and select not in {e.source for e in entries}:
            # The saved model is not on this computer any more; keep it visible and explain.
            entries.append(
                CatalogEntry(
                    source=select,
                    name=select,
                    kind=ModelKind.FOLDER,
                    path=select,
                    size_bytes=0,
                    problem=f"{select} was not found on this computer",
                )
            )
        self._wanted = None
        self._entries = {e.source: e for e in entries}
        self.details.clear()
        self.models.clear()
        for entry in entries:
            item = QTreeWidgetItem(
                [
                    f"{entry.name} ({_state(entry)})" if entry.problem else entry.name,
                    "" if entry.problem else format_parameters(entry.parameters),
                    format_bytes(entry.size_bytes) if entry.size_bytes else "",
                    f"{entry.context_length:,}" if entry.context_length else "",
                    entry.licence,
                ]
            )
            item.setData(0, _SOURCE, entry.source)
            item.setToolTip(0, entry.problem or entry.path)
            for column in range(1, len(_COLUMNS) - 1):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            if entry.problem:
                item.setForeground(0, self.palette().placeholderText())
            self.models.addTopLevelItem(item)
            if entry.source == select:
                self.models.setCurrentItem(item)
        self._show_remote_rows(select)
        first = self.models.topLevelItem(0)
        if self.models.currentItem() is None and first is not None:
            self.models.setCurrentItem(first)

    def set_remote_servers(self, entries: tuple[RemoteServerEntry, ...]) -> None:
        """The Remote servers page changed its list: show it (the selection stays if it can)."""
        selected = self.selected_source()
        self._remote = {REMOTE_PREFIX + e.name: e for e in entries if e.name}
        self._show_remote_rows(selected)
        first = self.models.topLevelItem(0)
        if self.models.currentItem() is None and first is not None:
            self.models.setCurrentItem(first)

    def select_source(self, source: str) -> None:
        """Select the row of ``source`` (a listed model or "remote:NAME")."""
        for row in range(self.models.topLevelItemCount()):
            item = self.models.topLevelItem(row)
            if item is not None and item.data(0, _SOURCE) == source:
                self.models.setCurrentItem(item)

    def _show_remote_rows(self, select: str | None) -> None:
        for row in reversed(range(self.models.topLevelItemCount())):
            item = self.models.topLevelItem(row)
            if item is not None and str(item.data(0, _SOURCE)).startswith(REMOTE_PREFIX):
                self.models.takeTopLevelItem(row)
        for source, server in self._remote.items():
            model = f" · {server.model}" if server.model else ""
            item = QTreeWidgetItem([f"{server.name} \u2014 remote server{model}", "", "", "", ""])
            item.setData(0, _SOURCE, source)
            item.setToolTip(0, server.base_url)
            self.models.addTopLevelItem(item)
            item.setFirstColumnSpanned(True)  # its name and model need the room, not the columns
            if source == select:
                self.models.setCurrentItem(item)

    @property
    def downloader(self) -> HubDownload:
        return self._download

    def selected_source(self) -> str | None:
        if self._listing.running and self._wanted:
            return self._wanted  # chosen, not listed yet
        item = self.models.currentItem()
        return str(item.data(0, _SOURCE)) if item is not None else None

    def set_target(self, device: str, precision: str, context_tokens: int) -> None:
        """The device page changed: recompute the memory estimate for it."""
        self._target = (device, precision, context_tokens)
        self._show_details()

    def add_user_model(self, path: str) -> None:
        if path and path not in self._user_models:
            self._user_models.append(path)
        self.refresh(select=path)

    def shutdown(self) -> None:
        """Stop a running download and wait for its thread; drop a listing (the dialog closes)."""
        self._listing.cancel()
        self._removal.cancel()
        self._download.shutdown()

    # --- slots ------------------------------------------------------------------------

    def _on_selection_changed(self) -> None:
        source = self.selected_source()
        entry = self._entries.get(source or "")
        in_cache = entry is not None and entry.kind is ModelKind.HF_CACHE
        style = entry is not None and entry.kind is ModelKind.STYLE
        self.remove.setEnabled(source in self._user_models or in_cache or style)
        self.remove.setText(
            "&Delete style\u2026"
            if style
            else "&Delete from disk\u2026"
            if in_cache
            else "&Remove from list"
        )
        self.rename_style.setVisible(style)
        # trust_remote_code and allow_pickle are per model: choosing another one starts safe.
        changed = entry is not None and entry.source != self._last_selected
        if changed and self._last_selected is not None:
            self.trust_remote_code.setChecked(False)
            self.allow_pickle.setChecked(False)
        self._last_selected = entry.source if entry else None
        remote = source is not None and source.startswith(REMOTE_PREFIX)
        for switch in (self.trust_remote_code, self.allow_pickle):  # a server runs its own
            switch.setEnabled(not remote)
        self._show_details()

    def _show_details(self) -> None:
        server = self._remote.get(self.selected_source() or "")
        if server is not None:
            model = html.escape(server.model or "the first model it lists")
            self.details.setText(
                f"Remote server at {html.escape(server.base_url)}, model {model}."
                f"<br>{html.escape(preset(server.preset).describe_ignored())}"
                " Edit it in Preferences &gt; Remote servers."
            )
            return
        entry = self._entries.get(self.selected_source() or "")
        if entry is None:
            self.details.clear()
            return
        if entry.problem:
            remedy = (
                "Delete it from the Hugging Face cache to download it again."
                if entry.kind is ModelKind.HF_CACHE
                else "Remove it from the list, or repair it and open Preferences again."
                if entry.source in self._user_models
                else ""
            )
            label = _state(entry).capitalize()
            # The reason often starts with the state itself ("damaged: the weights in ...").
            reason = re.sub(rf"^{re.escape(_state(entry))}:\s*", "", entry.problem)
            self.details.setText(f"<b>{label}:</b> {html.escape(reason)}<br>{remedy}")
            return
        if entry.kind is ModelKind.STYLE:
            self.details.setText(style_details(entry.source))
            return
        device, precision, context = self._target
        estimate = estimate_memory(entry, device, precision, context)
        needs = (
            f"about {format_bytes(estimate.total_bytes)} on {device.upper()}"
            f" at {resolve_precision(precision, device)} with {context:,} tokens of context"
            if estimate
            else "unknown (no parameter count)"
        )
        where = (
            "Bundled with Penwright; its terms are in Help > About"
            if entry.kind is ModelKind.BUNDLED
            else entry.path
        )
        self.details.setText(f"{where}<br>Memory needed: {needs}")

    def _on_add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a model folder")
        self.add_user_model(folder)

    def _on_add_gguf(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Add a GGUF model file", "", "GGUF models (*.gguf)"
        )
        self.add_user_model(file)

    def _on_remove(self) -> None:
        source = self.selected_source()
        entry = self._entries.get(source or "")
        if entry is not None and entry.kind is ModelKind.STYLE:
            if ask_delete(self, entry.source):
                self._forget_selection()
                self.refresh(select=None)
        elif source in self._user_models:
            self._user_models.remove(source)
            self._forget_selection()
            self.refresh(select=None)
        elif entry is not None and entry.kind is ModelKind.HF_CACHE and self._confirm_delete(entry):
            self.remove.setEnabled(False)
            self._removal.start(self._delete(entry))

    def _on_rename_style(self) -> None:
        source = self.selected_source()
        if source is not None and ask_rename(self, source):
            self.refresh(select=source)

    def _forget_selection(self) -> None:
        """Select nothing, so the listing that follows does not keep the removed entry as a
        "not found" placeholder (refresh keeps the selected source listed)."""
        self.models.setCurrentIndex(QModelIndex())

    def _confirm_delete(self, entry: CatalogEntry) -> bool:
        answer = QMessageBox.question(
            self,
            "Delete the downloaded model?",
            f"Delete {entry.name} from the Hugging Face cache?\n\n{entry.path}\n\n"
            "Its files are removed from this computer; it can be downloaded again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    async def _delete(self, entry: CatalogEntry) -> None:
        try:
            await in_thread(self._delete_cached, entry.source)
        except Exception as err:  # the files stay; say why and keep the page usable
            logger.warning("deleting %s from the cache failed", entry.source, exc_info=True)
            message = f"{entry.name} could not be deleted: {err}"
            self.remove.setEnabled(True)
        else:
            message = f"Deleted {entry.name} from the Hugging Face cache."
            if self.selected_source() == entry.source:
                self._forget_selection()
            self.refresh(select=None)
        self._say(message)
        self.removal_finished.emit(entry.source, message)

    def _on_download(self) -> None:
        repo_id = self.hub_id.text().strip()
        if not repo_id or self._download.running:
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.progress.setRange(0, 0)  # busy until the Hub says how big it is
        self.progress.setVisible(True)
        self._say(f"Downloading {repo_id}\u2026")
        self._download.start(repo_id)

    def _on_download_progress(self, progress: DownloadProgress) -> None:
        if progress.total_bytes:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(10 * (progress.percent or 0)))
            self.progress.setFormat(
                f"{format_bytes(progress.downloaded_bytes)} of {format_bytes(progress.total_bytes)}"
            )

    def _on_download_finished(self, repo_id: str, folder: str) -> None:
        self._download_ended(f"Downloaded {repo_id}.")
        self.refresh(select=repo_id)

    def _on_download_failed(self, repo_id: str, message: str) -> None:
        self._download_ended(message[:1].upper() + message[1:])

    def _on_download_cancelled(self, repo_id: str) -> None:
        self._download_ended(f"Download of {repo_id} cancelled.")

    def _download_ended(self, message: str) -> None:
        self.download_button.setEnabled(True)
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        self._say(message)

    def _say(self, message: str) -> None:
        self.download_status.setText(message)
        self.download_status.setVisible(bool(message))


def _state(entry: CatalogEntry) -> str:
    """How the list names an unusable entry: damaged (its files cannot be read) or not."""
    problem = entry.problem or ""
    damaged = problem.startswith("damaged") or "truncated" in problem
    return "damaged" if damaged else "cannot be used"
