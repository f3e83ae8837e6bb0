"""After a crash: show what the journal kept, and let the writer recover, delete or decide later.

Nothing is thrown away unless the writer asks for it (and confirms): "Decide Later" and closing
the dialog keep every entry, and it is offered again at the next start. `offer_recovery` is the
whole start-up step for the window: scan, ask, carry out the deletions, adopt what is recovered.

Nor is anything on disk replaced behind the writer's back: when the file an entry belongs to
changed after the entry was based on it (another program edited it after the crash), the
dialog says so, and the text is recovered beside the file as "name (recovered).txt" or into a
new untitled document, as the writer chooses; the file itself is left as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from penwright.app.documents.file_identity import DiskChange
from penwright.app.documents.journal import Journal
from penwright.app.documents.journal_store import JournalEntry, RecoverableEntry, new_buffer_id

# A preview beyond this is slow to lay out and no help in recognising the text.
PREVIEW_LIMIT_CHARS = 200_000

ConfirmDelete = Callable[[QWidget, int], bool]


def confirm_delete_with_message_box(parent: QWidget, count: int) -> bool:
    documents = "this recovered document" if count == 1 else f"these {count} recovered documents"
    answer = QMessageBox.warning(
        parent,
        "Delete recovered text",
        f"Delete {documents} for good? This cannot be undone.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class ChangedFileTarget(Enum):
    """Where text goes whose file changed on disk since: never over the file itself."""

    BESIDE = "beside"  # "name (recovered).txt" in the same folder
    UNTITLED = "untitled"  # a new untitled document


@dataclass
class RecoveryDecision:
    """What the writer decided; entries in neither list stay in the journal for next time."""

    to_recover: list[RecoverableEntry] = field(default_factory=list)
    to_delete: list[RecoverableEntry] = field(default_factory=list)
    changed_file_target: ChangedFileTarget = ChangedFileTarget.BESIDE


def describe(entry: JournalEntry, change: DiskChange = DiskChange.UNKNOWN) -> str:
    """One line naming the entry: title, where it will be restored to, when, how long, and
    whether its file changed on disk since."""
    where = str(entry.path) if entry.path is not None else "untitled, never saved"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.saved_at))
    words = len(entry.text.split())
    line = f"{entry.title}  ({where}) — autosaved {when}, {words:,} words"
    if change is DiskChange.CHANGED:
        line += " — ⚠ the file changed on disk since; it will not be replaced"
    elif change is DiskChange.MISSING:
        line += " — the file is no longer there"
    return line


def recovered_sibling(path: Path) -> Path:
    """A free name beside path: "name (recovered).txt", then "name (recovered 2).txt"..."""
    for number in range(1, 1000):
        label = "recovered" if number == 1 else f"recovered {number}"
        candidate = path.with_name(f"{path.stem} ({label}){path.suffix}")
        if not candidate.exists():
            return candidate
    return path.with_name(f"{path.stem} (recovered {time.time_ns()}){path.suffix}")


def preview_text(entry: JournalEntry) -> str:
    if len(entry.text) <= PREVIEW_LIMIT_CHARS:
        return entry.text
    hidden = len(entry.text) - PREVIEW_LIMIT_CHARS
    return entry.text[:PREVIEW_LIMIT_CHARS] + f"\n\n[… {hidden:,} more characters recovered]"


class RecoveryDialog(QDialog):
    """Lists recoverable entries (all checked), previews the selected one's text."""

    def __init__(
        self,
        entries: Sequence[RecoverableEntry],
        problems: Sequence[str] = (),
        parent: QWidget | None = None,
        *,
        confirm_delete: ConfirmDelete = confirm_delete_with_message_box,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover unsaved text")
        self.decision = RecoveryDecision()
        self._confirm_delete = confirm_delete

        intro = QLabel(
            "Penwright did not close properly last time. It kept the text below, which had "
            "not been saved. Tick what to recover; anything you do not recover or delete is "
            "kept and offered again next time."
        )
        intro.setWordWrap(True)
        self.entry_list = QListWidget()
        for item in entries:
            row = QListWidgetItem(describe(item.entry, item.disk_change))
            row.setData(Qt.ItemDataRole.UserRole, item)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
            self.entry_list.addItem(row)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText("Select a document to see the text it would restore.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.entry_list)
        splitter.addWidget(self.preview)
        splitter.setSizes([120, 330])  # the text matters more than the list

        self.problems_label = QLabel("\n".join(problems))
        self.problems_label.setWordWrap(True)
        self.problems_label.setVisible(bool(problems))

        changed = [i.entry.title for i in entries if i.disk_change is DiskChange.CHANGED]
        self.changed_label = QLabel(
            f"{', '.join(changed)}: another program changed the file after this text was "
            "autosaved. Recovering keeps both; your file is not replaced. Recover the text:"
        )
        self.changed_label.setWordWrap(True)
        changed_paths = [
            i.entry.path for i in entries if i.disk_change is DiskChange.CHANGED and i.entry.path
        ]
        beside = (
            f"“{recovered_sibling(changed_paths[0]).name}”"
            if len(changed_paths) == 1
            else "“name (recovered)”"
        )
        self.beside_button = QRadioButton(f"&Beside the file, as {beside}")
        self.untitled_button = QRadioButton("As a new &untitled document")
        self.beside_button.setChecked(True)
        for widget in (self.changed_label, self.beside_button, self.untitled_button):
            widget.setVisible(bool(changed))

        buttons = QDialogButtonBox()
        self.recover_button = QPushButton("&Recover Ticked")
        self.delete_button = QPushButton("&Delete Ticked…")
        self.later_button = QPushButton("Decide &Later")
        buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.recover_button.setDefault(True)
        self.recover_button.clicked.connect(self._on_recover)
        self.delete_button.clicked.connect(self._on_delete)
        self.later_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(splitter, stretch=1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.changed_label)
        layout.addWidget(self.beside_button)
        layout.addWidget(self.untitled_button)
        layout.addWidget(buttons)
        self.resize(760, 520)

        self.entry_list.currentItemChanged.connect(self._on_current_changed)
        self.entry_list.itemChanged.connect(self._update_buttons)
        if self.entry_list.count():
            self.entry_list.setCurrentRow(0)
        self._update_buttons()

    def ticked(self) -> list[RecoverableEntry]:
        return [item for row, item in self._rows() if row.checkState() == Qt.CheckState.Checked]

    def _rows(self) -> list[tuple[QListWidgetItem, RecoverableEntry]]:
        rows = (self.entry_list.item(i) for i in range(self.entry_list.count()))
        return [(row, row.data(Qt.ItemDataRole.UserRole)) for row in rows]

    @Slot(QListWidgetItem)
    def _on_current_changed(self, current: QListWidgetItem | None) -> None:
        item: RecoverableEntry | None = (
            None if current is None else current.data(Qt.ItemDataRole.UserRole)
        )
        self.preview.setPlainText("" if item is None else preview_text(item.entry))

    @Slot()
    def _update_buttons(self) -> None:
        any_ticked = bool(self.ticked())
        self.recover_button.setEnabled(any_ticked)
        self.delete_button.setEnabled(any_ticked)

    @Slot()
    def _on_recover(self) -> None:
        self.decision.to_recover = self.ticked()
        self.decision.changed_file_target = (
            ChangedFileTarget.UNTITLED
            if self.untitled_button.isChecked()
            else ChangedFileTarget.BESIDE
        )
        self.accept()

    @Slot()
    def _on_delete(self) -> None:
        doomed = self.ticked()
        if not doomed or not self._confirm_delete(self, len(doomed)):
            return
        self.decision.to_delete.extend(doomed)
        for row, item in reversed(self._rows()):
            if item in doomed:
                self.entry_list.takeItem(self.entry_list.row(row))
        if self.entry_list.count() == 0:
            self.accept()
        self._update_buttons()


@dataclass(frozen=True)
class RecoveryOutcome:
    """What the window should open, and what to tell the writer in the status bar."""

    recovered: tuple[JournalEntry, ...]  # adopted: track each under its buffer_id
    problems: tuple[str, ...]


RunDialog = Callable[[RecoveryDialog], object]


def offer_recovery(
    journal: Journal,
    parent: QWidget | None = None,
    *,
    run_dialog: RunDialog = RecoveryDialog.exec,
    confirm_delete: ConfirmDelete = confirm_delete_with_message_box,
) -> RecoveryOutcome:
    """The start-up step: if a crash left text, ask what to do with it and carry that out.

    Recovered entries are adopted into the running session under fresh buffer ids before they
    are returned, so they stay protected until the window has tracked them.
    """
    scan = journal.recoverable()
    if not scan.entries:
        return RecoveryOutcome((), scan.problems)
    dialog = RecoveryDialog(scan.entries, scan.problems, parent, confirm_delete=confirm_delete)
    try:
        run_dialog(dialog)
        decision = dialog.decision
    finally:
        dialog.deleteLater()
    for item in decision.to_delete:
        journal.delete(item)
    recovered: list[JournalEntry] = []
    notes: list[str] = []
    for item in decision.to_recover:
        path = item.entry.path
        if item.disk_change is not DiskChange.CHANGED or path is None:
            recovered.append(journal.adopt(item, new_buffer_id()))
            continue
        if decision.changed_file_target is ChangedFileTarget.BESIDE:
            sibling = recovered_sibling(path)
            elsewhere: tuple[Path | None, str] = (sibling, sibling.name)
            where = f"beside it as “{sibling.name}”"
        else:
            elsewhere = (None, f"{path.stem} (recovered)")
            where = "as a new untitled document"
        recovered.append(journal.adopt(item, new_buffer_id(), elsewhere=elsewhere))
        notes.append(
            f"“{path.name}” was changed by another program after the crash, so it was left "
            f"as it is; the recovered text is open {where}."
        )
    return RecoveryOutcome(tuple(recovered), (*notes, *scan.problems))
