"""The "Remote servers" page of Preferences: the servers the Model list offers beside the local
models, each a name, base URL, model id and API key, with presets for the usual servers.

"Test connection" lists the server's models off the GUI thread (app.tasks) and fills the model
id's choices; the page says which generation settings the chosen preset ignores. Keys go to the
KeyStore (app.settings.secrets) when the dialog applies; where there is no keyring the page says
so, and a key goes to the settings file only with its checkbox ticked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from penwright.app.settings.pages import InputError, SettingsPage
from penwright.app.settings.remote_servers import (
    RemoteServerEntry,
    entry_problem,
    local_model_of,
    server_for,
    with_source,
)
from penwright.app.settings.secrets import KeyStore, remote_account
from penwright.app.settings.store import Settings
from penwright.app.tasks import LatestTask, in_thread
from penwright.models.sources.presets import (
    CLIENT_LIMITS,
    CLIENT_RULES_SUMMARY,
    DEFAULT_PRESET,
    PRESETS,
    preset,
)
from penwright.models.sources.remote_spec import RemoteServer, remote_source_name

logger = logging.getLogger(__name__)

KEY_FILE_WARNING = (
    "The key is then written as plain text into Penwright's settings file, where anyone who can "
    "read that file can read it."
)


@dataclass
class _Draft:
    """An entry as the page edits it (the key in the clear, where it goes decided at apply)."""

    entry: RemoteServerEntry
    key: str
    original_name: str  # the name its key is kept under now ("" for a new entry)


def list_server_models(server: RemoteServer) -> list[str]:
    """The model ids the server lists (RemoteError on failure). Runs off the GUI thread."""
    from penwright.models.sources.remote import list_models  # the HTTP client, on demand

    return [str(m["id"]) for m in list_models(server)]


class RemoteServersPage(SettingsPage):
    title = "Remote servers"
    servers_changed = Signal(object)  # tuple[RemoteServerEntry, ...] as the page shows them
    use_requested = Signal(str)  # a model source, "remote:NAME": choose it in the Model list
    tested = Signal(str)  # the outcome of Test connection, as shown

    def __init__(self, keys: KeyStore) -> None:
        super().__init__()
        self._keys = keys
        self._drafts: list[_Draft] = []
        self._removed: list[str] = []  # names whose keys go when the dialog applies
        self._shown = -1
        self._filling = False
        self._test = LatestTask()

        intro = QLabel(
            "Write with a bigger model that runs on a server: vLLM, llama.cpp, LM Studio, "
            "KoboldCpp, Ollama or another OpenAI-compatible one. Servers listed here appear in "
            "the Model list."
        )
        intro.setWordWrap(True)
        self.servers = QListWidget()
        self.servers.setMaximumWidth(200)
        self.servers.currentRowChanged.connect(self._on_row_changed)
        self.add_button = QPushButton("&Add server")
        self.remove_button = QPushButton("&Remove")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)

        self.preset = QComboBox()
        for key, kind in PRESETS.items():
            self.preset.addItem(kind.label, key)
        self.preset.activated.connect(self._on_preset_chosen)
        self.name = QLineEdit()
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("http://127.0.0.1:8000/v1")
        self.model = QComboBox()
        self.model.setEditable(True)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("none")
        self.key_in_file = QCheckBox("Store the key in the settings file")
        self.key_in_file.setToolTip(KEY_FILE_WARNING)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        self.ignored = QLabel()
        self.ignored.setWordWrap(True)
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self._on_test)
        self.use_button = QPushButton("&Write with this server")
        self.use_button.clicked.connect(self._on_use)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for edit in (self.name, self.base_url, self.key):
            edit.textEdited.connect(self._on_edited)
        self.model.editTextChanged.connect(self._on_edited)
        self.key_in_file.toggled.connect(self._on_key_place_toggled)

        form = QFormLayout()
        form.addRow("&Preset:", self.preset)
        form.addRow("&Name:", self.name)
        form.addRow("&Base URL:", self.base_url)
        form.addRow("&Model id:", self.model)
        form.addRow("API &key:", self.key)
        form.addRow("", self.key_in_file)
        form.addRow("", self.key_status)
        form.addRow("Settings:", self.ignored)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addWidget(self.use_button)
        actions.addStretch()
        self.editor = QWidget()
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(form)
        editor_layout.addLayout(actions)
        editor_layout.addWidget(self.test_result)
        editor_layout.addStretch()

        left = QVBoxLayout()
        left.addWidget(self.servers, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.editor, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(body, 1)

    # --- SettingsPage ---------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._drafts = [
            _Draft(e, self._keys.get(remote_account(e.name)) or e.key_in_file, e.name)
            for e in settings.remote_servers
        ]
        self._removed = []
        self._shown = -1
        self._refill_list(0 if self._drafts else -1)

    def apply_to(self, settings: Settings) -> Settings:
        self._store_form()
        names: set[str] = set()
        for draft in self._drafts:
            problem = entry_problem(draft.entry)
            if problem is None and draft.entry.name in names:
                problem = f"two remote servers are named {draft.entry.name!r}"
            if problem is not None:
                self.servers.setCurrentRow(self._drafts.index(draft))
                raise InputError(f"{self.title}: {problem}")
            names.add(draft.entry.name)
        entries = tuple(self._keep_key(draft) for draft in self._drafts)
        for name in self._removed:
            if name not in names:
                self._keys.delete(remote_account(name))
        self._removed = []
        settings = replace(settings, remote_servers=entries)
        chosen = remote_source_name(settings.model)
        if chosen is not None and chosen not in names:  # its server went: back to local
            settings = with_source(settings, local_model_of(settings))
        return settings

    def _keep_key(self, draft: _Draft) -> RemoteServerEntry:
        """Put the draft's key where the writer chose; return the entry as stored."""
        entry = draft.entry
        account = remote_account(entry.name)
        if draft.original_name and draft.original_name != entry.name:
            self._keys.delete(remote_account(draft.original_name))
        draft.original_name = entry.name
        if entry.key_in_file:  # ticked: the file keeps it, the keyring forgets it
            self._keys.delete(account)
            entry = replace(entry, key_in_file=draft.key)
        else:
            self._keys.set(account, draft.key)
        draft.entry = entry
        return entry

    # --- public -----------------------------------------------------------------------

    def entries(self) -> tuple[RemoteServerEntry, ...]:
        """The entries as the page shows them now (not saved yet)."""
        self._store_form()
        return tuple(d.entry for d in self._drafts)

    def shutdown(self) -> None:
        self._test.cancel()

    # --- the list -------------------------------------------------------------------

    def _refill_list(self, select: int) -> None:
        self._filling = True
        try:
            self.servers.clear()
            for draft in self._drafts:
                self.servers.addItem(draft.entry.name or "(unnamed)")
        finally:
            self._filling = False
        self._shown = -1
        if select >= 0:
            self.servers.setCurrentRow(select)
        self._show_draft(select)

    def _on_row_changed(self, row: int) -> None:
        if self._filling:
            return
        self._store_form()
        self._show_draft(row)

    def _on_add(self) -> None:
        self._store_form()
        kind = PRESETS[DEFAULT_PRESET]
        taken = {d.entry.name for d in self._drafts}
        name = next(
            f"Server {i}" if i > 1 else "Server" for i in range(1, 100) if
            (f"Server {i}" if i > 1 else "Server") not in taken
        )  # fmt: skip
        entry = RemoteServerEntry(name=name, base_url=kind.base_url, preset=kind.key)
        self._drafts.append(_Draft(entry, "", ""))
        self._refill_list(len(self._drafts) - 1)
        self._announce()

    def _on_remove(self) -> None:
        row = self.servers.currentRow()
        if not 0 <= row < len(self._drafts):
            return
        draft = self._drafts.pop(row)
        if draft.original_name:
            self._removed.append(draft.original_name)
        self._shown = -1
        self._refill_list(min(row, len(self._drafts) - 1))
        self._announce()

    # --- the form -------------------------------------------------------------------

    def _show_draft(self, row: int) -> None:
        self._shown = row
        has = 0 <= row < len(self._drafts)
        self.editor.setEnabled(has)
        self.remove_button.setEnabled(has)
        self._filling = True
        try:
            if not has:
                for edit in (self.name, self.base_url, self.key):
                    edit.clear()
                self.model.clear()
                self.ignored.clear()
                self.test_result.clear()
                self._show_key_status(False)
                return
            draft = self._drafts[row]
            entry = draft.entry
            self.preset.setCurrentIndex(max(0, self.preset.findData(entry.preset)))
            self.name.setText(entry.name)
            self.base_url.setText(entry.base_url)
            self.model.clear()
            self.model.setEditText(entry.model)
            self._show_model_hint(entry.preset)
            self.key.setText(draft.key)
            self.key_in_file.setChecked(entry.key_stored_in_file)
            self.test_result.clear()
            self._show_ignored(entry.preset)
            self._show_key_status(entry.key_stored_in_file)
        finally:
            self._filling = False

    def _store_form(self) -> None:
        """The form's values into the draft shown."""
        row = self._shown
        if self._filling or not 0 <= row < len(self._drafts):
            return
        draft = self._drafts[row]
        draft.key = self.key.text().strip()
        draft.entry = RemoteServerEntry(
            name=self.name.text().strip(),
            base_url=self.base_url.text().strip(),
            model=self.model.currentText().strip(),
            preset=str(self.preset.currentData() or DEFAULT_PRESET),
            # A marker until apply puts the key itself there: "store it in the file" is ticked.
            key_in_file="\u2022" if self.key_in_file.isChecked() else "",
        )
        item = self.servers.item(row)
        if item is not None:
            item.setText(draft.entry.name or "(unnamed)")

    def _on_edited(self) -> None:
        if self._filling:
            return
        self._store_form()
        self._announce()

    def _on_preset_chosen(self) -> None:
        kind = preset(str(self.preset.currentData()))
        self.base_url.setText(kind.base_url)
        self._show_model_hint(kind.key)
        self._show_ignored(kind.key)
        self._on_edited()

    def _on_key_place_toggled(self, checked: bool) -> None:
        self._show_key_status(checked)
        self._on_edited()

    def _show_model_hint(self, key: str) -> None:
        line = self.model.lineEdit()
        if line is not None:
            line.setPlaceholderText(preset(key).model_hint)

    def _show_ignored(self, key: str) -> None:
        self.ignored.setText(f"{preset(key).describe_ignored()} {CLIENT_RULES_SUMMARY}")
        self.ignored.setToolTip(
            "\n".join(f"{v[:1].upper()}{v[1:]}." for v in CLIENT_LIMITS.values())
        )

    def _show_key_status(self, in_file: bool) -> None:
        if in_file:
            text = f"\u26a0 {KEY_FILE_WARNING}"
        elif self._keys.available:
            text = "The key is kept in the system keyring."
        else:
            text = f"\u26a0 {self._keys.problem}"
        self.key_status.setText(text)

    def _announce(self) -> None:
        self.servers_changed.emit(tuple(d.entry for d in self._drafts))

    # --- test and use -----------------------------------------------------------------

    def _on_test(self) -> None:
        self._store_form()
        row = self._shown
        if not 0 <= row < len(self._drafts):
            return
        draft = self._drafts[row]
        problem = entry_problem(draft.entry)
        if problem is not None:
            self._show_test(problem[:1].upper() + problem[1:] + ".")
            return
        server = replace(
            server_for(replace(draft.entry, key_in_file=""), self._keys), api_key=draft.key
        )
        self.test_button.setEnabled(False)
        self._show_test(f"Connecting to {server.base_url}\u2026", announce=False)
        self._test.start(self._run_test(server))

    async def _run_test(self, server: RemoteServer) -> None:
        try:
            models = await in_thread(list_server_models, server)
        except Exception as error:  # RemoteError has the message; anything else is named too
            logger.info("testing %s failed: %s", server.base_url, error)
            self._show_test(str(error) or type(error).__name__)
        else:
            if models:
                current = self.model.currentText()
                self.model.clear()
                self.model.addItems(models)
                self.model.setEditText(current or models[0])
                self._store_form()
            listed = ", ".join(models) if models else "no models"
            self._show_test(f"Connected. {server.base_url} serves: {listed}.")
        finally:
            self.test_button.setEnabled(True)

    def _show_test(self, text: str, announce: bool = True) -> None:
        self.test_result.setText(text)
        if announce:
            self.tested.emit(text)

    def _on_use(self) -> None:
        self._store_form()
        row = self._shown
        if 0 <= row < len(self._drafts) and self._drafts[row].entry.name:
            self._announce()
            self.use_requested.emit("remote:" + self._drafts[row].entry.name)
